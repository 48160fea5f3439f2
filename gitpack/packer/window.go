package packer

import (
	"bytes"
	"runtime"
	"sort"
	"sync"

	"git-remote-object-store/gitpack/object"
)

// Window search limits, git's defaults: 10 candidates, chains at most 50 deep.
const (
	window        = 10
	maxDepth      = 50
	windowBytes   = 64 << 20 // inflated bytes the window may hold
	maxDeltaInput = 16 << 20 // objects larger than this are not delta candidates
	// keptDeltaBytes bounds the deltas kept from the search for writing.
	keptDeltaBytes = 32 << 20
)

// Stater is what the search needs beyond Source: sizes without inflating everything.
type Stater interface {
	Stat(h object.Hash) (object.Type, int64, error)
}

// NameHash is git's pack_name_hash: it weighs the last characters most, so versions of
// one file (and files of one kind) sort next to each other.
func NameHash(path string) uint32 {
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
	i    int32 // index of the object and its plan
	typ  object.Type
	size int64
	hash uint32
}

// findDeltas chooses a fresh delta base for objects that will be written whole: sorted by
// type, name hash and size (largest first), each is tried against the previous objects
// of the same type in a sliding window (within its segment of the list, see segments),
// and the smallest delta under half the object's size wins. The deltas chosen are kept up to keptDeltaBytes in all (returned by object
// index); the others are computed again when written, so memory stays bounded.
//
// Looking up the sizes ends the Counting phase (one tick per object); the search is the
// Compressing phase (one tick per candidate), reported through opt.
func findDeltas(src Source, objs []Object, plans []plan, opt *Options) map[int32][]byte {
	total := int64(len(plans))
	st, ok := src.(Stater)
	if !ok {
		opt.tell(Counting, total, total)
		return nil
	}
	var cands []candidate
	for i := range plans {
		if plans[i].how != whole {
			opt.tell(Counting, int64(i+1), total)
			continue
		}
		t, size, err := st.Stat(objs[i].Hash)
		opt.tell(Counting, int64(i+1), total)
		if err != nil || size > maxDeltaInput || size < 2*blockSize {
			continue
		}
		cands = append(cands, candidate{i: int32(i), typ: t, size: size, hash: objs[i].NameHash})
	}
	if len(cands) == 0 {
		return nil
	}
	ncands := int64(len(cands))
	opt.tell(Compressing, 0, ncands)
	sort.SliceStable(cands, func(i, j int) bool {
		a, b := cands[i], cands[j]
		if a.typ != b.typ {
			return a.typ < b.typ
		}
		if a.hash != b.hash {
			return a.hash < b.hash
		}
		return a.size > b.size
	})
	// The sorted list is cut into segments searched at once, one per core, as git's
	// pack-objects does with pack.threads. How it is cut depends only on the list, so
	// the pack is the same bytes on any machine.
	var (
		mu              sync.Mutex // guards done, kept, keptBytes, and calls to opt.tell
		done, keptBytes int64
	)
	kept := map[int32][]byte{}
	segs := segments(cands)
	work := make(chan []candidate, len(segs))
	for _, sg := range segs {
		work <- sg
	}
	close(work)
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), len(segs)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for sg := range work {
				searchSegment(src, objs, plans, sg, func(i int32, d []byte) {
					mu.Lock()
					defer mu.Unlock()
					if d != nil && keptBytes+int64(len(d)) <= keptDeltaBytes {
						kept[i] = bytes.Clone(d)
						keptBytes += int64(len(d))
					}
					if done++; done < ncands {
						opt.tell(Compressing, done, ncands)
					}
				})
			}
		}()
	}
	wg.Wait()
	opt.tell(Compressing, ncands, ncands)
	return kept
}

// minSegment is the fewest candidates worth a segment of their own, and maxSegments the
// most segments.
var (
	minSegment  = 4096 // a variable for tests
	maxSegments = 16
)

// segments cuts the sorted candidates into up to maxSegments runs of about equal length,
// each boundary moved on past objects of the same type and name hash, which belong
// in one window.
func segments(cands []candidate) [][]candidate {
	n := min(maxSegments, max(1, len(cands)/minSegment))
	var out [][]candidate
	start := 0
	for k := 1; k <= n && start < len(cands); k++ {
		end := len(cands)
		if k < n {
			end = max(start+1, k*len(cands)/n)
			for end < len(cands) && cands[end].typ == cands[end-1].typ && cands[end].hash == cands[end-1].hash {
				end++
			}
		}
		out = append(out, cands[start:end])
		start = end
	}
	return out
}

// searchSegment runs the window search over one segment of the sorted candidates,
// choosing plans for them; found is told of each candidate once searched, with the
// delta chosen (nil if none; valid only during the call).
func searchSegment(src Source, objs []Object, plans []plan, cands []candidate, found func(i int32, delta []byte)) {
	type slot struct {
		c     candidate
		data  []byte
		idx   *deltaIndex
		depth int
	}
	var win []slot
	held := 0
	var scratch [2][]byte // delta attempts are written here, not allocated each
	for _, c := range cands {
		_, data, err := src.Read(objs[c.i].Hash)
		if err != nil {
			found(c.i, nil)
			continue
		}
		best, depth := len(data)/2-20, 0
		var bestDelta []byte // shares scratch[1]
		for k := len(win) - 1; k >= 0; k-- {
			w := win[k]
			if w.c.typ != c.typ || w.depth >= maxDepth || best <= 0 {
				continue
			}
			if w.idx == nil {
				w.idx = newDeltaIndex(w.data)
				win[k].idx = w.idx
			}
			if d := w.idx.delta(scratch[0], data, best); d != nil && len(d) < best {
				// Keep this one in the other buffer; the next try reuses this one's.
				scratch[0], scratch[1] = scratch[1], d
				best, bestDelta = len(d), d
				plans[c.i].how, plans[c.i].base = freshDelta, w.c.i
				depth = w.depth + 1
			}
		}
		found(c.i, bestDelta)
		win = append(win, slot{c: c, data: data, depth: depth})
		held += len(data)
		for len(win) > window || held > windowBytes && len(win) > 1 {
			held -= len(win[0].data)
			win = win[1:]
		}
	}
}
