package e2e

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"git-remote-object-store/store"
)

// forPackchain runs fn for every backend with the packchain engine.
func forPackchain(t *testing.T, fn func(t *testing.T, w *world, url func() string, kind remoteKind)) {
	forEachOn(t, []string{"packchain"}, fn)
}

// packs lists the pack sizes on the bucket.
func packs(t *testing.T, st store.Store) map[string]int64 {
	out := map[string]int64{}
	st.List(t.Context(), "packchain/packs/", func(i store.Info) error {
		if strings.HasSuffix(i.Key, ".pack") {
			out[i.Key] = i.Size
		}
		return nil
	})
	return out
}

func localPacks(t *testing.T, repo string) int {
	m, _ := filepath.Glob(filepath.Join(repo, ".git", "objects", "pack", "*.pack"))
	return len(m)
}

func TestPackchainIsIncremental(t *testing.T) {
	forPackchain(t, func(t *testing.T, w *world, newURL func() string, _ remoteKind) {
		url := newURL()
		src := w.repo(1)
		w.history(src, 1000) // the yardstick: a 1,000-commit repository
		w.git(src, "push", "-q", url, "main")
		st := bucket(t, url)
		first := packs(t, st)
		var firstSize int64
		for _, n := range first {
			firstSize += n
		}
		dst := w.clone(url)

		// A new branch at an existing commit uploads nothing.
		w.git(src, "push", "-q", url, "main~5:refs/heads/old")
		if got := packs(t, st); len(got) != len(first) {
			t.Fatalf("a branch at an existing commit uploaded a pack: %v", got)
		}
		// One more commit: one small pack. (Packs are never thin, so a commit that edits a
		// large file carries that file whole; this one adds a small file.)
		w.commit(src, "dir1/new.txt", "one more line\n")
		w.git(src, "push", "-q", url, "main")
		after := packs(t, st)
		if len(after) != len(first)+1 {
			t.Fatalf("packs before %d, after %d", len(first), len(after))
		}
		for k, n := range after {
			if _, old := first[k]; !old {
				t.Logf("first push %d bytes; one-commit push %d bytes (%.2f%%)", firstSize, n, 100*float64(n)/float64(firstSize))
			}
			if _, old := first[k]; !old && n*100 > firstSize {
				t.Fatalf("the one-commit pack is %d bytes, %.1f%% of the first push's %d", n, 100*float64(n)/float64(firstSize), firstSize)
			}
		}
		// Fetching that commit downloads exactly one pack.
		before := localPacks(t, dst)
		w.git(dst, "pull", "-q", "--ff-only")
		if got := localPacks(t, dst); got != before+1 {
			t.Fatalf("fetch of one commit added %d packs", got-before)
		}
		if w.git(dst, "rev-parse", "HEAD") != w.git(src, "rev-parse", "HEAD") {
			t.Fatal("clone not up to date after pull")
		}
		w.fsck(dst)
	})
}

// TestAtomicPush: git push --atomic lands every ref or none, on both engines.
func TestAtomicPush(t *testing.T) {
	forEach(t, func(t *testing.T, w *world, newURL func() string, _ remoteKind) {
		url := newURL()
		src := w.repo(2)
		w.git(src, "push", "-q", url, "main", "main:refs/heads/other")
		w.git(src, "reset", "-q", "--hard", "HEAD~1")
		w.commit(src, "x.txt", "diverged\n")
		w.git(src, "branch", "-f", "feature", "HEAD")
		before := w.git(src, "ls-remote", url)
		// main is a non-fast-forward: with --atomic, feature must not land either.
		if out, err := w.try(src, "push", "--atomic", url, "main", "feature"); err == nil {
			t.Fatalf("atomic push with a rejected ref succeeded:\n%s", out)
		}
		if after := w.git(src, "ls-remote", url); after != before {
			t.Fatalf("a failed atomic push changed the remote:\nbefore %s\nafter %s", before, after)
		}
		// Without --atomic, the good ref lands and the bad one is reported.
		out, err := w.try(src, "push", url, "main", "feature")
		if err == nil || !strings.Contains(out, "feature -> feature") {
			t.Fatalf("non-atomic push: %v\n%s", err, out)
		}
		if !strings.Contains(w.git(src, "ls-remote", url), "refs/heads/feature") {
			t.Fatal("the accepted ref did not land")
		}
		// Two good updates with --atomic both land.
		w.commit(src, "y.txt", "both\n")
		w.git(src, "push", "-q", "--atomic", url, "+HEAD:refs/heads/main", "HEAD:refs/heads/feature")
		tip := w.git(src, "rev-parse", "HEAD")
		for _, ref := range []string{"refs/heads/main", "refs/heads/feature"} {
			if got := w.git(src, "ls-remote", url, ref); !strings.HasPrefix(got, tip) {
				t.Fatalf("after an atomic push of two refs %s is %q, want %s", ref, got, tip)
			}
		}
		if strings.Contains(url, "engine=bundle") {
			// A ref held by another push's lock fails the whole push after the other
			// refs were locked: nothing lands, every lock is released.
			st := bucket(t, url)
			putKey(t, st, "refs/heads/other/LOCK#.lock", []byte("owner=someone-else"))
			before := w.git(src, "ls-remote", url)
			w.commit(src, "z.txt", "blocked\n")
			out, err := w.try(src, "push", "--atomic", url, "HEAD:refs/heads/feature", "HEAD:refs/heads/main", "+HEAD:refs/heads/other")
			if err == nil || !strings.Contains(out, "locked by another push") {
				t.Fatalf("atomic push with a locked ref: %v\n%s", err, out)
			}
			if after := w.git(src, "ls-remote", url); after != before {
				t.Fatalf("a failed atomic push changed the remote:\nbefore %s\nafter %s", before, after)
			}
			for _, k := range keys(t, st) {
				if strings.HasSuffix(k, ".lock") && k != "refs/heads/other/LOCK#.lock" {
					t.Fatalf("a failed atomic push left its lock %s", k)
				}
			}
			w.fsck(w.clone(url))
		}
	})
}

func TestPackchainRefusesForeignLayout(t *testing.T) {
	w := newWorld(t)
	dir := filepath.Join(t.TempDir(), "bucket")
	os.MkdirAll(dir, 0o755)
	os.WriteFile(filepath.Join(dir, "FORMAT"), []byte("packchain"), 0o644)
	src := w.repo(1)
	out, err := w.try(src, "push", "fs+file://"+dir, "main")
	if err == nil || !strings.Contains(out, "another tool's per-ref") {
		t.Fatalf("a per-ref packchain bucket was not refused clearly: %v\n%s", err, out)
	}
}

// history appends n commits to main with git fast-import (one process, not n), each
// changing one of a few hundred files with 1 KiB of fresh content.
func (w *world) history(dir string, n int) {
	w.t.Helper()
	var b strings.Builder
	b.WriteString("reset refs/heads/main\nfrom refs/heads/main^0\n")
	for i := 0; i < n; i++ {
		sum := sha256.Sum256([]byte(fmt.Sprint("content", i)))
		content := strings.Repeat(hex.EncodeToString(sum[:])+"\n", 16)
		fmt.Fprintf(&b, "commit refs/heads/main\ncommitter T <t@example.com> %d +0000\ndata 8\ncommit %d\n", 1700000000+i, i%10)
		fmt.Fprintf(&b, "M 100644 inline dir%d/file%d.txt\ndata %d\n%s\n", i%13, i%300, len(content), content)
	}
	cmd := exec.Command("git", "fast-import", "--quiet")
	cmd.Dir, cmd.Env, cmd.Stdin = dir, w.environ(), strings.NewReader(b.String())
	if out, err := cmd.CombinedOutput(); err != nil {
		w.t.Fatalf("fast-import: %v\n%s", err, out)
	}
	w.git(dir, "reset", "-q", "--hard", "main")
}
