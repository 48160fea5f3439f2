package indexer

import (
	"bufio"
	"bytes"
	"cmp"
	"compress/zlib"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"io"
	"math"
	"runtime"
	"slices"
	"sort"
	"sync"
	"sync/atomic"

	"git-remote-object-store/gitpack/object"
	"git-remote-object-store/gitpack/pack"
)

// resolveAll resolves every delta as a tree from its base: each base is inflated once,
// its children are applied, hashed and descended into, depth first, so only one chain
// of inflated objects is alive at a time per worker. Trees are independent, so they are
// resolved on all cores (a REF delta whose base id appears twice in the pack is claimed
// by whichever tree reaches it first).
//
// The work is linear in the objects resolved, whatever the tree's shape: each delta is
// applied once, and a base is applied again only when it had to be let go for
// Options.BaseBudget while it still had children to come (see descend for the order
// that keeps those few).
func (ix *indexer) resolveAll() error {
	r := newResolver(ix)
	n := len(ix.entries)
	if ix.resolvedAhead > 0 {
		r.markPending()
	}
	if ix.opt.Progress != nil {
		deltas := 0
		for i := range ix.entries {
			if !ix.entries[i].kind.IsBase() {
				deltas++
			}
		}
		if deltas > 0 {
			ix.phase(int64(deltas))
			ix.progressBy(ix.resolvedAhead)
		}
	}
	roots := make(chan int, 1024)
	errs := make(chan error, 1)
	var stop atomic.Bool
	var wg sync.WaitGroup
	for range max(1, min(runtime.GOMAXPROCS(0), ix.opt.threads())) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w := r.worker()
			for i := range roots {
				if stop.Load() {
					continue
				}
				if err := w.descend(i, nil, nil); err != nil {
					if stop.CompareAndSwap(false, true) {
						errs <- err
					}
				}
			}
		}()
	}
	for i := 0; i < n; i++ {
		if ix.entries[i].kind.IsBase() && r.hasKids(i) && r.isPending(i) {
			roots <- i
		}
	}
	close(roots)
	wg.Wait()
	if stop.Load() {
		return <-errs
	}
	// What is left are REF deltas on bases outside the pack: a thin pack.
	var missing []object.Hash
	seen := map[object.Hash]bool{}
	for i := 0; i < n; i++ {
		if e := &ix.entries[i]; !e.resolved() && e.kind == object.RefDelta {
			if base := ix.id(i); !seen[base] {
				seen[base] = true
				missing = append(missing, base)
			}
		}
	}
	if len(missing) > 0 {
		if !ix.opt.FixThin || ix.opt.Bases == nil {
			return bad("%d delta bases are not in the pack (a thin pack; first missing %s)", len(missing), missing[0])
		}
		if err := ix.appendBases(r, missing); err != nil {
			return err
		}
	}
	for i := range ix.entries {
		if e := &ix.entries[i]; !e.resolved() {
			return bad("delta at offset %d could not be resolved (missing or cyclic base)", e.off())
		}
	}
	return nil
}

// resolver finds each base's delta children: OFS children from a compressed table built
// once (4 bytes per entry and per delta), REF children by binary search of their base ids,
// copied out of indexer.ids and sorted (24 bytes per delta).
type resolver struct {
	ix       *indexer
	kidStart []uint32 // the OFS children of entry i are ofsKids[kidStart[i]:kidStart[i+1]]
	ofsKids  []uint32
	refKids  []uint32        // REF deltas, sorted by base id
	refBases []byte          // refBases[j*hs:(j+1)*hs] is the base id of refKids[j]
	claimed  []atomic.Uint32 // a bit per refKids position
	// weight[i] is the size of entry i's subtree as far as OFS links show it (entry i
	// and its OFS descendants; REF children of a delta are only known once it is).
	weight []uint32
	// pending has a bit set for each entry whose subtree still has a delta to resolve,
	// once some were resolved while receiving (ahead.go); nil: all of them.
	pending []uint64
}

func newResolver(ix *indexer) *resolver {
	n := len(ix.entries)
	r := &resolver{ix: ix, kidStart: alloc[uint32](&ix.tab, n+1)}
	nofs, nref := 0, 0
	for i := range ix.entries {
		switch e := &ix.entries[i]; e.kind {
		case object.OfsDelta:
			r.kidStart[e.base]++
			nofs++
		case object.RefDelta:
			nref++
		}
	}
	// Counts to starts, then place each child and shift back: kidStart[i] ends up as the
	// start of entry i's children.
	var sum uint32
	for i := range n {
		c := r.kidStart[i]
		r.kidStart[i] = sum
		sum += c
	}
	r.ofsKids = alloc[uint32](&ix.tab, nofs)
	r.refKids = alloc[uint32](&ix.tab, nref)[:0]
	for i := range ix.entries {
		switch e := &ix.entries[i]; e.kind {
		case object.OfsDelta:
			r.ofsKids[r.kidStart[e.base]] = uint32(i)
			r.kidStart[e.base]++
		case object.RefDelta:
			r.refKids = append(r.refKids, uint32(i))
		}
	}
	copy(r.kidStart[1:], r.kidStart[:n])
	r.kidStart[0], r.kidStart[n] = 0, sum
	slices.SortFunc(r.refKids, func(a, b uint32) int { return bytes.Compare(ix.idBytes(int(a)), ix.idBytes(int(b))) })
	hs := ix.hs
	r.refBases = alloc[byte](&ix.tab, nref*hs)
	for j, k := range r.refKids {
		copy(r.refBases[j*hs:], ix.idBytes(int(k)))
	}
	r.claimed = alloc[atomic.Uint32](&ix.tab, (nref+31)/32)
	// An OFS base always comes before its deltas, so one pass from the end adds each
	// subtree up before its root is reached.
	r.weight = alloc[uint32](&ix.tab, n)
	for i := n - 1; i >= 0; i-- {
		w := r.weight[i] + 1
		r.weight[i] = w
		if e := &ix.entries[i]; e.kind == object.OfsDelta {
			r.weight[e.base] = min(r.weight[e.base]+w, math.MaxUint32-1)
		}
	}
	return r
}

// markPending sets resolver.pending: an entry not yet resolved, or one with REF
// children (never resolved ahead), is pending, and so is every base above it. An OFS
// child comes after its base, so one pass from the end reaches each child first.
func (r *resolver) markPending() {
	n := len(r.ix.entries)
	r.pending = alloc[uint64](&r.ix.tab, (n+63)/64)
	for i := n - 1; i >= 0; i-- {
		e := &r.ix.entries[i]
		if lo, hi := r.refRange(i); !e.resolved() || r.isPending(i) || hi > lo {
			r.pending[i/64] |= 1 << (i % 64)
			if e.kind == object.OfsDelta {
				b := int(e.base)
				r.pending[b/64] |= 1 << (b % 64)
			}
		}
	}
}

// isPending reports whether entry i's subtree has a delta still to resolve (an entry
// appended after markPending, a thin pack's base, always has).
func (r *resolver) isPending(i int) bool {
	return r.pending == nil || i/64 >= len(r.pending) || r.pending[i/64]&(1<<(i%64)) != 0
}

// claim marks REF child j as taken and reports whether it was free.
func (r *resolver) claim(j int) bool {
	w, bit := &r.claimed[j/32], uint32(1)<<(j%32)
	for {
		old := w.Load()
		if old&bit != 0 {
			return false
		}
		if w.CompareAndSwap(old, old|bit) {
			return true
		}
	}
}

// grow makes room for an entry appended after the table was built (a thin pack's base,
// which has no OFS children).
func (r *resolver) grow() {
	r.kidStart = append(r.kidStart, r.kidStart[len(r.kidStart)-1])
	r.weight = append(r.weight, 1)
}

// refRange is where entry i's REF children sit in r.refKids.
func (r *resolver) refRange(i int) (lo, hi int) {
	if len(r.refKids) == 0 || !r.ix.entries[i].resolved() {
		return 0, 0
	}
	hs := r.ix.hs
	h := r.ix.idBytes(i)
	lo = sort.Search(len(r.refKids), func(j int) bool { return bytes.Compare(r.refBases[j*hs:(j+1)*hs], h) >= 0 })
	hi = lo
	for hi < len(r.refKids) && bytes.Equal(r.refBases[hi*hs:(hi+1)*hs], h) {
		hi++
	}
	return lo, hi
}

func (r *resolver) hasKids(i int) bool {
	lo, hi := r.refRange(i)
	return r.kidStart[i+1] > r.kidStart[i] || hi > lo
}

// worker is one goroutine's state while resolving: the chain of bases from the tree's
// root down to the delta being resolved, each with its content while it has children
// still to come, unless that was let go to stay within Options.BaseBudget (it is then
// rebuilt from the nearest base still held, or from the pack, as git's index-pack does).
type worker struct {
	*resolver
	h     *object.Hasher
	stack []frame
	kids  []uint32 // the children of every frame, each frame's in the order it takes them
	held  int64    // bytes of content the stack holds
	bufs  bufCache

	// Options.Links (links.go): what the resolved objects name, the delta's copies, and
	// spare slices for where trees name objects.
	needs      *needSet
	cov        cover
	freeStarts [][]uint32
}

type frame struct {
	i    int
	data []byte
	last bool // on its last child: its content is never needed again
	// Under Options.Links, for a tree: where it names objects (see treeLinks), kept
	// while its content may be let go, since that does not change.
	starts     []uint32
	haveStarts bool
}

func (r *resolver) worker() *worker {
	return &worker{resolver: r, h: object.NewHasher(r.ix.opt.Format)}
}

// descend resolves the deltas on entry i, whose content is data (read when needed if
// nil). It owns data and hands it back to the buffer pool when done.
//
// The children are taken lightest subtree first, the heaviest last, and the base is let
// go before that last one is descended into. A base is needed again after a child's
// subtree only if a heavier sibling is still to come, so each base still held on the
// stack weighs more than twice the one above it: at most log2(objects) bases are held
// for later, a handful in practice, well within the budget. A long chain (each link
// the heaviest child of the one before, whatever leaves or short branches hang off it)
// thus holds one object at a time and applies each delta once. Taken in pack order
// instead, a chain whose leaves came after the next link left every link waiting for
// its leaf, each rebuilt from the root once the chain below was done: quadratic.
func (w *worker) descend(i int, data []byte, starts []uint32) error {
	depth := len(w.stack) // entry i is at the end of a chain of that many deltas
	start := len(w.kids)
	w.kids = append(w.kids, w.ofsKids[w.kidStart[i]:w.kidStart[i+1]]...)
	lo, hi := w.refRange(i)
	for j := lo; j < hi; j++ {
		if w.claim(j) { // unless a REF delta named a base twice in the pack: already done
			w.kids = append(w.kids, w.refKids[j])
		}
	}
	defer func() { w.kids = w.kids[:start] }()
	kids := w.kids[start:] // stays valid: deeper frames only append past it
	if w.pending != nil {  // step over the subtrees resolved while receiving
		kids = slices.DeleteFunc(kids, func(k uint32) bool { return w.ix.entries[k].resolved() && !w.isPending(int(k)) })
		w.kids = w.kids[:start+len(kids)]
	}
	if len(kids) == 0 {
		w.bufs.put(data)
		w.putStarts(starts)
		return nil
	}
	if depth >= pack.MaxDeltaDepth {
		w.bufs.put(data)
		w.putStarts(starts)
		return fmt.Errorf("%w: %w (deltas on the entry at offset %d)", ErrBadPack, pack.ErrDeltaDepth, w.ix.entries[i].off())
	}
	if len(kids) > 1 {
		slices.SortStableFunc(kids, func(a, b uint32) int { return cmp.Compare(w.weight[a], w.weight[b]) })
	}
	w.push(i, data, starts)
	defer w.pop()
	typ := w.ix.entries[i].typ
	for n, k := range kids {
		base, err := w.base()
		if err != nil {
			return err
		}
		var out []byte
		var outStarts []uint32
		if w.ix.entries[k].resolved() {
			// Resolved while receiving, with deltas under it still to resolve: only
			// its content is needed.
			out, err = w.apply(base, int(k))
		} else if out, outStarts, err = w.resolve(base, w.baseStarts(depth, typ, base), int(k), typ); err == nil {
			w.ix.progress()
		}
		if err != nil {
			return err
		}
		if n == len(kids)-1 {
			// The base is done with: let it go before descending, so a long chain of
			// single deltas holds one object at a time, not the whole chain.
			w.stack[depth].last = true
			w.drop(depth)
		}
		if err := w.descend(int(k), out, outStarts); err != nil {
			return err
		}
	}
	return nil
}

// streamMin is the smallest delta target resolve hashes as it is produced, when no
// delta in the pack can be based on it, instead of building it in memory: a large object
// then costs its base and the delta, not itself (a few bytes of delta can make a
// gigabyte). Smaller ones are built, which is as cheap and needs no second application
// in the rare case that REF deltas turn out to be based on them after all.
const streamMin = 1 << maxPooledClass

// resolve applies delta entry k, of type typ, on base and records its id. It returns
// the object, or nil when nothing in the pack is based on it and it was only hashed;
// under Options.Links, for a tree with deltas on it, also where it names objects.
// baseStarts is where base names objects, under Options.Links.
func (w *worker) resolve(base []byte, baseStarts []uint32, k int, typ object.Type) ([]byte, []uint32, error) {
	delta, err := w.ix.readData(k, &w.bufs)
	if err != nil {
		return nil, nil, err
	}
	defer func() { w.bufs.put(delta) }()
	_, dst, _, err := pack.DeltaSizes(delta)
	if err != nil {
		return nil, nil, fmt.Errorf("delta at offset %d: %w", w.ix.entries[k].off(), err)
	}
	check := (w.ix.opt.Check != nil || w.ix.opt.Links) && typ != object.Blob
	if dst >= streamMin && w.kidStart[k+1] == w.kidStart[k] && !check {
		w.h.Begin(typ, dst)
		if _, err := pack.WriteDelta(w.h, base, delta); err != nil {
			return nil, nil, fmt.Errorf("delta at offset %d: %w", w.ix.entries[k].off(), err)
		}
		w.ix.setID(k, w.h.End())
		w.ix.entries[k].typ = typ
		w.count(dst)
		if lo, hi := w.refRange(k); lo == hi {
			return nil, nil, nil
		}
		// REF deltas on it: build it after all.
	}
	out, err := w.applyDelta(base, k, delta)
	if err != nil {
		return nil, nil, err
	}
	if !w.ix.entries[k].resolved() {
		w.ix.setID(k, w.h.Sum(typ, out))
		w.ix.entries[k].typ = typ
	}
	if check && w.ix.opt.Check != nil {
		if err := w.ix.opt.Check(w.ix.id(k), typ, out); err != nil {
			w.bufs.put(out)
			return nil, nil, err
		}
	}
	var starts []uint32
	if check && w.ix.opt.Links {
		var cov *cover
		if typ == object.Tree && baseStarts != nil {
			w.cov = cover{copies: pack.AppendCopies(w.cov.copies[:0], delta), base: baseStarts}
			cov = &w.cov
		}
		if typ == object.Tree && w.hasKids(k) {
			starts = w.getStarts()
		}
		if w.needs == nil {
			w.needs = newNeedSet(w.ix.hs)
			w.ix.addNeeds(w.needs)
		}
		starts = w.ix.links(typ, out, cov, w.needs, starts)
	}
	return out, starts, nil
}

// baseStarts returns, under Options.Links, where the tree of frame d, whose content is
// data, names objects: kept from when it was resolved, or parsed now. nil when that is
// not known (not a tree, or not one git could walk).
func (w *worker) baseStarts(d int, typ object.Type, data []byte) []uint32 {
	if !w.ix.opt.Links || typ != object.Tree {
		return nil
	}
	f := &w.stack[d]
	if !f.haveStarts {
		starts, ok := treeLinks(data, w.ix.hs, nil, nil, w.getStarts())
		if !ok {
			w.putStarts(starts)
			starts = nil
		}
		f.starts, f.haveStarts = starts, true
	}
	return f.starts
}

func (w *worker) getStarts() []uint32 {
	if n := len(w.freeStarts); n > 0 {
		s := w.freeStarts[n-1]
		w.freeStarts = w.freeStarts[:n-1]
		return s[:0]
	}
	return make([]uint32, 0, 64)
}

func (w *worker) putStarts(s []uint32) {
	if s != nil {
		w.freeStarts = append(w.freeStarts, s)
	}
}

// apply rebuilds delta entry k on base, into a pooled buffer.
func (w *worker) apply(base []byte, k int) ([]byte, error) {
	delta, err := w.ix.readData(k, &w.bufs)
	if err != nil {
		return nil, err
	}
	out, err := w.applyDelta(base, k, delta)
	w.bufs.put(delta)
	return out, err
}

// applyDelta applies delta, entry k's data, on base into a pooled buffer.
func (w *worker) applyDelta(base []byte, k int, delta []byte) ([]byte, error) {
	var out []byte
	if _, dst, _, err := pack.DeltaSizes(delta); err == nil && dst <= 1<<maxPooledClass {
		out = w.bufs.get(int(dst))
	}
	out, err := pack.ApplyDeltaTo(out, base, delta)
	if err != nil {
		return nil, fmt.Errorf("delta at offset %d: %w", w.ix.entries[k].off(), err)
	}
	w.count(int64(len(out)))
	return out, nil
}

// count records one delta application of n bytes, for tests.
func (w *worker) count(n int64) {
	if c := w.ix.opt.work; c != nil {
		c.applied.Add(1)
		c.bytes.Add(n)
	}
}

func (w *worker) push(i int, data []byte, starts []uint32) {
	w.stack = append(w.stack, frame{i: i, data: data, starts: starts, haveStarts: starts != nil})
	w.held += int64(len(data))
	w.prune(len(w.stack) - 1)
}

func (w *worker) pop() {
	top := len(w.stack) - 1
	w.drop(top)
	w.putStarts(w.stack[top].starts)
	w.stack = w.stack[:top]
}

func (w *worker) drop(d int) {
	f := &w.stack[d]
	w.held -= int64(len(f.data))
	w.bufs.put(f.data)
	f.data = nil
}

// prune lets go of the oldest bases until the stack is within budget, keeping frame keep
// and those above it (the newest frame is the base about to be used), and the newest
// frame below keep that holds its content: the base of a branch under way, needed again
// as soon as the branch is done. Letting that one go would cost the most (a branch off a
// long chain would rebuild the chain for each link), and keeping it costs one object.
func (w *worker) prune(keep int) {
	newest := keep - 1
	for newest >= 0 && w.stack[newest].data == nil {
		newest--
	}
	for d := 0; w.held > w.ix.opt.baseBudget() && d < newest; d++ {
		if w.stack[d].data != nil {
			w.drop(d)
		}
	}
}

// base returns the content of the newest frame, rebuilding it if it was let go: from the
// nearest older frame that still has its content, or else from the root read again. The
// frames rebuilt on the way that still have children to come keep their content too
// (within the budget, oldest let go first), so the next one needed is at hand.
func (w *worker) base() ([]byte, error) {
	top := len(w.stack) - 1
	if w.stack[top].data != nil {
		return w.stack[top].data, nil
	}
	a := top - 1
	for a >= 0 && w.stack[a].data == nil {
		a--
	}
	var cur []byte
	owned := false // whether cur is a rebuilt intermediate no frame holds
	if a < 0 {
		var err error
		if cur, err = w.ix.readData(w.stack[0].i, &w.bufs); err != nil {
			return nil, err
		}
		a = 0
		if w.stack[0].last {
			owned = true
		} else {
			w.stack[0].data = cur
			w.held += int64(len(cur))
		}
	} else {
		cur = w.stack[a].data
	}
	for d := a + 1; d <= top; d++ {
		next, err := w.apply(cur, w.stack[d].i)
		if owned {
			w.bufs.put(cur)
		}
		if err != nil {
			return nil, err
		}
		cur, owned = next, true
		if d == top || !w.stack[d].last {
			w.stack[d].data = cur
			w.held += int64(len(cur))
			owned = false
			w.prune(d)
		}
	}
	return cur, nil
}

// appendBases completes a thin pack: each missing base is read from the repository,
// appended as a whole object, and its delta children resolved; then the header count
// and the trailer are rewritten.
func (ix *indexer) appendBases(r *resolver, missing []object.Hash) error {
	hs := int64(ix.opt.Format.Size())
	end := ix.packEnd
	if err := ix.f.Truncate(end); err != nil {
		return err
	}
	for _, h := range missing {
		t, data, err := ix.opt.Bases.Read(h)
		if err != nil {
			return bad("thin pack base %s is not in the local repository: %v", h, err)
		}
		if object.Sum(ix.opt.Format, t, data) != h {
			return bad("local object %s does not match its id", h)
		}
		var buf bytes.Buffer
		hdr := pack.AppendEntryHeader(nil, t, int64(len(data)))
		buf.Write(hdr)
		zw := zlib.NewWriter(&buf)
		zw.Write(data)
		zw.Close()
		if _, err := ix.f.WriteAt(buf.Bytes(), end); err != nil {
			return err
		}
		e := entry{crc: crc32.ChecksumIEEE(buf.Bytes()), typ: t, kind: t, hdrLen: uint8(len(hdr))}
		e.setOff(end)
		ix.entries = append(ix.entries, e)
		ix.ids = append(ix.ids, h.Bytes()...)
		r.grow()
		ix.appended++
		end += int64(buf.Len())
		ix.packEnd = end
		// descend recycles what it is given; data may belong to the repository's cache.
		w := r.worker()
		own := append(w.bufs.get(len(data))[:0], data...)
		if err := w.descend(len(ix.entries)-1, own, nil); err != nil {
			return err
		}
	}
	var cnt [4]byte
	binary.BigEndian.PutUint32(cnt[:], uint32(len(ix.entries)))
	if _, err := ix.f.WriteAt(cnt[:], 8); err != nil {
		return err
	}
	sum := ix.opt.Format.New()
	if _, err := io.Copy(sum, bufio.NewReaderSize(io.NewSectionReader(ix.f, 0, end), 256<<10)); err != nil {
		return err
	}
	trailer := sum.Sum(nil)
	if _, err := ix.f.WriteAt(trailer, end); err != nil {
		return err
	}
	if err := ix.f.Truncate(end + hs); err != nil {
		return err
	}
	ix.trailer, _ = object.FromBytes(trailer)
	return nil
}
