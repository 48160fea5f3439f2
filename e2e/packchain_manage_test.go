package e2e

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"

	"git-remote-object-store/packchain"
	"git-remote-object-store/store"
)

func TestPackchainCat(t *testing.T) {
	forPackchain(t, func(t *testing.T, w *world, newURL func() string, _ remoteKind) {
		url := newURL()
		src := w.repo(3)
		w.history(src, 200) // deltas inside the pack: cat must resolve them by range reads
		w.git(src, "tag", "-a", "-m", "release", "v1", "HEAD~7")
		w.git(src, "push", "-q", url, "main", "v1")
		w.commit(src, "dir1/extra.txt", "second pack\n") // a second pack, newest first
		w.git(src, "push", "-q", url, "main")

		for _, c := range []struct{ rev, path, want string }{
			{"main", "dir1/extra.txt", "main:dir1/extra.txt"},
			{"HEAD", "dir1/file14.txt", "main:dir1/file14.txt"},
			{"refs/heads/main", "file0.txt", "main:file0.txt"},
			{"v1", "dir1/file14.txt", "v1:dir1/file14.txt"},
			{w.git(src, "rev-parse", "main~3"), "dir3/file16.txt", "main~3:dir3/file16.txt"},
		} {
			out, err := w.tool("cat", url, c.rev+":"+c.path)
			if want := w.git(src, "show", c.want); err != nil || strings.TrimSpace(out) != want {
				t.Fatalf("cat %s:%s = %v\n%.300s\nwant\n%.300s", c.rev, c.path, err, out, want)
			}
		}
		// A directory is listed like git ls-tree.
		if out, err := w.tool("cat", url, "main:dir1"); err != nil || strings.TrimSpace(out) != w.git(src, "ls-tree", "main:dir1") {
			t.Fatalf("cat of a directory: %v\n%s", err, out)
		}
		for _, bad := range []string{"main:no/such/file", "nosuchref:file0.txt"} {
			out, err := w.tool("cat", url, bad)
			if err == nil || !strings.Contains(out, "fatal: "+bad) {
				t.Fatalf("cat %s: %v\n%s", bad, err, out)
			}
		}
	})
}

func TestCatRefusesBundleRemote(t *testing.T) {
	forBundle(t, func(t *testing.T, w *world, newURL func() string, _ remoteKind) {
		url := newURL()
		w.git(w.repo(1), "push", "-q", url, "main")
		if out, err := w.tool("cat", url, "main:file0.txt"); err == nil || !strings.Contains(out, "works on packchain remotes") {
			t.Fatalf("cat on a bundle remote: %v\n%s", err, out)
		}
	})
}

// manifestOf reads the remote's manifest.
func manifestOf(t *testing.T, st store.Store) *packchain.Manifest {
	t.Helper()
	m, err := packchain.DecodeManifest(bytes.NewReader(getKey(t, st, packchain.ManifestKey)))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestPackchainCompactAndGC(t *testing.T) {
	forPackchain(t, func(t *testing.T, w *world, newURL func() string, _ remoteKind) {
		url := newURL()
		w.setenv(packchain.PushWindowEnv, "4s") // so a four-second grace is allowed
		src := w.repo(2)
		w.git(src, "push", "-q", url, "main")
		for i := range 3 {
			w.commit(src, "more.txt", fmt.Sprintf("round %d\n", i))
			w.git(src, "push", "-q", url, "main")
		}
		w.git(src, "checkout", "-q", "-b", "feature")
		w.commit(src, "feature-only.txt", "will be deleted\n")
		w.git(src, "push", "-q", url, "feature")
		w.git(src, "checkout", "-q", "main")
		w.git(src, "push", "-q", url, ":feature")
		old := w.clone(url)
		st := bucket(t, url)
		before := packs(t, st)
		if len(before) != 5 {
			t.Fatalf("want 5 packs before compaction, have %d", len(before))
		}

		out, err := w.tool("compact", "-q", "--max-packs", "10", url)
		if err != nil || !strings.Contains(out, "nothing to compact") {
			t.Fatalf("compact under --max-packs: %v\n%s", err, out)
		}
		out, err = w.tool("compact", "-q", url)
		if err != nil {
			t.Fatalf("compact: %v\n%s", err, out)
		}
		reachable := len(strings.Fields(w.git(src, "rev-list", "--objects", "--no-object-names", "main")))
		if !strings.Contains(out, fmt.Sprintf("(%d objects,", reachable)) {
			t.Fatalf("the merged pack should hold the %d objects main reaches (not the deleted branch's):\n%s", reachable, out)
		}
		m := manifestOf(t, st)
		if len(m.Packs) != 1 || len(m.Retired) != 5 {
			t.Fatalf("after compact: %d packs named, %d retired; want 1 and 5", len(m.Packs), len(m.Retired))
		}
		// Old packs stay until gc, and a fresh grace keeps them.
		if got := packs(t, st); len(got) != 6 {
			t.Fatalf("compaction deleted packs itself: %v", got)
		}
		if out, err := w.tool("gc", url); err != nil || !strings.Contains(out, "deleted 0 pack(s)") {
			t.Fatalf("gc within the grace: %v\n%s", err, out)
		}
		// A stray upload from a lost race.
		stray := "packchain/packs/pack-" + strings.Repeat("ab", 20)
		putKey(t, st, stray+".pack", []byte("PACK stray"))
		if out, err := w.tool("gc", "--grace", "0s", url); err == nil || !strings.Contains(out, "shorter than the push window") {
			t.Fatalf("gc with a grace below the push window was not refused: %v\n%s", err, out)
		}
		time.Sleep(5100 * time.Millisecond) // the grace, and a second of Last-Modified rounding
		out, err = w.tool("gc", "--grace", "4s", "--dry-run", url)
		if err != nil || !strings.Contains(out, "would delete 6 pack(s)") || !strings.Contains(out, "never named") {
			t.Fatalf("gc --dry-run: %v\n%s", err, out)
		}
		if got := packs(t, st); len(got) != 7 {
			t.Fatalf("dry run deleted something: %d packs left", len(got))
		}
		if out, err := w.tool("gc", "--grace", "4s", url); err != nil || !strings.Contains(out, "deleted 6 pack(s)") {
			t.Fatalf("gc: %v\n%s", err, out)
		}
		if got := packs(t, st); len(got) != 1 {
			t.Fatalf("after gc %d packs, want the merged one: %v", len(got), got)
		}
		if m := manifestOf(t, st); len(m.Retired) != 0 {
			t.Fatalf("gc left %d retired entries", len(m.Retired))
		}
		// Everything still works: a fresh clone, a fetch into the old clone, a push on top.
		w.fsck(w.clone(url))
		w.commit(src, "after.txt", "after compaction\n")
		w.git(src, "push", "-q", url, "main")
		w.git(old, "pull", "-q", "--ff-only")
		if w.git(old, "rev-parse", "HEAD") != w.git(src, "rev-parse", "HEAD") {
			t.Fatal("the old clone did not catch up after compaction")
		}
		w.fsck(old)
	})
}

func TestPackchainDoctor(t *testing.T) {
	forPackchain(t, func(t *testing.T, w *world, newURL func() string, _ remoteKind) {
		url := newURL()
		src := w.repo(2)
		w.git(src, "push", "-q", url, "main")
		w.commit(src, "b.txt", "second pack\n")
		w.git(src, "push", "-q", url, "main", "main:refs/heads/side")
		if out, err := w.tool("doctor", url); err != nil || !strings.Contains(out, "ok   layout") {
			t.Fatalf("doctor on a healthy remote: %v\n%s", err, out)
		}
		st := bucket(t, url)
		m := manifestOf(t, st)
		// Damage: a lost .idx (fixable), HEAD naming nothing (fixable), a stray (a note).
		st.Delete(t.Context(), "packchain/packs/"+m.Packs[1].Name+".idx")
		m.Head = "refs/heads/gone"
		data, _ := m.Encode()
		putKey(t, st, packchain.ManifestKey, data)
		putKey(t, st, "packchain/packs/pack-"+strings.Repeat("cd", 20)+".pack", []byte("stray"))
		w.doctorFindsAndFixes(url, m.Packs[1].Name+".idx is missing", `HEAD is "refs/heads/gone"`, "1 stray pack(s)")
		if out, err := w.tool("cat", url, "main:b.txt"); err != nil || out != "second pack\n" {
			t.Fatalf("cat after the idx was rebuilt: %v\n%s", err, out)
		}
		// A ref whose commit no pack holds is reported.
		m = manifestOf(t, st)
		m.Refs["refs/heads/ghost"] = strings.Repeat("e", 40)
		data, _ = m.Encode()
		putKey(t, st, packchain.ManifestKey, data)
		if out, err := w.tool("doctor", url); err == nil || !strings.Contains(out, "refs/heads/ghost points at eeee") {
			t.Fatalf("doctor on a ref in no pack: %v\n%s", err, out)
		}
		// A pack that is gone cannot be fixed here: it is reported with the commits it held.
		st.Delete(t.Context(), "packchain/packs/"+m.Packs[0].Name+".pack")
		out, err := w.tool("doctor", "--fix", url)
		if err == nil || !strings.Contains(out, m.Packs[0].Name+".pack is named by the manifest but missing") {
			t.Fatalf("doctor on a missing pack: %v\n%s", err, out)
		}
	})
}
