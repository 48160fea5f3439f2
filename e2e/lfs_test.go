package e2e

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"git-remote-object-store/internal/testenv"
	"git-remote-object-store/store"
)

// writeRandom writes size seeded pseudo-random bytes to path and returns their sha256.
func writeRandom(t *testing.T, path string, size int64, seed uint64) string {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h := sha256.New()
	src := rand.NewChaCha8([32]byte{byte(seed)})
	if _, err := io.CopyN(io.MultiWriter(f, h), src, size); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(h.Sum(nil))
}

func fileSum(t *testing.T, path string) string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h := sha256.New()
	io.Copy(h, f)
	return hex.EncodeToString(h.Sum(nil))
}

func lfsKeys(t *testing.T, st store.Store) map[string]store.Info {
	out := map[string]store.Info{}
	if err := st.List(t.Context(), "lfs/", func(i store.Info) error { out[i.Key] = i; return nil }); err != nil {
		t.Fatal(err)
	}
	return out
}

// lfsWorld is a world whose HOME has git-lfs's filters installed, as a user's would.
func lfsWorld(t *testing.T, w *world) {
	testenv.GitLFS(t)
	w.git(w.home, "lfs", "install", "--skip-repo")
}

// lfsRepo makes a repository tracking *.bin with LFS, holding file=content, with
// origin = url, and pushes main there.
func (w *world) lfsRepo(url, file, content string) string {
	w.t.Helper()
	src := w.repo(1)
	w.git(src, "lfs", "track", "*.bin")
	os.WriteFile(filepath.Join(src, file), []byte(content), 0o644)
	w.git(src, "add", "-A")
	w.git(src, "commit", "-q", "-m", file)
	w.git(src, "remote", "add", "origin", url)
	w.git(src, "push", "-q", "origin", "main")
	return src
}

func TestLFS(t *testing.T) {
	forPackchain(t, func(t *testing.T, w *world, newURL func() string, _ remoteKind) {
		lfsWorld(t, w)
		url := newURL()
		src := w.repo(1)
		w.git(src, "lfs", "track", "*.bin")
		small := []byte("a small LFS object\n")
		os.WriteFile(filepath.Join(src, "small.bin"), small, 0o644)
		bigSum := writeRandom(t, filepath.Join(src, "big.bin"), 100<<20, 1)
		w.git(src, "add", "-A")
		w.git(src, "commit", "-q", "-m", "lfs files")
		w.git(src, "remote", "add", "origin", url)
		if out, err := w.toolIn(src, "lfs", "install", "--remote", "origin"); err != nil {
			t.Fatalf("lfs install: %v\n%s", err, out)
		}
		w.git(src, "push", "-q", "origin", "main")
		st := bucket(t, url)
		keys := lfsKeys(t, st)
		smallSum := sha256.Sum256(small)
		if len(keys) != 2 || keys["lfs/"+bigSum].Size != 100<<20 || keys["lfs/"+hex.EncodeToString(smallSum[:])].Size != int64(len(small)) {
			t.Fatalf("bucket LFS objects after push: %v", keys)
		}

		// A plain clone smudges the real contents with no extra command.
		dst := w.clone(url)
		if got := fileSum(t, filepath.Join(dst, "big.bin")); got != bigSum {
			t.Fatalf("cloned big.bin hashes to %s, want %s", got, bigSum)
		}
		if got, _ := os.ReadFile(filepath.Join(dst, "small.bin")); !bytes.Equal(got, small) {
			t.Fatalf("cloned small.bin = %q", got)
		}

		// Modify and push again: only the new object is uploaded.
		bigInfo := keys["lfs/"+bigSum]
		os.WriteFile(filepath.Join(src, "small.bin"), []byte("changed\n"), 0o644)
		w.git(src, "commit", "-q", "-am", "change small")
		w.git(src, "push", "-q", "origin", "main")
		after := lfsKeys(t, st)
		changed := sha256.Sum256([]byte("changed\n"))
		if len(after) != 3 || after["lfs/"+hex.EncodeToString(changed[:])].Size != 8 {
			t.Fatalf("after the second push: %v", after)
		}
		if !after["lfs/"+bigSum].LastModified.Equal(bigInfo.LastModified) {
			t.Fatal("the unchanged 100 MiB object was uploaded again")
		}
		w.git(dst, "pull", "-q", "--ff-only")
		if got, _ := os.ReadFile(filepath.Join(dst, "small.bin")); string(got) != "changed\n" {
			t.Fatalf("pulled small.bin = %q", got)
		}
	})
}

// A second remote that is not ours keeps its own LFS server.
func TestLFSOtherRemoteUntouched(t *testing.T) {
	forPackchain(t, func(t *testing.T, w *world, newURL func() string, _ remoteKind) {
		lfsWorld(t, w)
		var mu sync.Mutex
		var hits []string
		srv := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
			mu.Lock()
			hits = append(hits, r.Method+" "+r.URL.Path)
			mu.Unlock()
			http.Error(rw, "not a real LFS server", http.StatusNotImplemented)
		}))
		defer srv.Close()
		url := newURL()
		src := w.lfsRepo(url, "x.bin", "x\n") // auto-configured: the repository uses LFS
		w.git(src, "remote", "add", "github", srv.URL+"/team/repo.git")
		if got := w.git(src, "config", "remote.origin.lfsurl"); !strings.HasPrefix(got, "https://git-remote-object-store.invalid/") {
			t.Fatalf("remote.origin.lfsurl = %q, want our endpoint", got)
		}
		oid := w.git(src, "lfs", "ls-files", "--long")[:64]
		out, err := w.try(src, "lfs", "push", "--object-id", "github", oid)
		if err == nil {
			t.Fatalf("pushing to a server that refuses everything succeeded:\n%s", out)
		}
		mu.Lock()
		defer mu.Unlock()
		if len(hits) == 0 || !strings.Contains(strings.Join(hits, " "), "/team/repo.git/info/lfs/objects/batch") {
			t.Fatalf("git-lfs did not talk to the other remote's own LFS API (hits %v):\n%s", hits, out)
		}
		for _, h := range hits {
			if strings.Contains(h, "object-store") {
				t.Fatalf("unexpected request %s", h)
			}
		}
	})
}

// A damaged or missing object on the bucket is a clear error naming the oid, and
// nothing damaged reaches the working tree.
func TestLFSBadBucketObjects(t *testing.T) {
	forPackchain(t, func(t *testing.T, w *world, newURL func() string, _ remoteKind) {
		lfsWorld(t, w)
		url := newURL()
		src := w.lfsRepo(url, "a.bin", "version one\n")
		dst := w.clone(url)

		good := []byte("version two\n")
		os.WriteFile(filepath.Join(src, "a.bin"), good, 0o644)
		w.git(src, "commit", "-q", "-am", "a2")
		w.git(src, "push", "-q", "origin", "main")
		sum := sha256.Sum256(good)
		oid := hex.EncodeToString(sum[:])
		st := bucket(t, url)
		evil := []byte("VERSION TWO\n") // same size, other content
		putKey(t, st, "lfs/"+oid, evil)

		out, err := w.try(dst, "pull", "-q", "--ff-only")
		t.Logf("pull of a damaged object:\n%s", out)
		if err == nil || !strings.Contains(out, oid) || !strings.Contains(out, "damaged") {
			t.Fatalf("pulling a damaged object: %v\n%s", err, out)
		}
		if got, _ := os.ReadFile(filepath.Join(dst, "a.bin")); bytes.Equal(got, evil) {
			t.Fatal("the damaged content reached the working tree")
		}
		if _, err := os.Stat(filepath.Join(dst, ".git", "lfs", "objects", oid[:2], oid[2:4], oid)); err == nil {
			t.Fatal("the damaged object was stored in .git/lfs/objects")
		}

		// Missing: a clear error naming the oid.
		st.Delete(t.Context(), "lfs/"+oid)
		other := filepath.Join(t.TempDir(), "other")
		out, err = w.try(w.home, "clone", "-q", url, other)
		if err == nil && !strings.Contains(out, oid) {
			// git clone may succeed with the checkout failing; either way the oid is named.
			t.Fatalf("cloning with a missing object said nothing about it:\n%s", out)
		}
		t.Logf("clone with a missing object:\n%s", out)
		if !strings.Contains(out, oid) || !strings.Contains(out, "not on the remote") {
			t.Fatalf("missing object: %v\n%s", err, out)
		}
	})
}

// A remote whose URL holds a space (a synced "My Drive" folder) still routes LFS to us:
// git-lfs looks settings up under the escaped URL.
func TestLFSRemoteURLWithSpace(t *testing.T) {
	w := newWorld(t)
	lfsWorld(t, w)
	url := "fs+file://" + mkdir(t, t.TempDir(), "My Drive") + "/repo?engine=packchain"
	w.lfsRepo(url, "x.bin", "spaced\n")
	dst := w.clone(url)
	if got, _ := os.ReadFile(filepath.Join(dst, "x.bin")); string(got) != "spaced\n" {
		t.Fatalf("x.bin = %q after a clone from a URL with a space", got)
	}
}
