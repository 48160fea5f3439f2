package e2e

import (
	"archive/zip"
	"bytes"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"git-remote-object-store/remote"
	"git-remote-object-store/store"
)

// bucket opens the store behind url, scoped to its prefix, as the tool sees it.
func bucket(t *testing.T, url string) store.Store {
	t.Helper()
	r, err := remote.Open(t.Context(), url)
	if err != nil {
		t.Fatalf("open %s: %v", url, err)
	}
	return r.Store
}

func getKey(t *testing.T, st store.Store, key string) []byte {
	t.Helper()
	rc, _, err := st.Get(t.Context(), key, nil)
	if err != nil {
		t.Fatalf("get %s: %v", key, err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func putKey(t *testing.T, st store.Store, key string, data []byte) {
	t.Helper()
	if _, err := st.Put(t.Context(), key, bytes.NewReader(data), int64(len(data)), store.Cond{}); err != nil {
		t.Fatalf("put %s: %v", key, err)
	}
}

func keys(t *testing.T, st store.Store) []string {
	var out []string
	st.List(t.Context(), "", func(i store.Info) error {
		if !strings.HasPrefix(i.Key, ".gros/") {
			out = append(out, i.Key)
		}
		return nil
	})
	return out
}

func TestBundleOnBucketClonesWithPlainGit(t *testing.T) {
	forBundle(t, func(t *testing.T, w *world, newURL func() string, _ remoteKind) {
		url := newURL()
		src := w.repo(3)
		w.git(src, "push", "-q", url, "main")
		tip := w.git(src, "rev-parse", "HEAD")
		data := getKey(t, bucket(t, url), "refs/heads/main/"+tip+".bundle")
		path := filepath.Join(t.TempDir(), "main.bundle")
		os.WriteFile(path, data, 0o644)
		w.git(src, "bundle", "verify", "-q", path)
		dst := filepath.Join(t.TempDir(), "plain")
		w.git(w.home, "clone", "-q", path, dst)
		if got := w.git(dst, "rev-parse", "HEAD"); got != tip {
			t.Fatalf("plain clone of the bucket's bundle: HEAD %s, want %s", got, tip)
		}
	})
}

func TestZipMirrorEqualsGitArchive(t *testing.T) {
	forEach(t, func(t *testing.T, w *world, newURL func() string, _ remoteKind) {
		url := newURL() + "&zip=1"
		src := w.repo(2)
		os.WriteFile(filepath.Join(src, "run.sh"), []byte("#!/bin/sh\necho hi\n"), 0o755)
		os.MkdirAll(filepath.Join(src, "deep/dir"), 0o755)
		os.WriteFile(filepath.Join(src, "deep/dir/x.txt"), []byte("x\n"), 0o644)
		os.Symlink("deep/dir/x.txt", filepath.Join(src, "link"))
		// .gitattributes shape the mirror as they shape git archive's output.
		os.WriteFile(filepath.Join(src, ".gitattributes"), []byte("secret.txt export-ignore\n*.in export-subst\n"), 0o644)
		os.WriteFile(filepath.Join(src, "secret.txt"), []byte("not for the pipeline\n"), 0o644)
		os.WriteFile(filepath.Join(src, "version.in"), []byte("$Format:%H %ci %an$\n"), 0o644)
		w.git(src, "add", "-A")
		w.git(src, "commit", "-q", "-m", "Ünïcode subject\twith tab")
		w.git(src, "push", "-q", url, "main")
		ours := getKey(t, bucket(t, url), "refs/heads/main/repo.zip")
		cmd := exec.Command("git", "archive", "--format=zip", "HEAD")
		cmd.Dir, cmd.Env = src, w.environ()
		theirs, err := cmd.Output()
		if err != nil {
			t.Fatal(err)
		}
		if a, b := zipSummary(t, ours), zipSummary(t, theirs); a != b {
			t.Fatalf("repo.zip differs from git archive:\nours:\n%s\ngit:\n%s", a, b)
		}
		if sum := zipSummary(t, ours); strings.Contains("\n"+sum, "\nsecret.txt ") || strings.Contains(sum, "$Format") {
			t.Fatalf("repo.zip ignores .gitattributes:\n%s", sum)
		}
		// A deleted branch takes its mirror with it.
		st := bucket(t, url)
		w.git(src, "push", "-q", url, "main:refs/heads/side")
		getKey(t, st, "refs/heads/side/repo.zip")
		w.git(src, "push", "-q", url, ":side")
		if _, err := st.Head(t.Context(), "refs/heads/side/repo.zip"); !store.IsNotFound(err) {
			t.Fatalf("the deleted branch's zip mirror is still there (%v)", err)
		}
	})
}

// zipSummary lists name, mode and content of each entry, sorted.
func zipSummary(t *testing.T, data []byte) string {
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatalf("not a zip: %v", err)
	}
	var lines []string
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(rc)
		rc.Close()
		mode := f.Mode()
		if mode.IsRegular() {
			mode &= 0o111 // git archive writes 0644/0755; only the executable bit is meaningful
		}
		lines = append(lines, f.Name+" "+mode.String()+" "+string(b))
	}
	sort.Strings(lines)
	return strings.Join(lines, "\n")
}
