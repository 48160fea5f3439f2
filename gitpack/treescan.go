package gitpack

import (
	"container/list"
	"math"
	"slices"
	"sort"

	"git-remote-object-store/gitpack/pack"
)

// A full walk looks at every entry of every tree: on git.git, 163 k trees holding 2.5 GB
// of entries, nearly all met before, and looking them up in the seen set was most of the
// walk. But most trees are stored as deltas on another version of themselves, and a run
// of whole entries that a delta copied from a tree the walk has already looked at is, byte
// for byte, entries the walk has already marked seen: only the rest need looking at.
//
// That is exact, not a guess: a tree entry's bytes alone decide how it parses, so bytes
// copied from where an entry of the base starts, up to where one ends, are those entries.
// What it takes is where each entry of the base starts, kept for the trees looked at
// lately (treeStarts).

// treeKey names a tree by where its pack stores it: a delta names its base so.
type treeKey struct {
	p   *pack.Pack
	off int64
}

// treeStarts remembers where the entries of recently scanned trees start, each list
// ending with the tree's length; bounded in bytes, least recent out.
type treeStarts struct {
	max, used int
	lru       list.List
	m         map[treeKey]*list.Element
	free      [][]uint32 // lists evicted, for reuse
}

type startsOf struct {
	k      treeKey
	starts []uint32
}

// treeStartsBytes bounds each walker's treeStarts: on git.git, a delta's base is nearly
// always among the trees looked at in the last few megabytes of them.
const treeStartsBytes = 8 << 20

func newTreeStarts(max int) *treeStarts {
	return &treeStarts{max: max, m: map[treeKey]*list.Element{}}
}

func (c *treeStarts) get(k treeKey) []uint32 {
	el, ok := c.m[k]
	if !ok {
		return nil
	}
	c.lru.MoveToFront(el)
	return el.Value.(*startsOf).starts
}

// put keeps starts for k; the list is the cache's from then on.
func (c *treeStarts) put(k treeKey, starts []uint32) {
	size := 4 * cap(starts)
	if size > c.max/4 || c.m[k] != nil {
		c.free = append(c.free, starts[:0])
		return
	}
	c.m[k] = c.lru.PushFront(&startsOf{k, starts})
	c.used += size
	for c.used > c.max {
		el := c.lru.Back()
		v := el.Value.(*startsOf)
		c.lru.Remove(el)
		delete(c.m, v.k)
		c.used -= 4 * cap(v.starts)
		if len(c.free) < 64 {
			c.free = append(c.free, v.starts[:0])
		}
	}
}

// buffer returns an empty list to fill with about n starts.
func (c *treeStarts) buffer(n int) []uint32 {
	if k := len(c.free); k > 0 && cap(c.free[k-1]) >= n {
		b := c.free[k-1]
		c.free = c.free[:k-1]
		return b
	}
	return make([]uint32, 0, n)
}

// treeScan reads a tree's entries in order, stepping over the runs its delta copied
// whole from a tree scanned before (whose entries, then, are seen already).
type treeScan struct {
	data   []byte
	pos    int
	hs     int
	key    treeKey     // where the tree is stored (p nil: loose, and not remembered)
	copies []pack.Copy // the delta's copies, when base is known
	base   []uint32    // the base's entry starts, ending with its length (nil: none known)
	j      int         // the copy pos is in, or after
	starts []uint32    // this tree's entry starts, as found
	cache  *treeStarts
	copied int // entries stepped over
}

// start begins a scan of data, stored as st says, with cache (nil: step over nothing).
func (s *treeScan) start(data []byte, hs int, st *pack.Stored, cache *treeStarts) {
	*s = treeScan{data: data, hs: hs, cache: cache}
	if cache == nil || st == nil || st.Pack == nil || len(data) >= math.MaxUint32 {
		return
	}
	s.key = treeKey{st.Pack, st.Off}
	n := len(data)/32 + 1 // "100644 name.c\0" and an id; fewer grow the list
	if st.BaseOff >= 0 {
		if base := cache.get(treeKey{st.Pack, st.BaseOff}); base != nil {
			s.base, s.copies = base, st.Copies
			n = min(n, len(base)+8) // a version of the base: about as many entries
		}
	}
	s.starts = cache.buffer(min(n, 1<<16))
}

// next returns the next entry that needs looking at; ok is false at the end, when the
// tree's entry starts are remembered.
func (s *treeScan) next() (mode uint32, name, raw []byte, ok bool, err error) {
	for s.pos < len(s.data) {
		if s.base != nil {
			if end := s.skip(); end > s.pos {
				s.pos = end
				continue
			}
		}
		if s.key.p != nil {
			s.starts = append(s.starts, uint32(s.pos))
		}
		mode, name, raw, rest, err := nextTreeEntry(s.data[s.pos:], s.hs)
		if err != nil {
			return 0, nil, nil, false, err
		}
		s.pos = len(s.data) - len(rest)
		return mode, name, raw, true, nil
	}
	if s.key.p != nil {
		s.cache.put(s.key, append(s.starts, uint32(len(s.data))))
		s.key.p = nil
	}
	return 0, nil, nil, false, nil
}

// skip returns where the run of whole base entries copied to s.pos ends, noting their
// starts; s.pos when no whole entry was copied there.
func (s *treeScan) skip() int {
	for s.j < len(s.copies) && s.copies[s.j].Out+s.copies[s.j].Size <= s.pos {
		s.j++
	}
	if s.j == len(s.copies) {
		s.base = nil // nothing more was copied
		return s.pos
	}
	c := s.copies[s.j]
	if c.Out > s.pos {
		return s.pos
	}
	src := c.Src + s.pos - c.Out
	k, found := slices.BinarySearch(s.base, uint32(src))
	if !found {
		return s.pos
	}
	// m: the last start (or the end) within the copy; entries k..m-1 were copied whole.
	lim := uint32(c.Src + c.Size)
	m := k + sort.Search(len(s.base)-k, func(i int) bool { return s.base[k+i] > lim }) - 1
	if m <= k {
		return s.pos
	}
	s.copied += m - k
	if s.key.p != nil {
		shift := uint32(s.pos - src)
		for _, b := range s.base[k:m] {
			s.starts = append(s.starts, b+shift)
		}
	}
	return s.pos + int(s.base[m]) - src
}
