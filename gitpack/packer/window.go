package packer

import (
	"sort"

	"git-remote-object-store/gitpack/object"
)

// Window search limits, git's defaults: 10 candidates, chains at most 50 deep.
const (
	window        = 10
	maxDepth      = 50
	windowBytes   = 64 << 20 // inflated bytes the window may hold
	maxDeltaInput = 16 << 20 // objects larger than this are not delta candidates
)

// Stater is what the search needs beyond Source: sizes without inflating everything.
type Stater interface {
	Stat(h object.Hash) (object.Type, int64, error)
}

// nameHash is git's pack_name_hash: it weighs the last characters most, so versions of
// one file (and files of one kind) sort next to each other.
func nameHash(path string) uint32 {
	var h uint32
	for i := 0; i < len(path); i++ {
		c := path[i]
		if c == ' ' || c == '\t' || c == '\n' || c == '\r' {
			continue
		}
		h = (h >> 2) + uint32(c)<<24
	}
	return h
}

type candidate struct {
	pl   *plan
	size int64
	hash uint32
}

// findDeltas chooses a fresh delta base for objects that will be written whole: sorted by
// type, name hash and size (largest first), each is tried against the previous objects
// of the same type in a sliding window, and the smallest delta under half the object's
// size wins. Only the choice is kept; the delta is computed again when it is written, so
// memory stays bounded by the window.
func findDeltas(src Source, plans []*plan) {
	st, ok := src.(Stater)
	if !ok {
		return
	}
	var cands []candidate
	for _, pl := range plans {
		if pl.p != nil {
			continue
		}
		t, size, err := st.Stat(pl.obj.Hash)
		if err != nil || size > maxDeltaInput || size < 2*blockSize {
			continue
		}
		pl.obj.Type = t
		cands = append(cands, candidate{pl: pl, size: size, hash: nameHash(pl.obj.Path)})
	}
	sort.SliceStable(cands, func(i, j int) bool {
		a, b := cands[i], cands[j]
		if a.pl.obj.Type != b.pl.obj.Type {
			return a.pl.obj.Type < b.pl.obj.Type
		}
		if a.hash != b.hash {
			return a.hash < b.hash
		}
		return a.size > b.size
	})
	type slot struct {
		pl    *plan
		data  []byte
		idx   *deltaIndex
		depth int
	}
	var win []slot
	held := 0
	depth := map[object.Hash]int{}
	for _, c := range cands {
		_, data, err := src.Read(c.pl.obj.Hash)
		if err != nil {
			continue
		}
		best := len(data)/2 - 20
		for k := len(win) - 1; k >= 0; k-- {
			w := win[k]
			if w.pl.obj.Type != c.pl.obj.Type || w.depth >= maxDepth || best <= 0 {
				continue
			}
			if w.idx == nil {
				w.idx = newDeltaIndex(w.data)
				win[k].idx = w.idx
			}
			if d := w.idx.delta(data, best); d != nil && len(d) < best {
				best = len(d)
				c.pl.freshBase = w.pl.obj.Hash
				depth[c.pl.obj.Hash] = w.depth + 1
			}
		}
		win = append(win, slot{pl: c.pl, data: data, depth: depth[c.pl.obj.Hash]})
		held += len(data)
		for len(win) > window || held > windowBytes && len(win) > 1 {
			held -= len(win[0].data)
			win = win[1:]
		}
	}
}
