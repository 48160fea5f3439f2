package e2e

import (
	"strings"
	"testing"
)

// TestVerbsTakeRemoteNames: every management verb takes the name of a remote of the
// repository it runs in, as awslabs' CLI does, and acts on that remote's URL.
func TestVerbsTakeRemoteNames(t *testing.T) {
	forBundle(t, func(t *testing.T, w *world, newURL func() string, _ remoteKind) {
		src := w.repo(2)
		w.git(src, "remote", "add", "origin", newURL())
		w.git(src, "push", "-q", "origin", "main", "main:refs/heads/dev")
		for _, args := range [][]string{
			{"protect", "origin", "main"},
			{"ls", "origin"},
			{"unprotect", "origin", "main"},
			{"set-head", "origin", "dev"},
			{"delete-branch", "--force", "origin", "main"},
			{"doctor", "origin"},
		} {
			out, err := w.toolIn(src, args...)
			if err != nil {
				t.Fatalf("%v: %v\n%s", args, err, out)
			}
			// ls marks a protected branch with "*".
			if args[0] == "ls" && !strings.Contains(out, "* refs/heads/main") {
				t.Fatalf("ls origin:\n%s", out)
			}
		}
		if got := w.git(src, "ls-remote", "--symref", "origin", "HEAD"); !strings.Contains(got, "ref: refs/heads/dev\tHEAD") {
			t.Fatalf("after set-head origin dev: %s", got)
		}
		if got := w.git(src, "ls-remote", "origin", "refs/heads/main"); got != "" {
			t.Fatalf("after delete-branch origin main: %s", got)
		}
	})
}
