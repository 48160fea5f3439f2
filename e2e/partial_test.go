package e2e

import (
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestFilterCloneIsFull: neither layout can serve part of a commit's objects, so
// `git clone --filter=blob:none` says so and makes an ordinary full clone, without the
// promisor settings git wrote before the fetch (they would send later fetches asking
// for objects one by one).
func TestFilterCloneIsFull(t *testing.T) {
	forEach(t, func(t *testing.T, w *world, newURL func() string, _ remoteKind) {
		url := newURL()
		src := w.repo(4)
		w.git(src, "push", "-q", url, "main")

		dir := filepath.Join(t.TempDir(), "filtered")
		out := w.git(w.home, "clone", "--filter=blob:none", url, dir)
		if want := "warning: this remote cannot filter objects (--filter=blob:none): fetched them all"; !strings.Contains(out, want) {
			t.Fatalf("clone --filter said:\n%s\nwant %q", out, want)
		}
		for _, key := range []string{"remote.origin.promisor", "remote.origin.partialclonefilter", "extensions.partialclone"} {
			if v, err := w.try(dir, "config", "--get", key); err == nil {
				t.Errorf("after clone --filter, %s = %s", key, v)
			}
		}
		if missing := w.git(dir, "rev-list", "--objects", "--all", "--missing=print"); strings.Contains(missing, "?") {
			t.Fatalf("clone --filter lacks objects:\n%s", missing)
		}
		w.fsck(dir)
		tip := w.commit(src, "more.txt", "more\n")
		w.git(src, "push", "-q", url, "main")
		w.git(dir, "pull", "-q", "--ff-only")
		if got := w.git(dir, "rev-parse", "HEAD"); got != tip {
			t.Fatalf("pull after clone --filter: at %s, want %s", got, tip)
		}
	})
}

// TestPushFromPartialClone: a partial clone lacks the blobs of older commits, so a push of
// its history is refused before anything is written, naming the missing blob and what to
// do; the remote stays empty.
func TestPushFromPartialClone(t *testing.T) {
	forEach(t, func(t *testing.T, w *world, newURL func() string, _ remoteKind) {
		server := w.repo(4) // file0.txt changes, so older versions exist only in history
		w.git(server, "config", "uploadpack.allowFilter", "true")
		partial := filepath.Join(t.TempDir(), "partial")
		w.git(w.home, "clone", "-q", "--filter=blob:none", "file://"+server, partial)
		missing := w.git(partial, "rev-list", "--objects", "--all", "--missing=print")
		if !strings.Contains(missing, "?") {
			t.Fatalf("the partial clone lacks nothing; the test needs it to:\n%s", missing)
		}

		url := newURL()
		out, err := w.try(partial, "push", url, "main")
		re := regexp.MustCompile(`this repository is a partial clone \(--filter\) and lacks blob ([0-9a-f]{40}) \(file\d\.txt\): fetch the missing objects from the remote you cloned from \(git backfill, git ≥ 2\.49, fetches blobs\), or push from a full clone`)
		m := re.FindStringSubmatch(out)
		if err == nil || m == nil {
			t.Fatalf("push from a partial clone: err %v\n%s", err, out)
		}
		if !strings.Contains(missing, "?"+m[1]) {
			t.Fatalf("the refusal names %s, which the clone has; it lacks:\n%s", m[1], missing)
		}
		if left := keys(t, bucket(t, url)); len(left) != 0 {
			t.Fatalf("the refused push left %v on the remote", left)
		}
		if out := w.git(w.home, "ls-remote", url); out != "" {
			t.Fatalf("the refused push left refs: %s", out)
		}
	})
}
