package packchain

import (
	"context"
	"crypto/rand"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"git-remote-object-store/engine"
	"git-remote-object-store/gitpack"
	"git-remote-object-store/gitpack/object"
	"git-remote-object-store/internal/testenv"
	"git-remote-object-store/store"
)

// countingStore counts the bytes every Get returns.
type countingStore struct {
	store.Store
	read atomic.Int64
	gets atomic.Int64
}

func (c *countingStore) Get(ctx context.Context, key string, r *store.Range) (io.ReadCloser, store.Info, error) {
	rc, info, err := c.Store.Get(ctx, key, r)
	if err != nil {
		return rc, info, err
	}
	c.gets.Add(1)
	return countingBody{rc, &c.read}, info, nil
}

type countingBody struct {
	io.ReadCloser
	n *atomic.Int64
}

func (b countingBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	b.n.Add(int64(n))
	return n, err
}

// TestShallowFetchReadsLittle: a depth-1 fetch reads the tip's objects by range out of
// the packs instead of downloading them: here the history is 40 versions of a 64 KiB
// incompressible file, in one pack and in several, and the fetch reads a small part of
// it; the repository is shallow, complete above its boundary, and git fsck is clean.
func TestShallowFetchReadsLittle(t *testing.T) {
	isolateGitConfig(t)
	src := t.TempDir()
	testenv.RunGit(t, src, "init", "-q", "-b", "main")
	var tips []string
	for i := range 40 {
		data := make([]byte, 64<<10)
		rand.Read(data)
		os.WriteFile(filepath.Join(src, "data.bin"), data, 0o644)
		os.WriteFile(filepath.Join(src, "small.txt"), []byte(strings.Repeat("line\n", i+1)), 0o644)
		testenv.RunGit(t, src, "add", "-A")
		testenv.RunGit(t, src, "-c", "user.name=T", "-c", "user.email=t@e", "commit", "-q", "-m", "version")
		tips = append(tips, strings.TrimSpace(testenv.RunGit(t, src, "rev-parse", "HEAD")))
	}
	for _, layout := range []struct {
		name   string
		pushes [][2]string
	}{
		{"one pack", [][2]string{{"main", tips[39]}}},
		{"four packs", [][2]string{{"main", tips[9]}, {"main", tips[19]}, {"main", tips[29]}, {"main", tips[39]}}},
	} {
		t.Run(layout.name, func(t *testing.T) {
			st := &countingStore{Store: testenv.FSStore(t)}
			pushCommits(t, st.Store, src, layout.pushes...)
			var total int64
			st.Store.List(t.Context(), PacksPrefix, func(i store.Info) error {
				total += i.Size
				return nil
			})
			repo, dir := fetchInto(t)
			tip, _ := object.ParseHash(tips[39])
			err := New(engine.Config{Store: st, Repo: repo}).Fetch(t.Context(), []engine.Ref{{Name: "refs/heads/main", Hash: tip}},
				engine.Options{Deepen: gitpack.Deepen{Depth: 1}})
			if err != nil {
				t.Fatal(err)
			}
			if read := st.read.Load(); read > total/5 {
				t.Errorf("a depth-1 fetch read %d bytes of %d in the packs (%d requests)", read, total, st.gets.Load())
			}
			t.Logf("depth 1: read %d of %d bytes in %d requests", st.read.Load(), total, st.gets.Load())
			if got, _ := os.ReadFile(filepath.Join(dir, "shallow")); strings.TrimSpace(string(got)) != tips[39] {
				t.Fatalf("shallow file %q, want %s", got, tips[39])
			}
			testenv.RunGit(t, dir, "update-ref", "refs/heads/main", tips[39])
			gitFsckClean(t, dir)
			if n := strings.TrimSpace(testenv.RunGit(t, dir, "rev-list", "--count", "main")); n != "1" {
				t.Fatalf("%s commits after a depth-1 fetch", n)
			}
		})
	}
}
