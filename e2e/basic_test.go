package e2e

import (
	"fmt"
	"strings"
	"sync"
	"testing"
)

func TestPushCloneFetch(t *testing.T) {
	forEach(t, func(t *testing.T, w *world, newURL func() string, _ remoteKind) {
		url := newURL()
		src := w.repo(3)
		w.git(src, "remote", "add", "origin", url)
		w.git(src, "push", "-q", "-u", "origin", "main")

		dst := w.clone(url)
		if got, want := w.git(dst, "rev-parse", "HEAD"), w.git(src, "rev-parse", "HEAD"); got != want {
			t.Fatalf("clone HEAD %s, pushed %s", got, want)
		}
		w.fsck(dst)

		tip := w.commit(src, "new.txt", "more\n")
		w.commit(src, "new.txt", "even more\n")
		tip = w.git(src, "rev-parse", "HEAD")
		w.git(src, "push", "-q", "origin", "main")
		w.git(dst, "pull", "-q", "--ff-only")
		if got := w.git(dst, "rev-parse", "HEAD"); got != tip {
			t.Fatalf("after pull HEAD %s, want %s", got, tip)
		}
		w.fsck(dst)
	})
}

func TestCloneEmptyRemote(t *testing.T) {
	forEach(t, func(t *testing.T, w *world, newURL func() string, _ remoteKind) {
		url := newURL()
		dst := w.clone(url)
		if out, _ := w.try(dst, "rev-parse", "HEAD"); !strings.Contains(out, "unknown revision") && !strings.Contains(out, "ambiguous") {
			t.Fatalf("an empty clone has a HEAD commit: %s", out)
		}
		// The empty clone can push the first commit.
		w.commit(dst, "a.txt", "first\n")
		w.git(dst, "push", "-q", "origin", "main")
		again := w.clone(url)
		w.fsck(again)
	})
}

func TestBranchesTagsAndLsRemote(t *testing.T) {
	forEach(t, func(t *testing.T, w *world, newURL func() string, _ remoteKind) {
		url := newURL()
		src := w.repo(2)
		w.git(src, "remote", "add", "origin", url)
		w.git(src, "branch", "feature", "HEAD~1")
		w.git(src, "tag", "light", "HEAD~1")
		w.git(src, "tag", "-a", "-m", "release one", "v1")
		w.git(src, "push", "-q", "origin", "main", "feature", "--tags")

		got := w.git(src, "ls-remote", "origin")
		want := w.git(src, "for-each-ref", "--format=%(objectname) %(refname)", "refs/heads", "refs/tags")
		for _, line := range strings.Split(want, "\n") {
			if !strings.Contains(got, strings.Replace(line, " ", "\t", 1)) {
				t.Fatalf("ls-remote lacks %q:\n%s", line, got)
			}
		}
		if !strings.Contains(got, "HEAD") {
			t.Fatalf("ls-remote lacks HEAD:\n%s", got)
		}
		dst := w.clone(url)
		if w.git(dst, "rev-parse", "v1^{tag}") != w.git(src, "rev-parse", "v1") {
			t.Fatal("annotated tag differs after clone")
		}
		if w.git(dst, "rev-parse", "origin/feature") != w.git(src, "rev-parse", "feature") {
			t.Fatal("branch differs after clone")
		}
		w.fsck(dst)

		// A tag cannot move without force.
		w.git(src, "tag", "-f", "light", "HEAD")
		if out, err := w.try(src, "push", "origin", "refs/tags/light"); err == nil || !strings.Contains(out, "already exists") {
			t.Fatalf("moving a tag without force: err %v\n%s", err, out)
		}
		w.git(src, "push", "-q", "-f", "origin", "refs/tags/light")

		// Delete a branch.
		w.git(src, "push", "-q", "origin", ":feature")
		if strings.Contains(w.git(src, "ls-remote", "origin"), "refs/heads/feature") {
			t.Fatal("deleted branch still listed")
		}
	})
}

func TestForcePushAndLease(t *testing.T) {
	forEach(t, func(t *testing.T, w *world, newURL func() string, _ remoteKind) {
		url := newURL()
		src := w.repo(3)
		w.git(src, "remote", "add", "origin", url)
		w.git(src, "push", "-q", "-u", "origin", "main")
		w.git(src, "reset", "-q", "--hard", "HEAD~1")
		w.commit(src, "diverge.txt", "x\n")

		out, err := w.try(src, "push", "origin", "main")
		if err == nil || !strings.Contains(out, "non-fast-forward") && !strings.Contains(out, "fetch first") {
			t.Fatalf("non-fast-forward push accepted or wrong message: %v\n%s", err, out)
		}
		// A lease naming a stale value is refused.
		stale := w.git(src, "rev-parse", "HEAD~1")
		out, err = w.try(src, "push", "--force-with-lease=main:"+stale, "origin", "main")
		if err == nil || !strings.Contains(out, "stale info") {
			t.Fatalf("force-with-lease with a stale expectation: %v\n%s", err, out)
		}
		w.git(src, "push", "-q", "--force-with-lease", "origin", "main")
		dst := w.clone(url)
		if w.git(dst, "rev-parse", "HEAD") != w.git(src, "rev-parse", "HEAD") {
			t.Fatal("forced push did not land")
		}

		// Protected: no force, no delete.
		if out, err := w.tool("protect", url, "main"); err != nil {
			t.Fatalf("protect: %v\n%s", err, out)
		}
		w.git(src, "reset", "-q", "--hard", "HEAD~1")
		w.commit(src, "again.txt", "y\n")
		if out, err := w.try(src, "push", "-f", "origin", "main"); err == nil || !strings.Contains(out, "protected") {
			t.Fatalf("force push to a protected branch: %v\n%s", err, out)
		}
		if out, err := w.try(src, "push", "origin", ":main"); err == nil || !strings.Contains(out, "protected") {
			t.Fatalf("delete of a protected branch: %v\n%s", err, out)
		}
		if out, err := w.tool("ls", url); err != nil || !strings.Contains(out, "* refs/heads/main") {
			t.Fatalf("ls does not mark the protected branch: %v\n%s", err, out)
		}
		w.tool("unprotect", url, "main")
		w.git(src, "push", "-q", "-f", "origin", "main")
	})
}

func TestConcurrentPushersOneWins(t *testing.T) {
	forEach(t, func(t *testing.T, w *world, newURL func() string, _ remoteKind) {
		url := newURL()
		base := w.repo(2)
		w.git(base, "remote", "add", "origin", url)
		w.git(base, "push", "-q", "origin", "main")
		const n = 4
		clones := make([]string, n)
		for i := range clones {
			clones[i] = w.clone(url)
			w.commit(clones[i], fmt.Sprintf("c%d.txt", i), "mine\n")
		}
		var wg sync.WaitGroup
		outs := make([]string, n)
		errs := make([]error, n)
		for i := range clones {
			wg.Add(1)
			go func() {
				defer wg.Done()
				outs[i], errs[i] = w.try(clones[i], "push", "origin", "main")
			}()
		}
		wg.Wait()
		wins := 0
		for i := range clones {
			if errs[i] == nil {
				wins++
				continue
			}
			if !strings.Contains(outs[i], "fetch first") && !strings.Contains(outs[i], "non-fast-forward") &&
				!strings.Contains(outs[i], "locked by another push") {
				t.Fatalf("loser %d got an unexpected message:\n%s", i, outs[i])
			}
		}
		if wins != 1 {
			t.Fatalf("%d of %d concurrent pushes succeeded, want exactly 1", wins, n)
		}
		// The losers fetch, rebase and push; nothing is lost.
		for i := range clones {
			if errs[i] != nil {
				w.git(clones[i], "pull", "-q", "--rebase", "origin", "main")
				w.git(clones[i], "push", "-q", "origin", "main")
			}
		}
		final := w.clone(url)
		w.fsck(final)
		log := w.git(final, "log", "--format=%s")
		if c := strings.Count(log, "mine"); c != n {
			t.Fatalf("%d of %d pushed commits survive:\n%s", c, n, log)
		}
	})
}
