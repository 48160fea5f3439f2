package indexer

import (
	"bytes"
	"encoding/hex"
	"hash/maphash"
	"math/bits"
	"sort"

	"git-remote-object-store/gitpack/object"
	"git-remote-object-store/gitpack/pack"
)

// Options.Links: whether every object the pack's commits, trees and tags name is in the
// pack, with the type they name it as (gitlinks aside). That is what git's clone learns
// from index-pack --check-self-contained-and-connected, and what lets it skip walking
// the whole history again (rev-list --objects, seconds on a large one) after a
// transport helper says "connectivity-ok".
//
// Naming each tree entry's object in a set costs as much as that walk: git.git's trees
// hold 72 million entries. But almost every tree is a delta on another tree, and most
// of its entries are copied from the base by the delta's copy instructions. An entry
// whose id bytes were copied, in one instruction, from where the base names an object
// of the same kind (its id field, parsed) names the same object the base names there,
// and the base is a tree of the pack, checked in turn. So only the other entries are
// recorded as needs: those of trees stored whole, and the new or changed entries of the
// rest, about one per object in the pack. They are looked up once every id is known.

// needSet holds the needs of one goroutine, each object id once with the type it must
// have: an open-addressing table of records (the id, then the type; type 0 marks a free
// slot), hashed with a random seed, since the ids come from the pack and may be chosen
// to collide.
type needSet struct {
	hs   int
	seed maphash.Seed
	recs []byte
	n    int
}

func newNeedSet(hs int) *needSet {
	return &needSet{hs: hs, seed: maphash.MakeSeed(), recs: make([]byte, 1024*(hs+1))}
}

func (s *needSet) slots() int { return len(s.recs) / (s.hs + 1) }

// add records that id must be an object of type t; false if it must also be another
// type, which no pack satisfies.
func (s *needSet) add(id []byte, t object.Type) bool {
	if 2*(s.n+1) > s.slots() {
		old := s.recs
		s.recs = make([]byte, 2*len(old))
		s.n = 0
		rs := s.hs + 1
		for r := 0; r < len(old); r += rs {
			if old[r+s.hs] != 0 {
				s.add(old[r:r+s.hs], object.Type(old[r+s.hs]))
			}
		}
	}
	rs, mask := s.hs+1, uint64(s.slots()-1)
	for i := maphash.Bytes(s.seed, id) & mask; ; i = (i + 1) & mask {
		r := s.recs[int(i)*rs : int(i+1)*rs]
		switch {
		case r[s.hs] == 0:
			copy(r, id)
			r[s.hs] = byte(t)
			s.n++
			return true
		case bytes.Equal(r[:s.hs], id):
			return r[s.hs] == byte(t)
		}
	}
}

// each calls fn with every need until it returns false; it reports whether none did.
func (s *needSet) each(fn func(id []byte, t object.Type) bool) bool {
	rs := s.hs + 1
	for r := 0; r < len(s.recs); r += rs {
		if t := s.recs[r+s.hs]; t != 0 && !fn(s.recs[r:r+s.hs], object.Type(t)) {
			return false
		}
	}
	return true
}

// maxTreeLinks bounds the trees whose entries are tracked by offset (31 bits).
const maxTreeLinks = 1 << 31

// cover is what a delta copied from its base, for treeLinks: the copy instructions in
// target order, and where the base names objects (offset<<1 | 1 for a tree), ascending.
type cover struct {
	copies []pack.Copy
	base   []uint32
	k, j   int // cursors into copies and base
}

// vouched reports whether the id of kind tree (or not) at offset p of the target, hs
// bytes long, was copied in one instruction from where the base names an object of the
// same kind. Offsets are asked in increasing order.
func (c *cover) vouched(p, hs int, tree bool) bool {
	for c.k < len(c.copies) && c.copies[c.k].Out+c.copies[c.k].Size <= p {
		c.k++
	}
	if c.k == len(c.copies) {
		return false
	}
	cp := c.copies[c.k]
	if cp.Out > p || p+hs > cp.Out+cp.Size {
		return false
	}
	q := uint32(cp.Src + p - cp.Out)
	s, j := c.base, c.j
	// Consecutive entries copied together sit consecutively in the base: step, and
	// search only when the copy jumps.
	if j > len(s) || j > 0 && s[j-1]>>1 >= q {
		j = 0
	}
	for n := 0; j < len(s) && s[j]>>1 < q; n++ {
		if n == 8 {
			j += sort.Search(len(s)-j, func(x int) bool { return s[j+x]>>1 >= q })
			break
		}
		j++
	}
	c.j = j
	want := q << 1
	if tree {
		want |= 1
	}
	return j < len(s) && s[j] == want
}

// treeLinks walks the entries of tree data. Each entry naming an object (all but
// gitlinks) that cov does not vouch for (cov may be nil) is added to needs, unless needs
// is nil. If starts is not nil, where data names objects is appended to it, for the
// deltas based on data. ok is false if data is not a tree git could walk, or names an
// object as two types.
func treeLinks(data []byte, hs int, cov *cover, needs *needSet, starts []uint32) (_ []uint32, ok bool) {
	if len(data) >= maxTreeLinks {
		return starts, false
	}
	for pos := 0; pos < len(data); {
		mode, i := 0, pos
		for ; i < len(data) && data[i] != ' '; i++ {
			c := data[i]
			if c < '0' || c > '7' || mode > 0o777777 {
				return starts, false
			}
			mode = mode<<3 | int(c-'0')
		}
		if i == pos || i+1 >= len(data) {
			return starts, false
		}
		nul := bytes.IndexByte(data[i+1:], 0)
		if nul <= 0 { // no end, or an empty name
			return starts, false
		}
		p := i + 1 + nul + 1
		if p+hs > len(data) {
			return starts, false
		}
		pos = p + hs
		var t object.Type
		switch mode & 0o170000 {
		case 0o160000:
			continue // a gitlink names a commit of another repository
		case 0o040000:
			t = object.Tree
		default:
			t = object.Blob
		}
		if starts != nil {
			s := uint32(p) << 1
			if t == object.Tree {
				s |= 1
			}
			starts = append(starts, s)
		}
		if needs != nil && (cov == nil || !cov.vouched(p, hs, t == object.Tree)) && !needs.add(data[p:p+hs], t) {
			return starts, false
		}
	}
	return starts, true
}

// headerLinks adds what a commit (its tree and parents) or a tag (its object, of the
// type it says) names to needs; ok is false if data does not start as git writes them.
func headerLinks(data []byte, hs int, t object.Type, needs *needSet) (ok bool) {
	line := func(key string) ([]byte, bool) {
		rest, found := bytes.CutPrefix(data, []byte(key+" "))
		if !found || len(rest) < 2*hs+1 || rest[2*hs] != '\n' {
			return nil, false
		}
		data = rest[2*hs+1:]
		return rest[:2*hs], true
	}
	var id [64]byte
	add := func(hexID []byte, t object.Type) bool {
		_, err := hex.Decode(id[:hs], hexID)
		return err == nil && needs.add(id[:hs], t)
	}
	switch t {
	case object.Commit:
		tree, ok := line("tree")
		if !ok || !add(tree, object.Tree) {
			return false
		}
		for {
			parent, ok := line("parent")
			if !ok {
				return true
			}
			if !add(parent, object.Commit) {
				return false
			}
		}
	case object.Tag:
		target, ok := line("object")
		if !ok {
			return false
		}
		rest, found := bytes.CutPrefix(data, []byte("type "))
		name, _, nl := bytes.Cut(rest, []byte("\n"))
		tt, err := object.ParseType(string(name))
		return found && nl && err == nil && add(target, tt)
	}
	return true
}

// links adds what object data of type t (a commit, tree or tag) names to needs; for a
// tree resolved as a delta, cov says what its base vouches for. It gives up on the
// check (Result.SelfContained is then false) for an object git could not walk, or once
// needs names more objects than the pack has: some are then surely missing.
func (ix *indexer) links(t object.Type, data []byte, cov *cover, needs *needSet, starts []uint32) []uint32 {
	if ix.linksOff.Load() {
		return starts
	}
	ok := true
	if t == object.Tree {
		starts, ok = treeLinks(data, ix.hs, cov, needs, starts)
	} else {
		ok = headerLinks(data, ix.hs, t, needs)
	}
	if !ok || needs.n > int(ix.count) {
		ix.linksOff.Store(true)
		needs.recs, needs.n = nil, 0
	}
	return starts
}

// addNeeds registers a goroutine's needs with the indexer, for selfContained.
func (ix *indexer) addNeeds(needs *needSet) {
	ix.needsMu.Lock()
	ix.needs = append(ix.needs, needs)
	ix.needsMu.Unlock()
}

// selfContained reports whether every need names an object of the pack of the needed
// type, once every object is resolved: the answer to Options.Links.
func (ix *indexer) selfContained() bool {
	if !ix.opt.Links || ix.linksOff.Load() || ix.appended > 0 {
		return false
	}
	n := len(ix.entries)
	// An open-addressing table of the entries by id, each slot an entry index plus one.
	seed := maphash.MakeSeed()
	size := 1 << max(4, bits.Len(uint(2*n)))
	mask := uint64(size - 1)
	tab := make([]uint32, size)
	for i := range n {
		s := maphash.Bytes(seed, ix.idBytes(i)) & mask
		for tab[s] != 0 {
			s = (s + 1) & mask
		}
		tab[s] = uint32(i) + 1
	}
	found := func(id []byte, t object.Type) bool {
		for s := maphash.Bytes(seed, id) & mask; tab[s] != 0; s = (s + 1) & mask {
			if k := int(tab[s] - 1); bytes.Equal(ix.idBytes(k), id) {
				return ix.entries[k].typ == t
			}
		}
		return false
	}
	for _, needs := range ix.needs {
		if !needs.each(found) {
			return false
		}
	}
	return true
}
