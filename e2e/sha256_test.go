package e2e

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestSHA256Repository: a repository made with --object-format=sha256 pushes, clones
// (the clone comes out sha256 because the helper says the remote's format), pushes back
// incrementally, fetches and verifies with git fsck, on both engines. A bundle on the
// bucket is one git itself verifies (v3, @object-format=sha256).
func TestSHA256Repository(t *testing.T) {
	forEach(t, func(t *testing.T, w *world, newURL func() string, _ remoteKind) {
		url := newURL()
		src := w.repo256(3)
		w.git(src, "tag", "-a", "-m", "first", "v1")
		w.git(src, "push", "-q", url, "main", "v1")

		dst := w.clone(url)
		if got := w.git(dst, "rev-parse", "--show-object-format"); got != "sha256" {
			t.Fatalf("the clone of a sha256 remote is %s", got)
		}
		if got, want := w.git(dst, "rev-parse", "HEAD", "v1"), w.git(src, "rev-parse", "HEAD", "v1"); got != want {
			t.Fatalf("clone has\n%s\nwant\n%s", got, want)
		}
		w.fsck(dst)

		// Back and forth: an incremental push from the clone, a fetch into the source.
		tip := w.commit(dst, "later.txt", "from the clone\n")
		w.git(dst, "push", "-q", "origin", "main")
		w.git(src, "fetch", "-q", url, "main")
		if got := w.git(src, "rev-parse", "FETCH_HEAD"); got != tip {
			t.Fatalf("fetched %s, want %s", got, tip)
		}
		w.fsck(src)

		if strings.Contains(url, "engine=packchain") {
			return
		}
		bundle := filepath.Join(t.TempDir(), "main.bundle")
		os.WriteFile(bundle, getKey(t, bucket(t, url), "refs/heads/main/"+tip+".bundle"), 0o644)
		w.git(src, "bundle", "verify", "-q", bundle)
	})
}

// TestObjectFormatMismatch: git cannot move objects between sha1 and sha256
// repositories, so a fetch or push across formats is refused before anything moves, with
// one line saying why, in both directions; the remote and the local repository are as
// they were.
func TestObjectFormatMismatch(t *testing.T) {
	forEach(t, func(t *testing.T, w *world, newURL func() string, _ remoteKind) {
		cases := []struct {
			name       string
			remoteRepo func() string // what is pushed to the remote first
			localRepo  func() string // what then fetches from and pushes to it
			remote     string        // the remote's format in the message
			local      string
		}{
			{"sha1 repository, sha256 remote", func() string { return w.repo256(2) }, func() string { return w.repo(1) }, "sha256", "sha1"},
			{"sha256 repository, sha1 remote", func() string { return w.repo(2) }, func() string { return w.repo256(1) }, "sha1", "sha256"},
		}
		for _, c := range cases {
			url := newURL()
			w.git(c.remoteRepo(), "push", "-q", url, "main")
			st := bucket(t, url)
			before := keys(t, st)
			local := c.localRepo()
			refsBefore := w.git(local, "for-each-ref")
			want := "mismatched object formats: the remote is " + c.remote + ", this repository " + c.local +
				" (clone the remote into a new repository, or push to an empty remote)"

			out, err := w.try(local, "fetch", url, "main:refs/remotes/r/main")
			if err == nil || !strings.Contains(out, want) {
				t.Fatalf("%s: fetch: err %v\n%s\nwant %q", c.name, err, out, want)
			}
			out, err = w.try(local, "push", url, "main:refs/heads/other")
			if err == nil || !strings.Contains(out, want) {
				t.Fatalf("%s: push: err %v\n%s\nwant %q", c.name, err, out, want)
			}
			if after := keys(t, st); !slices.Equal(after, before) {
				t.Fatalf("%s: the refused push changed the remote:\n%v\nwas:\n%v", c.name, after, before)
			}
			if after := w.git(local, "for-each-ref"); after != refsBefore {
				t.Fatalf("%s: the refused fetch changed the local refs:\n%s\nwere:\n%s", c.name, after, refsBefore)
			}
			w.fsck(local)
		}
	})
}

// repo256 is repo for a sha256 repository.
func (w *world) repo256(n int) string {
	dir := filepath.Join(w.t.TempDir(), "work256")
	w.git(w.home, "init", "-q", "--object-format=sha256", dir)
	for i := 0; i < n; i++ {
		w.commit(dir, "file.txt", "content "+strings.Repeat("x", i)+"\n")
	}
	return dir
}
