package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// datedRepo makes a repository of n commits on main, commit i (from 1) dated
// 2024-01-<10+i>, each changing one of three files and adding one of its own, and tags
// commit 5 as v5.
func (w *world) datedRepo(n int) string {
	dir := filepath.Join(w.t.TempDir(), "dated")
	w.git(w.home, "init", "-q", dir)
	for i := 1; i <= n; i++ {
		os.WriteFile(filepath.Join(dir, fmt.Sprintf("f%d.txt", i%3)), []byte(fmt.Sprintf("version %d\n", i)), 0o644)
		os.WriteFile(filepath.Join(dir, fmt.Sprintf("g%d.txt", i)), []byte(fmt.Sprintf("file %d\n", i)), 0o644)
		w.git(dir, "add", "-A")
		w.setenv("GIT_COMMITTER_DATE", fmt.Sprintf("2024-01-%02dT10:00:00Z", 10+i))
		w.git(dir, "commit", "-q", "-m", "commit "+strconv.Itoa(i))
	}
	w.extra = w.extra[:len(w.extra)-n] // later commits are dated now
	w.git(dir, "tag", "v5", "HEAD~"+strconv.Itoa(n-5))
	return dir
}

// TestShallowCloneAndFetch: git clone --depth, --shallow-since and --shallow-exclude,
// then fetch --deepen, --depth and --unshallow, on both engines: the history is cut where
// git's own server cuts it, .git/shallow names the boundary, the repository holds just
// the objects of that history, and git fsck is clean at every step.
func TestShallowCloneAndFetch(t *testing.T) {
	forEach(t, func(t *testing.T, w *world, newURL func() string, _ remoteKind) {
		url := newURL()
		src := w.datedRepo(8)
		w.git(src, "push", "-q", url, "main", "v5")
		count := func(dir string) int {
			n, _ := strconv.Atoi(w.git(dir, "rev-list", "--count", "HEAD"))
			return n
		}
		shallow := func(dir string) string {
			b, err := os.ReadFile(filepath.Join(dir, ".git", "shallow"))
			if err != nil {
				return ""
			}
			return strings.TrimSpace(string(b))
		}
		inPack := func(dir string) string {
			for _, l := range strings.Split(w.git(dir, "count-objects", "-v"), "\n") {
				if v, ok := strings.CutPrefix(l, "in-pack: "); ok {
					return v
				}
			}
			return ""
		}

		dir := filepath.Join(t.TempDir(), "depth1")
		w.git(w.home, "clone", "-q", "--depth", "1", url, dir)
		if n, s, tip := count(dir), shallow(dir), w.git(src, "rev-parse", "main"); n != 1 || s != tip {
			t.Fatalf("clone --depth 1: %d commits, shallow %q; want 1 and %s", n, s, tip)
		}
		// The tip's commit, its root tree and what is below it; nothing older.
		want := strconv.Itoa(2 + len(strings.Split(w.git(src, "ls-tree", "-r", "-t", "main"), "\n")))
		if got := inPack(dir); got != want {
			t.Fatalf("clone --depth 1 holds %s objects, want %s", got, want)
		}
		w.fsck(dir)

		steps := []struct {
			args     []string
			commits  int
			boundary string // rev of the one shallow commit ("" for none)
		}{
			{[]string{"--deepen=2"}, 3, "main~2"},
			{[]string{"--depth=5"}, 5, "main~4"},
			{[]string{"--unshallow"}, 8, ""},
		}
		for _, s := range steps {
			w.git(dir, append([]string{"fetch", "-q"}, s.args...)...)
			want := ""
			if s.boundary != "" {
				want = w.git(src, "rev-parse", s.boundary)
			}
			if n, got := count(dir), shallow(dir); n != s.commits || got != want {
				t.Fatalf("fetch %v: %d commits, shallow %q; want %d and %q", s.args, n, got, s.commits, want)
			}
			w.fsck(dir)
		}

		for _, c := range []struct {
			opt     string
			commits int
		}{
			{"--shallow-since=2024-01-16", 3}, // commits 6, 7 and 8
			{"--shallow-exclude=v5", 3},
			{"--depth=2", 2},
		} {
			dir := filepath.Join(t.TempDir(), "cut")
			w.git(w.home, "clone", "-q", c.opt, url, dir)
			if n := count(dir); n != c.commits {
				t.Fatalf("clone %s: %d commits, want %d", c.opt, n, c.commits)
			}
			w.fsck(dir)
		}

		// A plain fetch into a shallow clone brings the new commits and keeps the boundary.
		dir = filepath.Join(t.TempDir(), "pull")
		w.git(w.home, "clone", "-q", "--depth", "1", url, dir)
		boundary := shallow(dir)
		w.commit(src, "g9.txt", "nine\n")
		w.git(src, "push", "-q", url, "main")
		w.git(dir, "pull", "-q", "--ff-only")
		if n, s := count(dir), shallow(dir); n != 2 || s != boundary {
			t.Fatalf("pull into a depth-1 clone: %d commits, shallow %q; want 2 and %q", n, s, boundary)
		}
		w.fsck(dir)
	})
}

// TestShallowPush: a CI checkout made with --depth 1 pushes a new commit. packchain takes
// it when the remote has the boundary commit (the pack builds on it); bundle refuses, as
// a bundle holds a ref's whole history; and a push to a remote lacking the boundary's
// history is refused by both. Every refusal leaves the remote as it was.
func TestShallowPush(t *testing.T) {
	forEach(t, func(t *testing.T, w *world, newURL func() string, _ remoteKind) {
		url := newURL()
		src := w.repo(4)
		w.git(src, "push", "-q", url, "main")
		dir := filepath.Join(t.TempDir(), "ci")
		w.git(w.home, "clone", "-q", "--depth", "1", url, dir)
		tip := w.commit(dir, "ci.txt", "built\n")
		before := w.git(w.home, "ls-remote", url)
		out, err := w.try(dir, "push", "origin", "main")
		if strings.Contains(url, "engine=packchain") {
			if err != nil {
				t.Fatalf("push from a depth-1 clone to packchain: %v\n%s", err, out)
			}
			full := w.clone(url)
			if got := w.git(full, "rev-parse", "HEAD"); got != tip {
				t.Fatalf("a full clone after the shallow push is at %s, want %s", got, tip)
			}
			w.fsck(full)
		} else {
			want := "shallow update not allowed: this repository is a shallow clone, and the bundle engine stores each ref's whole history, which it does not have: run git fetch --unshallow, then push again"
			if err == nil || !strings.Contains(out, "[remote rejected] main -> main ("+want+")") {
				t.Fatalf("push from a depth-1 clone to bundle: %v\n%s\nwant %q", err, out, want)
			}
			if after := w.git(w.home, "ls-remote", url); after != before {
				t.Fatalf("the refused push changed the remote:\n%s\nwas:\n%s", after, before)
			}
		}

		empty := newURL()
		out, err = w.try(dir, "push", empty, "main")
		want := "this repository is a shallow clone and the remote lacks the history below " + w.git(dir, "rev-parse", "main~1") +
			", which it does not have either: run git fetch --unshallow, then push again"
		if strings.Contains(url, "engine=bundle") {
			want = "shallow update not allowed: this repository is a shallow clone, and the bundle engine"
		}
		if err == nil || !strings.Contains(out, want) {
			t.Fatalf("push from a depth-1 clone to an empty remote: %v\n%s\nwant %q", err, out, want)
		}
		if left := keys(t, bucket(t, empty)); len(left) != 0 && !(len(left) == 1 && left[0] == "FORMAT") {
			t.Fatalf("the refused push left %v on the remote", left)
		}
		if out := w.git(w.home, "ls-remote", empty); out != "" {
			t.Fatalf("the refused push left refs: %s", out)
		}
	})
}
