package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestLsRemoteOutsideRepository: `git ls-remote <url>` in a directory that is no
// repository (a CI gate, a script asking "does it exist?") lists exactly what a clone's
// ls-remote lists; the helper opens no local repository for it and creates none.
func TestLsRemoteOutsideRepository(t *testing.T) {
	forEach(t, func(t *testing.T, w *world, newURL func() string, _ remoteKind) {
		url := newURL()
		src := w.repo(3)
		w.git(src, "tag", "-a", "-m", "release", "v1")
		w.git(src, "push", "-q", url, "main", "v1")

		nowhere := mkdir(t, t.TempDir(), "nowhere")
		w.setenv("GIT_CEILING_DIRECTORIES", filepath.Dir(nowhere))
		got := w.git(nowhere, "ls-remote", url)
		want := w.git(w.clone(url), "ls-remote", url)
		if got != want || !strings.Contains(got, "refs/heads/main") || !strings.Contains(got, "refs/tags/v1") {
			t.Fatalf("ls-remote outside a repository:\n%s\nwant (from a clone):\n%s", got, want)
		}
		if entries, _ := os.ReadDir(nowhere); len(entries) != 0 {
			t.Fatalf("ls-remote left %d entries in the directory it ran in", len(entries))
		}

		// An empty remote lists nothing and succeeds, as git's own servers do.
		if out := w.git(nowhere, "ls-remote", newURL()); out != "" {
			t.Fatalf("ls-remote of an empty remote printed %q", out)
		}
	})
}
