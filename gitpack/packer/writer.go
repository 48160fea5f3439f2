package packer

import (
	"bufio"
	"compress/zlib"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"io"
	"slices"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"git-remote-object-store/gitpack/object"
	"git-remote-object-store/gitpack/pack"
)

// Source reads the objects to pack.
type Source interface {
	Read(h object.Hash) (object.Type, []byte, error)
}

// Locator is implemented by sources whose objects may already be packed: their stored
// entries are then copied without inflating them (git pack-objects' reuse). Locate is
// called from more than one goroutine at once.
type Locator interface {
	Locate(h object.Hash) (*pack.Pack, int, bool)
}

// Object is one object to pack, as a walk reports it.
type Object struct {
	Hash object.Hash
	Type object.Type
	// NameHash is NameHash of the path it was reached by, which orders delta candidates.
	// Only the hash is kept: a path string per object was a fifth of a million-file
	// push's memory.
	NameHash uint32
}

// Options tune Write.
type Options struct {
	Format object.Format
	// Progress, if set, is told how Write proceeds, phase by phase, as git pack-objects
	// shows it: Counting (each object's storage and size looked up), Compressing (each
	// delta candidate searched; skipped when there is none) and Writing (each object
	// written). Each phase begins with done 0 and ends with done == total; it is called
	// from the goroutine that called Write.
	Progress func(phase Phase, done, total int64)
	// ByID, if set, is ByID(objs), which the caller had to work out anyway (for the
	// set name): Index needs it, and Write keeps and may change it.
	ByID []int32
	// Index asks for Result.Index: each written object's id, offset and CRC, what its
	// .idx is made of, so the pack need not be indexed again.
	Index bool
}

// Phase names a step of making a pack, in git pack-objects' words.
type Phase int

// The phases, in order. Enumerating is the walk that lists the objects, before Write.
const (
	Enumerating Phase = iota
	Counting
	Compressing
	Writing
)

// tell reports progress, if anyone listens.
func (o *Options) tell(phase Phase, done, total int64) {
	if o.Progress != nil {
		o.Progress(phase, done, total)
	}
}

// Result describes a written pack.
type Result struct {
	Hash    object.Hash // trailer
	Objects int64
	Size    int64
	Reused  int64 // entries copied compressed from existing packs
	Deltas  int64 // of which deltas
	// Index, with Options.Index, is what the pack's .idx is written from.
	Index *Index
}

// plan says how one object is written. There is one per object, indexed like the
// objects, so it is kept small and holds no ids: a base is the index of another plan.
type plan struct {
	p        *pack.Pack // non-nil: copy this stored entry
	off, end int64      // the stored entry, header to end
	data     int64      // where its zlib data starts
	size     int64      // its inflated size (of the delta, for a delta)
	at       int64      // where it went in the new pack
	crc      uint32     // from the stored pack's index
	base     int32      // the plan this one follows: a stored delta's base, or a fresh one's
	kind     object.Type
	how      how
}

type how uint8

const (
	whole      how = iota // inflate and write whole
	reuse                 // copy the stored whole entry
	reuseDelta            // copy the stored delta (its base is in this pack)
	freshDelta            // compute a delta against base
	duplicate             // listed twice: written once, at its first listing
)

// entry is the stored entry pl copies, as package pack describes it.
func (pl *plan) entry() pack.Entry {
	return pack.Entry{Offset: pl.off, End: pl.end, Data: pl.data, Kind: pl.kind, Size: pl.size, CRC: pl.crc}
}

// Write writes a self-contained pack of objs to w: entries already stored in a local pack
// are copied compressed (their CRC checked first), stored deltas are kept when their base
// is in this pack too (written first, referenced by offset), and everything else is
// written whole.
func Write(w io.Writer, src Source, objs []Object, opt Options) (Result, error) {
	if opt.Format == 0 {
		opt.Format = object.SHA1
	}
	if len(objs) > 1<<31-1 {
		return Result{}, fmt.Errorf("pack of %d objects", len(objs))
	}
	plans := make([]plan, len(objs))
	ids := newIDIndex(objs)
	for i := range plans {
		plans[i].base = -1
		if ids.find(objs[i].Hash) != int32(i) {
			plans[i].how = duplicate
		}
	}
	opt.tell(Counting, 0, int64(len(objs)))
	if loc, ok := src.(Locator); ok {
		planReuse(loc, objs, plans, ids)
	}
	kept := findDeltas(src, objs, plans, &opt)
	order := writeOrder(objs, plans)
	opt.tell(Writing, 0, int64(len(order)))

	sum := opt.Format.New()
	bw := bufio.NewWriterSize(io.MultiWriter(w, sum), 256<<10)
	ow := &countWriter{w: bw}
	var hdr [12]byte
	copy(hdr[:], "PACK")
	binary.BigEndian.PutUint32(hdr[4:], 2)
	binary.BigEndian.PutUint32(hdr[8:], uint32(len(order)))
	ow.Write(hdr[:])
	zw, _ := zlib.NewWriterLevel(ow, zlib.DefaultCompression)
	ahead := readReusedAhead(plans, order)
	defer ahead.stop()
	var res Result
	var crcs []uint32
	if opt.Index {
		crcs = make([]uint32, len(objs))
		ow.crc = new(uint32)
	}
	var head []byte
	copyBuf := make([]byte, 32<<10)
	for n, i := range order {
		pl := &plans[i]
		off := ow.n
		if ow.crc != nil {
			*ow.crc = 0
		}
		var err error
		switch pl.how {
		case reuseDelta:
			head = pack.AppendEntryHeader(head[:0], object.OfsDelta, pl.size)
			head = pack.AppendOfsDistance(head, off-plans[pl.base].at)
			if _, err = ow.Write(head); err == nil {
				err = ahead.copy(ow, pl)
			}
			res.Reused++
			res.Deltas++
		case reuse:
			head = pack.AppendEntryHeader(head[:0], pl.kind, pl.size)
			if _, err = ow.Write(head); err == nil {
				err = ahead.copy(ow, pl)
			}
			res.Reused++
		case freshDelta:
			err = writeFreshDelta(ow, zw, src, objs[pl.base].Hash, objs[i].Hash, kept[i], off-plans[pl.base].at, &head)
			res.Deltas++
		default:
			err = writeWhole(ow, zw, src, objs[i].Hash, &head, copyBuf)
		}
		if err != nil {
			return Result{}, fmt.Errorf("pack %s: %w", objs[i].Hash, err)
		}
		pl.at = off
		if ow.crc != nil {
			crcs[i] = *ow.crc
		}
		opt.tell(Writing, int64(n+1), int64(len(order)))
	}
	if err := bw.Flush(); err != nil {
		return Result{}, err
	}
	trailer := sum.Sum(nil)
	if _, err := w.Write(trailer); err != nil {
		return Result{}, err
	}
	h, _ := object.FromBytes(trailer)
	res.Hash, res.Objects, res.Size = h, int64(len(order)), ow.n+int64(len(trailer))
	if opt.Index {
		res.Index = newIndex(objs, plans, crcs, opt.ByID)
	}
	return res, nil
}

// planReuse finds which objects are stored in a local pack and plans to copy them, as
// deltas when their stored base is in this pack too. Headers are read a pack at a time,
// in pack order.
func planReuse(loc Locator, objs []Object, plans []plan, ids *idIndex) {
	type located struct {
		is    []int   // index positions in the pack
		which []int32 // the plans they are for
	}
	// Located in two halves at once: a binary search of an index for each object.
	locate := func(from, to int) map[*pack.Pack]*located {
		byPack := map[*pack.Pack]*located{}
		for i := from; i < to; i++ {
			if plans[i].how == duplicate {
				continue
			}
			p, k, ok := loc.Locate(objs[i].Hash)
			if !ok {
				continue
			}
			l := byPack[p]
			if l == nil {
				l = &located{}
				byPack[p] = l
			}
			l.is, l.which = append(l.is, k), append(l.which, int32(i))
		}
		return byPack
	}
	half := len(objs)
	if len(objs) >= 1<<14 {
		half /= 2
	}
	var second map[*pack.Pack]*located
	var wg sync.WaitGroup
	if half < len(objs) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			second = locate(half, len(objs))
		}()
	}
	byPack := locate(0, half)
	wg.Wait()
	for p, l2 := range second {
		if l := byPack[p]; l != nil {
			l.is, l.which = append(l.is, l2.is...), append(l.which, l2.which...)
		} else {
			byPack[p] = l2
		}
	}
	for p, l := range byPack {
		entries, err := p.Entries(l.is)
		if err != nil {
			continue // an unreadable pack: write its objects whole
		}
		for k, e := range entries {
			pl := &plans[l.which[k]]
			set := func(h how) {
				pl.p, pl.off, pl.end, pl.data, pl.size, pl.crc, pl.kind, pl.how = p, e.Offset, e.End, e.Data, e.Size, e.CRC, e.Kind, h
			}
			if e.Kind.IsBase() {
				set(reuse)
			} else if b := ids.find(e.BaseHash); b >= 0 {
				set(reuseDelta)
				pl.base = b
			}
		}
	}
}

// idIndex finds an object's index in the list being packed: an open-addressing table of
// indexes, far smaller than a map keyed by ids.
type idIndex struct {
	objs  []Object
	slots []int32 // index+1; 0 is empty
	mask  uint64
}

func newIDIndex(objs []Object) *idIndex {
	n := 1
	for n < 2*len(objs) {
		n *= 2
	}
	x := &idIndex{objs: objs, slots: make([]int32, n), mask: uint64(n - 1)}
	for i := range objs {
		for j := slotOf(objs[i].Hash) & x.mask; ; j = (j + 1) & x.mask {
			if x.slots[j] == 0 {
				x.slots[j] = int32(i) + 1
				break
			}
			if objs[x.slots[j]-1].Hash == objs[i].Hash {
				break // a duplicate: the first listing stays
			}
		}
	}
	return x
}

func slotOf(h object.Hash) uint64 { return binary.LittleEndian.Uint64(h.Bytes()) }

// find returns the index of h's first listing, or -1.
func (x *idIndex) find(h object.Hash) int32 {
	if h.IsZero() {
		return -1
	}
	for j := slotOf(h) & x.mask; ; j = (j + 1) & x.mask {
		s := x.slots[j]
		if s == 0 {
			return -1
		}
		if x.objs[s-1].Hash == h {
			return s - 1
		}
	}
}

// Opener is implemented by sources that can stream an object, so one larger than memory
// is packed through a buffer.
type Opener interface {
	Open(h object.Hash) (object.Type, int64, io.ReadCloser, error)
}

// writeWhole writes h whole, streamed through buf when the source can stream it.
func writeWhole(ow io.Writer, zw *zlib.Writer, src Source, h object.Hash, head *[]byte, buf []byte) error {
	if o, ok := src.(Opener); ok {
		t, size, rc, err := o.Open(h)
		if err != nil {
			return err
		}
		defer rc.Close()
		*head = pack.AppendEntryHeader((*head)[:0], t, size)
		if _, err := ow.Write(*head); err != nil {
			return err
		}
		zw.Reset(ow)
		if n, err := io.CopyBuffer(zw, rc, buf); err != nil {
			return err
		} else if n != size {
			return fmt.Errorf("object %s: %d bytes, header says %d", h, n, size)
		}
		return zw.Close()
	}
	t, data, err := src.Read(h)
	if err != nil {
		return err
	}
	*head = pack.AppendEntryHeader((*head)[:0], t, int64(len(data)))
	if _, err := ow.Write(*head); err != nil {
		return err
	}
	zw.Reset(ow)
	if _, err := zw.Write(data); err != nil {
		return err
	}
	return zw.Close()
}

// writeFreshDelta writes the chosen delta of target on base as an OFS_DELTA: d if the
// search kept it, else computed again.
func writeFreshDelta(ow io.Writer, zw *zlib.Writer, src Source, baseID, targetID object.Hash, d []byte, dist int64, head *[]byte) error {
	if d == nil {
		_, base, err := src.Read(baseID)
		if err != nil {
			return err
		}
		_, target, err := src.Read(targetID)
		if err != nil {
			return err
		}
		d = Delta(base, target, 0)
	}
	*head = pack.AppendEntryHeader((*head)[:0], object.OfsDelta, int64(len(d)))
	*head = pack.AppendOfsDistance(*head, dist)
	if _, err := ow.Write(*head); err != nil {
		return err
	}
	zw.Reset(ow)
	if _, err := zw.Write(d); err != nil {
		return err
	}
	return zw.Close()
}

// writeOrder lays the pack out as git's pack-objects does (compute_write_order): the
// commits and tags in walk order, then the trees in walk order, then everything else one
// delta family at a time, each base before the objects that follow it. A history
// packed by git and pushed again whole is then copied in the order it is stored, so the
// entries are read sequentially, not scattered over the stored pack; and a clone gets
// the layout git's own clients expect.
func writeOrder(objs []Object, plans []plan) []int32 {
	basesFirst := orderBasesFirst(plans) // also breaks cycles, so every chain below ends
	out := make([]int32, 0, len(basesFirst))
	written := make([]bool, len(plans))
	var chain []int32
	// add appends i after whatever of its chain of bases is not written yet: in
	// basesFirst a base of the same type is already there, but a damaged pack can base
	// a commit's delta on a blob, written only in the last pass.
	add := func(i int32) {
		chain = chain[:0]
		for cur := i; cur >= 0 && !written[cur]; cur = plans[cur].base {
			chain = append(chain, cur)
		}
		for k := len(chain) - 1; k >= 0; k-- {
			written[chain[k]] = true
			out = append(out, chain[k])
		}
	}
	for _, i := range basesFirst {
		if t := objs[i].Type; t == object.Commit || t == object.Tag {
			add(i)
		}
	}
	for _, i := range basesFirst {
		if objs[i].Type == object.Tree {
			add(i)
		}
	}
	// The delta families: each object's children in walk order, as linked lists.
	child := make([]int32, len(plans))
	sibling := make([]int32, len(plans))
	for i := range child {
		child[i], sibling[i] = -1, -1
	}
	for k := len(basesFirst) - 1; k >= 0; k-- {
		i := basesFirst[k]
		if b := plans[i].base; b >= 0 {
			sibling[i], child[b] = child[b], i
		}
	}
	addOne := func(i int32) {
		if !written[i] {
			written[i] = true
			out = append(out, i)
		}
	}
	for _, i := range basesFirst {
		if written[i] {
			continue
		}
		root := i
		for plans[root].base >= 0 {
			root = plans[root].base
		}
		// The family from its root, as git walks it: a node's children are all added
		// before any grandchild, then each child's family in turn, depth first.
		addOne(root)
		for e := root; ; {
			for s := child[e]; s >= 0; s = sibling[s] {
				addOne(s)
			}
			if child[e] >= 0 {
				e = child[e]
				continue
			}
			for e >= 0 && e != root && sibling[e] < 0 {
				e = plans[e].base
			}
			if e < 0 || e == root {
				break
			}
			e = sibling[e]
		}
	}
	return out
}

// orderBasesFirst keeps the walk's order (commits, then trees and blobs by path, which
// is what makes a pack compress and read well) except that a delta's base is moved
// before it. A cycle among stored deltas (a damaged pack) is broken by writing the
// object whole.
func orderBasesFirst(plans []plan) []int32 {
	const (
		unseen = iota
		visiting
		done
	)
	state := make([]uint8, len(plans))
	out := make([]int32, 0, len(plans))
	var chain []int32
	for i := range plans {
		if state[i] == done || plans[i].how == duplicate {
			continue
		}
		// Walk down the chain of deltas iteratively, so deep chains cannot exhaust the
		// stack.
		state[i] = visiting
		chain = append(chain[:0], int32(i))
		for cur := int32(i); plans[cur].base >= 0; {
			b := plans[cur].base
			if state[b] == done {
				break
			}
			if state[b] == visiting {
				pl := &plans[cur]
				pl.how, pl.p, pl.base = whole, nil, -1 // cycle: write it whole
				break
			}
			state[b] = visiting
			chain = append(chain, b)
			cur = b
		}
		for k := len(chain) - 1; k >= 0; k-- {
			state[chain[k]] = done
			out = append(out, chain[k])
		}
	}
	return out
}

// countWriter counts what goes through it and, when crc is set, sums it as the .idx's
// CRC-32 of each entry does (reset by the caller at each entry).
type countWriter struct {
	w   io.Writer
	n   int64
	crc *uint32
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	if c.crc != nil {
		*c.crc = crc32.Update(*c.crc, crc32.IEEETable, p[:n])
	}
	return n, err
}

// aheadBudget bounds the bytes of reused entries read ahead and not yet written.
const aheadBudget = 16 << 20

// reusedAhead reads the stored entries to be copied, in write order, on another
// goroutine: reading and CRC-checking them overlaps with compressing-free writing and
// hashing the output, which were otherwise one after the other.
type reusedAhead struct {
	ch       chan aheadEntry
	done     chan struct{}
	inflight atomic.Int64
}

type aheadEntry struct {
	data []byte // nil: too large, copy by streaming
	err  error
}

func readReusedAhead(plans []plan, order []int32) *reusedAhead {
	a := &reusedAhead{ch: make(chan aheadEntry, 1024), done: make(chan struct{})}
	go func() {
		defer close(a.ch)
		var b aheadBatch
		for _, i := range order {
			pl := &plans[i]
			if pl.how != reuse && pl.how != reuseDelta {
				continue
			}
			if b.add(pl) && !a.flush(&b) {
				return
			}
		}
		a.flush(&b)
	}()
	return a
}

// aheadBatch is the next reused entries in write order, read together sorted by where
// they are stored: a pack's write order is not its source's, and entries read one call
// each cost a system call apiece.
type aheadBatch struct {
	plans []*plan
	bytes int64
	packs map[*pack.Pack]int // a number per source pack, for sorting
	// scratch for flush
	small []int
	es    []pack.Entry
	data  [][]byte
	out   []aheadEntry
}

// Up to batchEntries entries or batchBytes bytes of them are read at once.
const (
	batchEntries = 1024
	batchBytes   = 4 << 20
)

// add takes pl into the batch and reports whether it is full.
func (b *aheadBatch) add(pl *plan) bool {
	b.plans = append(b.plans, pl)
	if pl.end-pl.off <= pack.MaxSmallEntry {
		b.bytes += pl.end - pl.off
	}
	return len(b.plans) >= batchEntries || b.bytes >= batchBytes
}

// flush reads the batch's small entries, sorted by pack and offset, and hands every
// entry of it to the writer in write order; false once stopped.
func (a *reusedAhead) flush(b *aheadBatch) bool {
	defer func() { b.plans, b.bytes = b.plans[:0], 0 }()
	for a.inflight.Load() > aheadBudget {
		select {
		case <-a.done:
			return false
		case <-time.After(100 * time.Microsecond):
		}
	}
	if b.packs == nil {
		b.packs = map[*pack.Pack]int{}
	}
	b.small = b.small[:0]
	for k, pl := range b.plans {
		if pl.end-pl.off <= pack.MaxSmallEntry {
			if _, ok := b.packs[pl.p]; !ok {
				b.packs[pl.p] = len(b.packs)
			}
			b.small = append(b.small, k)
		}
	}
	sort.Slice(b.small, func(x, y int) bool {
		px, py := b.plans[b.small[x]], b.plans[b.small[y]]
		if nx, ny := b.packs[px.p], b.packs[py.p]; nx != ny {
			return nx < ny
		}
		return px.off < py.off
	})
	b.out = slices.Grow(b.out[:0], len(b.plans))[:len(b.plans)]
	clear(b.out)
	for lo := 0; lo < len(b.small); {
		p := b.plans[b.small[lo]].p
		hi := lo + 1
		for hi < len(b.small) && b.plans[b.small[hi]].p == p {
			hi++
		}
		b.es, b.data = b.es[:0], b.data[:0]
		for _, k := range b.small[lo:hi] {
			b.es = append(b.es, b.plans[k].entry())
			b.data = append(b.data, nil)
		}
		if err := p.ReadEntries(b.es, b.data); err != nil {
			// Read them one by one, so each error is told at the entry it belongs to.
			for _, k := range b.small[lo:hi] {
				b.out[k].data, b.out[k].err = p.EntryData(b.plans[k].entry())
			}
		} else {
			for x, k := range b.small[lo:hi] {
				b.out[k].data = b.data[x]
			}
		}
		lo = hi
	}
	for _, e := range b.out {
		a.inflight.Add(int64(len(e.data)))
		select {
		case a.ch <- e:
		case <-a.done:
			return false
		}
	}
	return true
}

// copy writes pl's stored data, which must be the next reused entry in write order.
func (a *reusedAhead) copy(w io.Writer, pl *plan) error {
	e, ok := <-a.ch
	if !ok {
		return fmt.Errorf("reused entries ran out before the entry at %d", pl.off)
	}
	if e.err != nil {
		return e.err
	}
	if e.data == nil {
		return pl.p.CopyData(w, pl.entry())
	}
	a.inflight.Add(-int64(len(e.data)))
	_, err := w.Write(e.data)
	return err
}

func (a *reusedAhead) stop() {
	close(a.done)
	for range a.ch { // let the reader finish
	}
}
