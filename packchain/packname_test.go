package packchain

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"git-remote-object-store/engine"
	"git-remote-object-store/gitpack/object"
	"git-remote-object-store/internal/testenv"
	"git-remote-object-store/store"
)

// rivalStore lets another push create a pack key first: the first create-only write of
// a .pack is preceded by rival's bytes under the same key, as when a push of the same
// objects from another clone lands while this one is uploading.
type rivalStore struct {
	store.Store
	rival []byte
	done  atomic.Bool
	key   string
}

func (s *rivalStore) Put(ctx context.Context, key string, body io.Reader, size int64, c store.Cond) (store.Info, error) {
	if c.IfNoneMatch && strings.HasPrefix(key, PacksPrefix) && strings.HasSuffix(key, ".pack") && s.done.CompareAndSwap(false, true) {
		s.key = key
		if _, err := s.Store.Put(ctx, key, bytes.NewReader(s.rival), int64(len(s.rival)), store.Cond{}); err != nil {
			return store.Info{}, err
		}
	}
	return s.Store.Put(ctx, key, body, size, c)
}

// TestPushLosesItsSetNameMidUpload: when the set-named key is created by someone else
// while the pack streams, the push neither replaces it nor fails: its pack goes up under
// its trailer, the manifest names that, and a fetch gets every object.
func TestPushLosesItsSetNameMidUpload(t *testing.T) {
	isolateGitConfig(t)
	src := t.TempDir()
	testenv.RunGit(t, src, "init", "-q", "-b", "main")
	for i := range 5 {
		os.WriteFile(filepath.Join(src, "f.txt"), []byte(strings.Repeat("line\n", i+1)), 0o644)
		testenv.RunGit(t, src, "add", "-A")
		testenv.RunGit(t, src, "-c", "user.name=T", "-c", "user.email=t@e", "commit", "-q", "-m", "version")
	}
	tip := strings.TrimSpace(testenv.RunGit(t, src, "rev-parse", "HEAD"))
	rival := []byte("PACK the other push's bytes")
	st := &rivalStore{Store: testenv.FSStore(t), rival: rival}
	pushCommits(t, st, src, [2]string{"main", tip})
	if !st.done.Load() {
		t.Fatal("the push never created a set-named pack key")
	}
	if got, _, err := st.Store.Get(t.Context(), st.key, nil); err != nil {
		t.Fatal(err)
	} else if b, _ := io.ReadAll(got); got.Close() == nil && !bytes.Equal(b, rival) {
		t.Fatalf("the push replaced the rival's %s", st.key)
	}
	m, _, err := New(engine.Config{Store: st}).load(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Packs) != 1 || packKey(m.Packs[0].Name) == st.key {
		t.Fatalf("manifest packs %+v; the rival holds %s", m.Packs, st.key)
	}
	repo, dir := fetchInto(t)
	h, _ := object.ParseHash(tip)
	if err := New(engine.Config{Store: st, Repo: repo}).Fetch(t.Context(), []engine.Ref{{Name: "refs/heads/main", Hash: h}}, engine.Options{}); err != nil {
		t.Fatal(err)
	}
	testenv.RunGit(t, dir, "update-ref", "refs/heads/main", tip)
	gitFsckClean(t, dir)
}

// TestPushIdx: the .idx a push uploads, made in memory while the pack's upload ends or
// streamed when it would be too large to hold, is byte for byte what git index-pack
// makes of the pack on the bucket.
func TestPushIdx(t *testing.T) {
	isolateGitConfig(t)
	src := t.TempDir()
	testenv.RunGit(t, src, "init", "-q", "-b", "main")
	for i := range 8 {
		os.WriteFile(filepath.Join(src, "f.txt"), []byte(strings.Repeat("line\n", 50*(i+1))), 0o644)
		testenv.RunGit(t, src, "add", "-A")
		testenv.RunGit(t, src, "-c", "user.name=T", "-c", "user.email=t@e", "commit", "-q", "-m", "version")
	}
	tip := strings.TrimSpace(testenv.RunGit(t, src, "rev-parse", "HEAD"))
	for _, tt := range []struct {
		name string
		max  int64
	}{{"made ahead", idxAheadMax}, {"streamed", 0}} {
		t.Run(tt.name, func(t *testing.T) {
			defer func(was int64) { idxAheadMax = was }(idxAheadMax)
			idxAheadMax = tt.max
			st := testenv.FSStore(t)
			pushCommits(t, st, src, [2]string{"main", tip})
			m, _, err := New(engine.Config{Store: st}).load(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			if len(m.Packs) != 1 {
				t.Fatalf("manifest packs %+v", m.Packs)
			}
			read := func(key string) []byte {
				rc, _, err := st.Get(t.Context(), key, nil)
				if err != nil {
					t.Fatal(err)
				}
				defer rc.Close()
				b, err := io.ReadAll(rc)
				if err != nil {
					t.Fatal(err)
				}
				return b
			}
			dir := t.TempDir()
			pf := filepath.Join(dir, "p.pack")
			if err := os.WriteFile(pf, read(packKey(m.Packs[0].Name)), 0o644); err != nil {
				t.Fatal(err)
			}
			testenv.RunGit(t, dir, "index-pack", pf)
			want, err := os.ReadFile(filepath.Join(dir, "p.idx"))
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(read(idxKey(m.Packs[0].Name)), want) {
				t.Fatal("the uploaded .idx differs from git index-pack's")
			}
		})
	}
}
