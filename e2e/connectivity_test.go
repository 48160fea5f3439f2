package e2e

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestCloneConnectivity: a clone's fetch tells git the pack it installed is
// self-contained and connected ("connectivity-ok", with the pack's .keep as its
// "lock"), so git does not walk the whole history again; git removes the .keep once
// the refs are written, and the clone is whole. A clone that brings several packs is
// checked by git as before.
func TestCloneConnectivity(t *testing.T) {
	forEach(t, func(t *testing.T, w *world, newURL func() string, _ remoteKind) {
		url := newURL()
		src := w.repo(6)
		w.commit(src, "dir/sub/file.txt", "nested\n")
		w.git(src, "push", "-q", url, "main")
		w.setenv("GIT_TRANSPORT_HELPER_DEBUG", "1")
		clone := func() (string, string) {
			dir := filepath.Join(t.TempDir(), "clone")
			out := w.git(w.home, "clone", url, dir)
			if keeps, _ := filepath.Glob(filepath.Join(dir, ".git/objects/pack/*.keep")); len(keeps) > 0 {
				t.Fatalf("left behind: %v", keeps)
			}
			w.fsck(dir)
			return dir, out
		}
		if _, out := clone(); !strings.Contains(out, "<- connectivity-ok") || !strings.Contains(out, "<- lock ") {
			t.Fatalf("the clone's fetch did not vouch for its pack:\n%s", out)
		}
		// More refs, more packs: still a whole clone.
		w.commit(src, "more.txt", "more\n")
		w.git(src, "push", "-q", url, "main:refs/heads/other")
		w.git(src, "tag", "-a", "v1", "-m", "tag", "HEAD~2")
		w.git(src, "push", "-q", url, "v1")
		dir, _ := clone()
		if got, want := w.git(dir, "rev-parse", "origin/other"), w.git(src, "rev-parse", "main"); got != want {
			t.Fatalf("origin/other %s, want %s", got, want)
		}
	})
}

// TestCloneOfAnUnconnectedBundle: a bundle whose pack lacks an object its trees name
// (a damaged or hostile bucket) is not vouched for, so git's own check refuses the
// clone, and nothing of it is left.
func TestCloneOfAnUnconnectedBundle(t *testing.T) {
	forBundle(t, func(t *testing.T, w *world, newURL func() string, _ remoteKind) {
		url := newURL()
		src := w.repo(4)
		w.git(src, "push", "-q", url, "main")
		tip := w.git(src, "rev-parse", "HEAD")
		blob := w.git(src, "rev-parse", "HEAD~3:file0.txt")
		var objects []string
		for _, line := range strings.Split(w.git(src, "rev-list", "--objects", "main"), "\n") {
			if !strings.HasPrefix(line, blob) {
				objects = append(objects, line)
			}
		}
		cmd := exec.Command("git", "pack-objects", "--stdout", "-q")
		cmd.Dir, cmd.Env = src, w.environ()
		cmd.Stdin = strings.NewReader(strings.Join(objects, "\n") + "\n")
		pack, err := cmd.Output()
		if err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		b.WriteString("# v2 git bundle\n" + tip + " refs/heads/main\n\n")
		b.Write(pack)
		putKey(t, bucket(t, url), "refs/heads/main/"+tip+".bundle", b.Bytes())

		w.setenv("GIT_TRANSPORT_HELPER_DEBUG", "1")
		dir := filepath.Join(t.TempDir(), "clone")
		out, err := w.try(w.home, "clone", url, dir)
		if err == nil {
			t.Fatalf("the clone of a pack missing blob %s succeeded:\n%s", blob, out)
		}
		if strings.Contains(out, "connectivity-ok") {
			t.Fatalf("a pack missing blob %s was vouched for:\n%s", blob, out)
		}
		if _, err := os.Stat(dir); err == nil {
			t.Fatalf("the failed clone left %s", dir)
		}
	})
}
