package indexer_test

import (
	"bytes"
	"compress/zlib"
	"crypto/sha1"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"git-remote-object-store/gitpack/indexer"
	"git-remote-object-store/gitpack/object"
	"git-remote-object-store/gitpack/pack"
	"git-remote-object-store/internal/testenv"
)

// treePack is a pack, made by git, of n similar trees (so most are deltas: OFS ones, or
// REF ones with ref) and the blob they name.
func treePack(t *testing.T, n int, ref bool) (map[object.Hash]object.Type, []byte) {
	dir := t.TempDir()
	testenv.RunGit(t, dir, "init", "-q", "--bare", ".")
	bh := testenv.RunGitInput(t, dir, []byte("blob\n"), "hash-object", "-w", "--stdin")
	want := map[object.Hash]object.Type{}
	ids := bh + "\n"
	for i := 0; i < n; i++ {
		var tr strings.Builder
		for j := 0; j < 40; j++ {
			fmt.Fprintf(&tr, "100644 blob %s\tfile-%03d-%d\n", bh, j, i*(j%7/6))
		}
		h := testenv.RunGitInput(t, dir, []byte(tr.String()), "mktree")
		id, _ := object.ParseHash(h)
		want[id] = object.Tree
		ids += h + "\n"
	}
	// pack-objects writes REF deltas unless told it may write OFS ones.
	args := []string{"pack-objects", "-q", "--stdout", "--window=50", "--delta-base-offset"}
	if ref {
		args[len(args)-1] = "--no-delta-base-offset"
	}
	cmd := testenv.GitCmd(t, dir, args...)
	cmd.Stdin = strings.NewReader(ids)
	out, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	return want, out
}

// countingCheck is an Options.Check that refuses content not matching its id, and
// counts its calls per object (read the map once indexing is over).
func countingCheck() (func(object.Hash, object.Type, []byte) error, map[object.Hash]int) {
	var mu sync.Mutex
	got := map[object.Hash]int{}
	return func(id object.Hash, typ object.Type, content []byte) error {
		if object.Sum(object.SHA1, typ, content) != id {
			return fmt.Errorf("content of %s does not match", id)
		}
		mu.Lock()
		got[id]++
		mu.Unlock()
		return nil
	}, got
}

// TestCheckSeesEveryObject: Options.Check is given every commit, tree and tag of the
// pack once, whole objects and delta results alike, with the content its id names, and
// no blob; an error from it refuses the pack and leaves nothing behind.
func TestCheckSeesEveryObject(t *testing.T) {
	for _, ref := range []bool{false, true} {
		want, data := treePack(t, 30, ref)
		check, got := countingCheck()
		res, err := indexer.Index(bytes.NewReader(data), t.TempDir(), indexer.Options{Format: object.SHA1, Check: check})
		if err != nil {
			t.Fatal(err)
		}
		for h := range want {
			if got[h] != 1 {
				t.Errorf("ref=%v: %s checked %d times", ref, h, got[h])
			}
		}
		if len(got) != len(want) {
			t.Errorf("ref=%v: %d objects checked, want %d (no blob)", ref, len(got), len(want))
		}
		t.Logf("ref=%v: %d objects, %d checked", ref, res.Objects, len(got))
		dir := t.TempDir()
		refuse := errors.New("refused")
		n := 0
		_, err = indexer.Index(bytes.NewReader(data), dir, indexer.Options{Format: object.SHA1, Threads: 1, Check: func(object.Hash, object.Type, []byte) error {
			if n++; n == 20 {
				return refuse
			}
			return nil
		}})
		if !errors.Is(err, refuse) {
			t.Errorf("ref=%v: err %v, want the check's", ref, err)
		}
		if l := leftovers(t, dir); len(l) != 0 {
			t.Errorf("ref=%v: left %v", ref, l)
		}
	}
}

// TestStageThenInstall: Stage leaves the verified pack under temporary names, which
// Install renames (pack, then index) and Remove deletes; Strict refuses a pack holding
// an object twice with git's words (the index writer refuses it anyway).
func TestStageThenInstall(t *testing.T) {
	data := samplePack(t)
	dir := t.TempDir()
	st, err := indexer.Stage(bytes.NewReader(data), dir, indexer.Options{Format: object.SHA1})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(st.IdxPath); err == nil {
		t.Fatal("the index is in place before Install")
	}
	for _, p := range []string{st.TmpPack, st.TmpIdx} {
		if b := filepath.Base(p); b[:4] != "tmp_" {
			t.Errorf("staged as %s, not a tmp_ name", b)
		}
	}
	if err := st.Install(); err != nil {
		t.Fatal(err)
	}
	if l := leftovers(t, dir); len(l) != 2 || filepath.Join(dir, l[0]) != st.IdxPath || filepath.Join(dir, l[1]) != st.PackPath {
		t.Errorf("after Install: %v", l)
	}
	st2, err := indexer.Stage(bytes.NewReader(data), dir, indexer.Options{Format: object.SHA1})
	if err != nil {
		t.Fatal(err)
	}
	st2.Remove()
	if l := leftovers(t, dir); len(l) != 2 {
		t.Errorf("after Remove: %v", l)
	}

	// The same blob twice.
	var b bytes.Buffer
	b.WriteString("PACK\x00\x00\x00\x02\x00\x00\x00\x02")
	for range 2 {
		b.Write(pack.AppendEntryHeader(nil, object.Blob, 6))
		zw := zlib.NewWriter(&b)
		zw.Write([]byte("twice\n"))
		zw.Close()
	}
	sum := sha1.Sum(b.Bytes())
	b.Write(sum[:])
	_, err = indexer.Index(bytes.NewReader(b.Bytes()), t.TempDir(), indexer.Options{Format: object.SHA1, Strict: true})
	if !errors.Is(err, indexer.ErrBadPack) || !strings.Contains(err.Error(), "appears twice in the pack") {
		t.Errorf("Strict: err %v, want git's \"the same object … appears twice in the pack\"", err)
	}
}
