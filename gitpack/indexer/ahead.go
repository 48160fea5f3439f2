package indexer

import (
	"container/list"
	"fmt"
	"runtime"
	"sync/atomic"

	"git-remote-object-store/gitpack/object"
	"git-remote-object-store/gitpack/pack"
)

// Receiving is one goroutine inflating every entry in turn, since where an entry ends is
// known only once it is inflated; resolving waited for it to finish, so on a clone of
// git.git one core worked alone for more than half the run. ahead resolves deltas while
// the pack is still arriving, on a second goroutine that follows the receiver in pack
// order: a delta whose base it holds (a whole object read back from the temporary pack,
// or a delta it resolved itself and still caches) is applied, hashed, checked and linked
// there and then, as resolveAll would do it. What it could do only by rebuilding a base
// (one it let go or could not resolve), a REF delta, and an object over aheadMaxObject
// it leaves.
//
// resolveAll then resolves what is left from the roots as before, stepping over every
// subtree ahead finished, and applying a delta ahead resolved again only to rebuild the
// base of one it did not (resolver.pending). A delta is applied at most once here and
// once there, so the work stays linear in the pack whatever its shape. Packs laid out as
// git writes them (each delta family together, bases first) leave little to redo.
//
// ahead is bound by the CPU, not by its cache: on git.git it resolves about 140 k of
// the 310 k deltas while the pack arrives whether it caches 8 or 128 MiB of bases, since
// a miss costs nothing and the time saved goes to the next family. A bigger cache only
// leaves fewer bases to rebuild, so the cache is kept small.
type ahead struct {
	ix *indexer
	w  *worker // buffers, hasher, needs; its resolver has no tables
	// The indexer's tables, with room for every entry announced: the receiver appends
	// within it, so these never move. ahead reads entries below avail, and writes only
	// the id and type of the deltas it resolves and the id of the whole objects it is
	// sent, which the receiver no longer touches.
	entries []entry
	ids     []byte

	avail    atomic.Int64 // entries (each with the next one's offset) whose bytes are in the temporary pack
	at       atomic.Int64 // the entries ahead is done with
	idle     atomic.Bool  // waiting for avail to grow
	stopping atomic.Bool
	failed   atomic.Bool
	wake     chan struct{}
	done     chan struct{}
	err      error
	resolved int64 // deltas resolved; read after done

	cache   *list.List // of *aheadObj, most recently used first
	byEntry map[uint32]*list.Element
	held    int64 // bytes the cache holds, data and starts
	budget  int64

	published int   // the receiver's: entries made available so far
	packEnd   int64 // once all are
	stopped   bool

	// Whole objects the receiver inflated, for ahead to hash (and check and link):
	// taking that off the receiver cut receiving a pack of 200 k small files from
	// 0.41-0.47 s to 0.30-0.35 s.
	wholes    chan *wholeBatch // to ahead
	freeBatch chan *wholeBatch // back to the receiver
	batch     *wholeBatch      // the receiver's, being filled
	batches   int              // made so far
}

// wholeBatch is whole objects queued for hashing: their contents one after another.
type wholeBatch struct {
	data []byte
	recs []wholeRec
}

type wholeRec struct {
	i   uint32
	n   uint32
	typ object.Type
}

// wholeBatchSize is a batch's room; maxWholeBatches bounds the batches in flight: when
// ahead falls that far behind, the receiver hashes objects itself.
const (
	wholeBatchSize  = 1 << 20
	maxWholeBatches = 4
)

// aheadCache bounds the memory of the bases ahead keeps, aheadMaxObject the largest
// object it handles at all (a larger one is left for resolveAll, which can stream it).
const (
	aheadCache     = 16 << 20
	aheadMaxObject = 4 << 20
)

type aheadObj struct {
	i          uint32
	depth      int // of its delta chain: 0 for a whole object
	typ        object.Type
	data       []byte
	starts     []uint32 // under Options.Links, for a tree: where it names objects
	haveStarts bool
}

func (o *aheadObj) size() int64 { return int64(cap(o.data)) + 4*int64(cap(o.starts)) }

// startAhead starts resolving ahead of the receiver, when there is a core to spare and
// the tables have room for every entry announced (so appending never moves them); nil
// otherwise.
func (ix *indexer) startAhead() *ahead {
	n := int(ix.count)
	if ix.opt.threads() < 2 || runtime.GOMAXPROCS(0) < 2 || n < 2 || ix.opt.ahead < 0 ||
		cap(ix.entries) < n || cap(ix.ids) < n*ix.hs {
		return nil
	}
	a := &ahead{ix: ix, w: (&resolver{ix: ix}).worker(), entries: ix.entries[:n], ids: ix.ids[:n*ix.hs],
		wake: make(chan struct{}, 1), done: make(chan struct{}), cache: list.New(), byEntry: map[uint32]*list.Element{},
		budget: aheadCache, wholes: make(chan *wholeBatch, maxWholeBatches), freeBatch: make(chan *wholeBatch, maxWholeBatches)}
	if ix.opt.ahead > 0 {
		a.budget = ix.opt.ahead
	}
	go a.run()
	return a
}

// publish tells ahead that the temporary pack holds the bytes up to fileEnd, of the
// entries received so far; false if ahead found a bad entry (the receiver's only call).
func (a *ahead) publish(fileEnd int64) bool {
	p, ents := a.published, a.ix.entries
	for p+1 < len(ents) && ents[p+1].off() <= fileEnd {
		p++
	}
	if p > a.published {
		a.published = p
		a.avail.Store(int64(p))
		if a.idle.Load() {
			a.signal()
		}
	}
	return !a.failed.Load()
}

// publishAll tells ahead that the whole pack, entries up to packEnd, is in the
// temporary pack.
func (a *ahead) publishAll(packEnd int64) {
	a.packEnd = packEnd
	a.published = len(a.entries)
	a.avail.Store(int64(a.published))
	a.signal()
}

// end is where entry i ends.
func (a *ahead) end(i int) int64 {
	if i+1 < len(a.entries) {
		return a.entries[i+1].off()
	}
	return a.packEnd
}

func (a *ahead) signal() {
	select {
	case a.wake <- struct{}{}:
	default:
	}
}

// stop ends the goroutine and returns its error: an entry it found bad, which refuses
// the pack as resolveAll would have. With Options.aheadSync (tests), it first lets
// ahead finish what was published, so what ahead does not depend on timing.
func (a *ahead) stop() error {
	if a.stopped {
		return a.err
	}
	a.stopped = true
	if a.ix.opt.aheadSync {
		for a.at.Load() < a.avail.Load() && !a.failed.Load() {
			runtime.Gosched()
		}
	}
	a.stopping.Store(true)
	a.signal()
	<-a.done
	if w := a.ix.opt.work; w != nil {
		w.ahead.Store(a.resolved)
	}
	for e := a.cache.Front(); e != nil; e = e.Next() {
		a.release(e.Value.(*aheadObj))
	}
	a.cache, a.byEntry = nil, nil
	return a.err
}

func (a *ahead) run() {
	defer close(a.done)
	fail := func(err error) {
		a.err = err
		a.failed.Store(true)
	}
	// Whatever is queued is hashed before returning: the ids are needed.
	defer func() {
		for {
			select {
			case b := <-a.wholes:
				if err := a.hashWholes(b); err != nil && a.err == nil {
					fail(err)
				}
			default:
				return
			}
		}
	}()
	for i := 0; ; {
		for n := int(a.avail.Load()); i < n; i++ {
			if a.stopping.Load() {
				return
			}
			// Whole objects first: they hold the receiver's batches.
			select {
			case b := <-a.wholes:
				if err := a.hashWholes(b); err != nil {
					fail(err)
					return
				}
			default:
			}
			if err := a.one(i); err != nil {
				fail(err)
				return
			}
			a.at.Store(int64(i + 1))
		}
		// Wait for more, unless the receiver published meanwhile: it wakes us only
		// when it sees idle set, so look again after setting it.
		a.idle.Store(true)
		if int(a.avail.Load()) == i && !a.stopping.Load() {
			select {
			case <-a.wake:
			case b := <-a.wholes:
				if err := a.hashWholes(b); err != nil {
					fail(err)
					return
				}
			}
		}
		a.idle.Store(false)
		if a.stopping.Load() {
			return
		}
	}
}

// queueWhole queues whole object i, of type t, for ahead to hash; false if it is to be
// hashed by the caller: too large for a batch, or ahead too far behind (the receiver's
// call).
func (a *ahead) queueWhole(i int, t object.Type, data []byte) bool {
	if len(data) > wholeBatchSize/4 {
		return false
	}
	if a.batch != nil && len(a.batch.data)+len(data) > cap(a.batch.data) {
		select {
		case a.wholes <- a.batch:
			a.batch = nil
		default:
			return false
		}
	}
	if a.batch == nil {
		select {
		case a.batch = <-a.freeBatch:
		default:
			if a.batches == 2*maxWholeBatches {
				return false
			}
			a.batches++
			a.batch = &wholeBatch{data: make([]byte, 0, wholeBatchSize)}
		}
	}
	a.batch.data = append(a.batch.data, data...)
	a.batch.recs = append(a.batch.recs, wholeRec{i: uint32(i), n: uint32(len(data)), typ: t})
	return true
}

// flushWhole hands ahead the batch being filled, once the last entry is received.
func (a *ahead) flushWhole() {
	if a.batch != nil && len(a.batch.recs) > 0 {
		select {
		case a.wholes <- a.batch: // never waits long: ahead takes batches first
		case <-a.done: // ahead failed; stop says why
		}
	}
	a.batch = nil
}

// hashWholes hashes, checks and links the whole objects of b, and hands b back.
func (a *ahead) hashWholes(b *wholeBatch) error {
	w, ix := a.w, a.ix
	off := 0
	for _, r := range b.recs {
		data := b.data[off : off+int(r.n)]
		off += int(r.n)
		id := w.h.Sum(r.typ, data)
		copy(a.ids[int(r.i)*ix.hs:], id.Bytes())
		if c := ix.opt.work; c != nil {
			c.wholeAhead.Add(1)
		}
		if r.typ == object.Blob {
			continue
		}
		if ix.opt.Check != nil {
			if err := ix.opt.Check(id, r.typ, data); err != nil {
				return err
			}
		}
		if ix.opt.Links {
			ix.links(r.typ, data, nil, a.needs(), nil)
		}
	}
	b.data, b.recs = b.data[:0], b.recs[:0]
	select {
	case a.freeBatch <- b:
	default:
	}
	return nil
}

// needs is ahead's set of what the objects it links name.
func (a *ahead) needs() *needSet {
	if a.w.needs == nil {
		a.w.needs = newNeedSet(a.ix.hs)
		a.ix.addNeeds(a.w.needs)
	}
	return a.w.needs
}

// one resolves entry i if it is an OFS delta whose base is at hand.
func (a *ahead) one(i int) error {
	e := a.entries[i]
	if e.kind != object.OfsDelta {
		return nil
	}
	base, err := a.base(int(e.base))
	if base == nil || err != nil {
		return err
	}
	if base.depth >= pack.MaxDeltaDepth {
		return fmt.Errorf("%w: %w (deltas on the entry at offset %d)", ErrBadPack, pack.ErrDeltaDepth, a.entries[base.i].off())
	}
	w, ix := a.w, a.ix
	delta := ix.keptDelta(i) // shared: read only, never handed to the buffers
	if delta != nil {
		ix.countKept()
	} else if delta, err = ix.readAt(e, a.end(i), &w.bufs, aheadMaxObject); delta == nil || err != nil {
		return err
	} else {
		defer w.bufs.put(delta)
	}
	_, dst, _, err := pack.DeltaSizes(delta)
	if err != nil {
		return fmt.Errorf("delta at offset %d: %w", e.off(), err)
	}
	if dst > aheadMaxObject {
		return nil
	}
	out, err := pack.ApplyDeltaTo(w.bufs.get(int(dst)), base.data, delta)
	if err != nil {
		return fmt.Errorf("delta at offset %d: %w", e.off(), err)
	}
	w.count(int64(len(out)))
	typ := base.typ
	id := w.h.Sum(typ, out)
	copy(a.ids[i*ix.hs:], id.Bytes())
	obj := &aheadObj{i: uint32(i), depth: base.depth + 1, typ: typ, data: out}
	if typ != object.Blob && ix.opt.Check != nil {
		if err := ix.opt.Check(id, typ, out); err != nil {
			w.bufs.put(out)
			return err
		}
	}
	if typ != object.Blob && ix.opt.Links {
		var cov *cover
		if typ == object.Tree {
			if bs := a.starts(base); bs != nil {
				w.cov = cover{copies: pack.AppendCopies(w.cov.copies[:0], delta), base: bs}
				cov = &w.cov
			}
			obj.starts = w.getStarts()
		}
		obj.starts = ix.links(typ, out, cov, a.needs(), obj.starts)
		obj.haveStarts = true
	}
	a.entries[i].typ = typ // resolved: resolveAll reads it after stop
	a.resolved++
	a.keep(obj)
	return nil
}

// base returns entry b as a base, from the cache or, for a whole object, read back from
// the temporary pack; nil if it is neither (a delta not resolved here, or let go).
func (a *ahead) base(b int) (*aheadObj, error) {
	if el, ok := a.byEntry[uint32(b)]; ok {
		a.cache.MoveToFront(el)
		return el.Value.(*aheadObj), nil
	}
	e := a.entries[b]
	if !e.kind.IsBase() {
		return nil, nil
	}
	data, err := a.ix.readAt(e, a.end(b), &a.w.bufs, aheadMaxObject)
	if data == nil || err != nil {
		return nil, err
	}
	obj := &aheadObj{i: uint32(b), typ: e.typ, data: data}
	a.keep(obj)
	return obj, nil
}

// starts returns where tree obj names objects, parsed when first asked; nil if it is
// not a tree git could walk.
func (a *ahead) starts(obj *aheadObj) []uint32 {
	if !obj.haveStarts {
		s, ok := treeLinks(obj.data, a.ix.hs, nil, nil, a.w.getStarts())
		if !ok {
			a.w.putStarts(s)
			s = nil
		}
		obj.starts, obj.haveStarts = s, true
		a.held += 4 * int64(cap(s))
	}
	return obj.starts
}

// keep caches obj as the most recent base, letting the least recently used go past
// the budget (the newest stays, whatever its size).
func (a *ahead) keep(obj *aheadObj) {
	a.byEntry[obj.i] = a.cache.PushFront(obj)
	a.held += obj.size()
	for a.held > a.budget && a.cache.Len() > 1 {
		old := a.cache.Remove(a.cache.Back()).(*aheadObj)
		delete(a.byEntry, old.i)
		a.release(old)
	}
}

func (a *ahead) release(obj *aheadObj) {
	a.held -= obj.size()
	a.w.bufs.put(obj.data)
	a.w.putStarts(obj.starts)
}
