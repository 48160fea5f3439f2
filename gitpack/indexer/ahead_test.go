package indexer_test

import (
	"bytes"
	"errors"
	"os"
	"sync"
	"testing"

	"git-remote-object-store/gitpack/indexer"
	"git-remote-object-store/gitpack/object"
	"git-remote-object-store/gitpack/pack"
)

// aheadModes are the ways deltas may be resolved while the pack is received: not at
// all, all that can be with room for every base, with room for one base only (so bases
// are let go and later deltas on them left for resolveAll), and racing the receiver as
// in production.
var aheadModes = []struct {
	name  string
	cache int64
	sync  bool
}{
	{"off", -1, false},
	{"all", 0, true},
	{"one base", 1, true},
	{"racing", 0, false},
}

// TestIndexAhead: whatever is resolved while receiving, and whoever hashes the whole
// objects (ahead takes them all when it keeps up), the .idx is the same, every
// commit, tree and tag is checked exactly once with its content, the pack is found
// self-contained, and each delta is applied at most twice (once ahead, once again only
// to rebuild a base ahead let go).
func TestIndexAhead(t *testing.T) {
	gitPack, gitIdx := gitDeltaPack(t, true)
	_, treeOFS := treePack(t, 30, false)
	chain, _ := shapedPack(shape{side: 2}, 1<<10, 40)
	forks, _ := shapedPack(shape{side: 2, fork: true}, 1<<10, 20)
	for _, p := range []struct {
		name string
		data []byte
	}{{"git history", gitPack}, {"trees", treeOFS}, {"chain with branches", chain}, {"forks", forks}} {
		t.Run(p.name, func(t *testing.T) {
			var want []byte
			var wantChecked map[object.Hash]int
			for _, m := range aheadModes {
				check, checked := countingCheck()
				var deltas int64
				progress := func(done, total int64) { deltas = total }
				opt := indexer.Options{Format: object.SHA1, Threads: 2, Links: true, Check: check, Progress: progress}
				res, w, err := indexer.IndexAhead(bytes.NewReader(p.data), t.TempDir(), opt, m.cache, m.sync)
				if err != nil {
					t.Fatalf("%s: %v", m.name, err)
				}
				idx, err := os.ReadFile(res.IdxPath)
				if err != nil {
					t.Fatal(err)
				}
				if want == nil {
					want, wantChecked = idx, checked
				}
				if !bytes.Equal(idx, want) || p.name == "git history" && !bytes.Equal(idx, gitIdx) {
					t.Errorf("%s: the .idx differs", m.name)
				}
				for id, n := range checked {
					if n != 1 {
						t.Errorf("%s: %s checked %d times", m.name, id, n)
					}
				}
				if len(checked) != len(wantChecked) {
					t.Errorf("%s: %d objects checked, %d with nothing resolved ahead", m.name, len(checked), len(wantChecked))
				}
				if !res.SelfContained && p.name != "chain with branches" && p.name != "forks" {
					t.Errorf("%s: not self-contained", m.name)
				}
				t.Logf("%s: %d deltas, %d resolved ahead, %d applied; %d of %d objects hashed ahead", m.name, deltas, w.Ahead, w.Applied, w.WholeAhead, res.Objects)
				if m.name == "off" && w.WholeAhead != 0 || m.name == "all" && w.WholeAhead != res.Objects-deltas {
					t.Errorf("%s: %d whole objects of %d hashed ahead", m.name, w.WholeAhead, res.Objects-deltas)
				}
				switch {
				case w.Applied < deltas || w.Applied > 2*deltas:
					t.Errorf("%s: %d deltas applied %d times", m.name, deltas, w.Applied)
				case m.name == "off" && w.Ahead != 0:
					t.Errorf("off: %d resolved ahead", w.Ahead)
				case m.name == "all" && (w.Ahead != deltas || w.Applied != deltas):
					t.Errorf("all: %d of %d deltas resolved ahead, %d applied", w.Ahead, deltas, w.Applied)
				case m.name == "one base" && p.name != "git history" && !(0 < w.Ahead && w.Ahead < deltas && w.Applied > deltas):
					t.Errorf("one base: %d of %d deltas resolved ahead, %d applied: want some left and rebuilt", w.Ahead, deltas, w.Applied)
				}
			}
		})
	}
}

// TestIndexAheadRefuses: a pack found bad while receiving is refused as it is when its
// deltas are resolved afterwards, and nothing is left behind: a chain deeper than git
// reads, a delta copying past its base, and an object the caller's check refuses.
func TestIndexAheadRefuses(t *testing.T) {
	deep, _ := shapedPack(shape{}, 64, pack.MaxDeltaDepth+1)
	ok, _ := shapedPack(shape{}, 64, pack.MaxDeltaDepth)
	pb := newPackBuilder(3)
	b := pb.whole(object.Blob, []byte("hello"))
	pb.ofs(b, []byte{5, 10, 0x90, 10}) // copy 10 bytes from offset 0 of a 5-byte base
	pb.whole(object.Blob, []byte("after"))
	badCopy := pb.finish()
	_, trees := treePack(t, 30, false)
	refuse := errors.New("refused")
	n := 0
	var mu sync.Mutex
	check := func(id object.Hash, typ object.Type, content []byte) error {
		mu.Lock()
		defer mu.Unlock()
		if n++; n == 20 {
			return refuse
		}
		return nil
	}
	for _, c := range []struct {
		name  string
		data  []byte
		check func(object.Hash, object.Type, []byte) error
		want  error
	}{
		{"chain too deep", deep, nil, pack.ErrDeltaDepth},
		{"chain as deep as git reads", ok, nil, nil},
		{"copy past the base", badCopy, nil, pack.ErrCorrupt},
		{"refused by the check", trees, check, refuse},
	} {
		for _, m := range aheadModes {
			n = 0
			dir := t.TempDir()
			_, w, err := indexer.IndexAhead(bytes.NewReader(c.data), dir, indexer.Options{Format: object.SHA1, Threads: 2, Check: c.check}, m.cache, m.sync)
			if c.want == nil && err != nil || c.want != nil && !errors.Is(err, c.want) {
				t.Errorf("%s, %s: err %v, want %v", c.name, m.name, err, c.want)
			}
			if c.want != nil {
				if l := leftovers(t, dir); len(l) != 0 {
					t.Errorf("%s, %s: left %v", c.name, m.name, l)
				}
			}
			if m.name == "all" && w.Ahead == 0 && c.want != pack.ErrCorrupt {
				t.Errorf("%s: nothing resolved ahead", c.name)
			}
		}
	}
}
