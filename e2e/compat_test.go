package e2e

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestAwslabsLayout builds a bucket exactly as awslabs/git-remote-s3 lays it out (no
// FORMAT; <prefix>/HEAD; <prefix>/<ref>/<sha>.bundle made by `git bundle create` of the
// local ref) and checks that it is listed, cloned and pushed to without migration.
func TestAwslabsLayout(t *testing.T) {
	forBundle(t, func(t *testing.T, w *world, newURL func() string, _ remoteKind) {
		url := strings.TrimSuffix(newURL(), "?engine=bundle")
		src := w.repo(3)
		w.git(src, "branch", "dev", "HEAD~1")
		st := bucket(t, url)
		for _, ref := range []string{"main", "dev"} {
			sha := w.git(src, "rev-parse", ref)
			path := filepath.Join(t.TempDir(), "b.bundle")
			w.git(src, "bundle", "create", "-q", path, ref)
			data, _ := os.ReadFile(path)
			putKey(t, st, "refs/heads/"+ref+"/"+sha+".bundle", data)
		}
		putKey(t, st, "HEAD", []byte("refs/heads/main"))
		putKey(t, st, "refs/heads/main/PROTECTED#", nil)

		ls := w.git(src, "ls-remote", url)
		for _, ref := range []string{"main", "dev"} {
			if !strings.Contains(ls, w.git(src, "rev-parse", ref)+"\trefs/heads/"+ref) {
				t.Fatalf("ls-remote of an awslabs bucket lacks %s:\n%s", ref, ls)
			}
		}
		dst := w.clone(url)
		if w.git(dst, "rev-parse", "HEAD") != w.git(src, "rev-parse", "main") {
			t.Fatal("clone of an awslabs bucket checked out the wrong commit")
		}
		w.fsck(dst)
		old := w.git(dst, "rev-parse", "HEAD")
		tip := w.commit(dst, "new.txt", "pushed by us\n")
		w.git(dst, "push", "-q", "origin", "main")
		got := keys(t, st)
		if !slices.Contains(got, "refs/heads/main/"+tip+".bundle") || slices.Contains(got, "refs/heads/main/"+old+".bundle") {
			t.Fatalf("after our push the ref's bundles are wrong: %v", got)
		}
		if !slices.Contains(got, "refs/heads/main/PROTECTED#") || !slices.Contains(got, "HEAD") {
			t.Fatalf("our push disturbed awslabs markers: %v", got)
		}
		// awslabs' reader takes every key ending .bundle under <prefix>/refs: make sure
		// we left nothing else ending in .bundle, nor any lock.
		for _, k := range got {
			if strings.HasSuffix(k, ".lock") {
				t.Fatalf("lock left behind: %s", k)
			}
		}
	})
}

func TestBadBucketContent(t *testing.T) {
	forBundle(t, func(t *testing.T, w *world, newURL func() string, _ remoteKind) {
		url := newURL()
		src := w.repo(3)
		w.git(src, "push", "-q", url, "main")
		st := bucket(t, url)
		tip := w.git(src, "rev-parse", "HEAD")
		good := getKey(t, st, "refs/heads/main/"+tip+".bundle")

		// An invalid ref name on the bucket is skipped with a warning.
		putKey(t, st, "refs/heads/bad..name/"+tip+".bundle", good)
		out := w.git(src, "ls-remote", url)
		if strings.Contains(out, "\trefs/heads/bad..name") {
			t.Fatalf("invalid ref listed:\n%s", out)
		}
		if o, _ := w.try(src, "ls-remote", url); !strings.Contains(o, "invalid ref name") {
			t.Fatalf("no warning about the invalid ref:\n%s", o)
		}

		// A truncated bundle: fetch fails clearly, the local repository is unchanged.
		dst := w.repo(1)
		before := snapshot(t, dst)
		putKey(t, st, "refs/heads/broken/"+tip+".bundle", good[:len(good)/2])
		o, err := w.try(dst, "fetch", url, "refs/heads/broken:refs/remotes/x/broken")
		if err == nil || !strings.Contains(o, "refs/heads/broken/"+tip+".bundle") {
			t.Fatalf("fetch of a truncated bundle: err %v\n%s", err, o)
		}
		if after := snapshot(t, dst); after != before {
			t.Fatalf("a failed fetch changed the local repository:\nbefore %s\nafter  %s", before, after)
		}
		// A bundle whose pack is damaged in the middle (bit flip).
		bad := slices.Clone(good)
		bad[len(bad)-30] ^= 0xff
		putKey(t, st, "refs/heads/broken/"+tip+".bundle", bad)
		if o, err := w.try(dst, "fetch", url, "refs/heads/broken:refs/remotes/x/broken"); err == nil {
			t.Fatalf("fetch of a damaged bundle succeeded:\n%s", o)
		}
		if after := snapshot(t, dst); after != before {
			t.Fatalf("a failed fetch changed the local repository")
		}

		// Two bundles for one ref: the newest is used, with a warning.
		w.git(src, "push", "-q", url, "main:refs/heads/two")
		time.Sleep(1100 * time.Millisecond) // Last-Modified resolution
		newer := w.commit(src, "n.txt", "newer\n")
		w.git(src, "bundle", "create", "-q", filepath.Join(t.TempDir(), "ignored.bundle"), "main")
		path := filepath.Join(t.TempDir(), "two.bundle")
		w.git(src, "bundle", "create", "-q", path, "main")
		data, _ := os.ReadFile(path)
		putKey(t, st, "refs/heads/two/"+newer+".bundle", data)
		o, _ = w.try(src, "ls-remote", url)
		if !strings.Contains(o, newer+"\trefs/heads/two") || !strings.Contains(o, "2 bundles") {
			t.Fatalf("two bundles: want the newest and a warning:\n%s", o)
		}
	})
}

// snapshot summarises what a fetch could change: refs and the object store's files.
func snapshot(t *testing.T, dir string) string {
	var parts []string
	filepath.Walk(filepath.Join(dir, ".git"), func(p string, fi os.FileInfo, err error) error {
		if err == nil && !fi.IsDir() && (strings.Contains(p, "/objects/") || strings.Contains(p, "/refs/")) {
			parts = append(parts, strings.TrimPrefix(p, dir))
		}
		return nil
	})
	slices.Sort(parts)
	return strings.Join(parts, ",")
}

func TestBadURLs(t *testing.T) {
	w := newWorld(t)
	src := w.repo(1)
	base := "fs+file://" + filepath.Join(t.TempDir(), "b")
	if o, err := w.try(src, "push", base+"?frobnicate=1", "main"); err == nil || !strings.Contains(o, `unknown option "frobnicate"`) {
		t.Fatalf("unknown URL option: %v\n%s", err, o)
	}
	w.git(src, "push", "-q", base+"?engine=bundle", "main")
	if o, err := w.try(src, "push", base+"?engine=packchain", "main"); err == nil || !strings.Contains(o, "already holds a bundle repository") {
		t.Fatalf("wrong engine: %v\n%s", err, o)
	}
}

func TestSubmoduleOnSameBucket(t *testing.T) {
	forEach(t, func(t *testing.T, w *world, newURL func() string, _ remoteKind) {
		subURL, superURL := newURL(), newURL()
		sub := w.repo(2)
		w.git(sub, "push", "-q", subURL, "main")
		super := w.repo(1)
		w.git(super, "submodule", "add", "-q", subURL, "libs/sub")
		w.git(super, "commit", "-q", "-m", "add submodule")
		w.git(super, "push", "-q", superURL, "main")
		dst := filepath.Join(t.TempDir(), "super")
		w.git(w.home, "clone", "-q", "--recurse-submodules", superURL, dst)
		if w.git(filepath.Join(dst, "libs/sub"), "rev-parse", "HEAD") != w.git(sub, "rev-parse", "HEAD") {
			t.Fatal("submodule not checked out at the pushed commit")
		}
	})
}
