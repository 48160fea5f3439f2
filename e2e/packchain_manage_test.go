package e2e

import (
	"strings"
	"testing"
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
			if err == nil || !strings.Contains(out, "fatal: cat "+bad) {
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
