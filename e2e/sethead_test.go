package e2e

import (
	"strings"
	"testing"
)

// TestSetHead: `git object-store set-head <url> <branch>` changes what a clone checks
// out, on both engines; a branch the remote lacks, or a tag, is refused and changes
// nothing.
func TestSetHead(t *testing.T) {
	forEach(t, func(t *testing.T, w *world, newURL func() string, _ remoteKind) {
		url := newURL()
		src := w.repo(2)
		w.git(src, "branch", "dev")
		w.git(src, "tag", "v1")
		w.git(src, "push", "-q", url, "main", "dev", "v1")
		if got := w.git(w.clone(url), "symbolic-ref", "HEAD"); got != "refs/heads/main" {
			t.Fatalf("a clone checks out %s before set-head, want refs/heads/main", got)
		}

		out, err := w.tool("set-head", url, "dev")
		if err != nil || !strings.Contains(out, "refs/heads/dev is now the remote's default branch") {
			t.Fatalf("set-head dev: %v\n%s", err, out)
		}
		if got := w.git(w.clone(url), "symbolic-ref", "HEAD"); got != "refs/heads/dev" {
			t.Fatalf("after set-head dev a clone checks out %s", got)
		}
		if got := w.git(w.home, "ls-remote", "--symref", url, "HEAD"); !strings.HasPrefix(got, "ref: refs/heads/dev\tHEAD") {
			t.Fatalf("ls-remote --symref HEAD after set-head:\n%s", got)
		}

		for _, bad := range []struct{ arg, want string }{
			{"nosuch", "no such branch on the remote: refs/heads/nosuch"},
			{"refs/tags/v1", "refs/tags/v1 is not a branch"},
		} {
			out, err := w.tool("set-head", url, bad.arg)
			if err == nil || !strings.Contains(out, bad.want) {
				t.Fatalf("set-head %s: err %v, output:\n%s\nwant it refused with %q", bad.arg, err, out, bad.want)
			}
			if got := w.git(w.clone(url), "symbolic-ref", "HEAD"); got != "refs/heads/dev" {
				t.Fatalf("a refused set-head %s moved HEAD to %s", bad.arg, got)
			}
		}
	})
}
