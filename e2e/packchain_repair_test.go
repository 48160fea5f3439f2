package e2e

import (
	"strings"
	"testing"

	"git-remote-object-store/packchain"
	"git-remote-object-store/store"
)

// dropPack deletes one pack the manifest names (and its index) from the bucket, as a
// store that lost it, a hand clean-up or an older gc racing a push would.
func dropPack(t *testing.T, st store.Store, i int) string {
	t.Helper()
	m := manifestOf(t, st)
	name := m.Packs[i].Name
	for _, key := range []string{packchain.PacksPrefix + name + ".pack", packchain.PacksPrefix + name + ".idx"} {
		if err := st.Delete(t.Context(), key); err != nil {
			t.Fatal(err)
		}
	}
	return name
}

// A manifest that names a missing pack breaks every clone; doctor --fix inside a clone
// that has the commits, or the next push from one, writes the objects again.
func TestPackchainMissingPackRepaired(t *testing.T) {
	forPackchain(t, func(t *testing.T, w *world, newURL func() string, _ remoteKind) {
		url := newURL()
		src := w.repo(3)
		w.git(src, "push", "-q", url, "main")
		w.commit(src, "second.txt", "second push\n")
		w.git(src, "push", "-q", url, "main")
		st := bucket(t, url)

		lost := dropPack(t, st, 1) // the first push's pack: the whole early history
		if out, err := w.try(w.home, "clone", "-q", url, t.TempDir()+"/broken"); err == nil {
			t.Fatalf("a clone with a pack missing succeeded:\n%s", out)
		}
		out, err := w.tool("doctor", url)
		if err == nil || !strings.Contains(out, lost+".pack is named by the manifest but missing") || !strings.Contains(out, "(no automatic fix)") {
			t.Fatalf("doctor outside a clone: %v\n%s", err, out)
		}
		out, err = w.toolIn(src, "doctor", "--fix", url)
		if err != nil || !strings.Contains(out, "fixed") {
			t.Fatalf("doctor --fix inside the clone: %v\n%s", err, out)
		}
		w.fsck(w.clone(url))

		// Again, and this time the next push from the clone repairs it.
		lost = dropPack(t, st, 0)
		w.commit(src, "third.txt", "third push\n")
		out = w.git(src, "push", url, "main")
		if !strings.Contains(out, "missing from the bucket; uploaded its objects again") {
			t.Fatalf("the push did not say it repaired %s:\n%s", lost, out)
		}
		final := w.clone(url)
		w.fsck(final)
		if w.git(final, "rev-parse", "HEAD") != w.git(src, "rev-parse", "HEAD") {
			t.Fatal("the repaired remote is not at the pushed commit")
		}
		if out, err := w.tool("doctor", url); err != nil {
			t.Fatalf("doctor after the repairs: %v\n%s", err, out)
		}
	})
}
