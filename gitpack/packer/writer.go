package packer

import (
	"bufio"
	"compress/zlib"
	"encoding/binary"
	"fmt"
	"io"
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
// entries are then copied without inflating them (git pack-objects' reuse).
type Locator interface {
	Locate(h object.Hash) (*pack.Pack, int, bool)
}

// Object is one object to pack, as a walk reports it.
type Object struct {
	Hash object.Hash
	Type object.Type
	Path string // the path name it was reached by (for delta candidate ordering)
}

// Options tune Write.
type Options struct {
	Format object.Format
	// Progress is told each object as it is written.
	Progress func(done, total int64)
}

// Result describes a written pack.
type Result struct {
	Hash    object.Hash // trailer
	Objects int64
	Size    int64
	Reused  int64 // entries copied compressed from existing packs
	Deltas  int64 // of which deltas
}

// plan says how one object is written.
type plan struct {
	obj   Object
	p     *pack.Pack // non-nil: copy this stored entry
	entry pack.Entry
	delta bool // copy the stored delta (its base is in this pack)
	// freshBase, when set, is the object this one is delta-compressed against afresh.
	freshBase object.Hash
}

// base is the object pl must follow in the pack, if any.
func (pl *plan) base() (object.Hash, bool) {
	switch {
	case pl.delta:
		return pl.entry.BaseHash, true
	case !pl.freshBase.IsZero():
		return pl.freshBase, true
	}
	return object.Hash{}, false
}

// Write writes a self-contained pack of objs to w: entries already stored in a local pack
// are copied compressed (their CRC checked first), stored deltas are kept when their base
// is in this pack too (written first, referenced by offset), and everything else is
// written whole.
func Write(w io.Writer, src Source, objs []Object, opt Options) (Result, error) {
	if opt.Format == 0 {
		opt.Format = object.SHA1
	}
	plans := make(map[object.Hash]*plan, len(objs))
	for _, o := range objs {
		plans[o.Hash] = &plan{obj: o}
	}
	if loc, ok := src.(Locator); ok {
		type located struct {
			is  []int
			pls []*plan
		}
		byPack := map[*pack.Pack]*located{}
		for _, o := range objs {
			p, i, ok := loc.Locate(o.Hash)
			if !ok {
				continue
			}
			l := byPack[p]
			if l == nil {
				l = &located{}
				byPack[p] = l
			}
			l.is, l.pls = append(l.is, i), append(l.pls, plans[o.Hash])
		}
		for p, l := range byPack {
			entries, err := p.Entries(l.is)
			if err != nil {
				continue // an unreadable pack: write its objects whole
			}
			for k, e := range entries {
				switch pl := l.pls[k]; {
				case e.Kind.IsBase():
					pl.p, pl.entry = p, e
				case plans[e.BaseHash] != nil:
					pl.p, pl.entry, pl.delta = p, e, true
				}
			}
		}
	}
	all := make([]*plan, 0, len(objs))
	for _, o := range objs {
		all = append(all, plans[o.Hash])
	}
	findDeltas(src, all)
	order := orderBasesFirst(objs, plans)

	sum := opt.Format.New()
	bw := bufio.NewWriterSize(io.MultiWriter(w, sum), 256<<10)
	ow := &countWriter{w: bw}
	var hdr [12]byte
	copy(hdr[:], "PACK")
	binary.BigEndian.PutUint32(hdr[4:], 2)
	binary.BigEndian.PutUint32(hdr[8:], uint32(len(order)))
	ow.Write(hdr[:])
	zw, _ := zlib.NewWriterLevel(ow, zlib.DefaultCompression)
	ahead := readReusedAhead(order)
	defer ahead.stop()
	written := make(map[object.Hash]int64, len(order))
	var res Result
	var head []byte
	for n, pl := range order {
		off := ow.n
		var err error
		switch {
		case pl.delta:
			head = pack.AppendEntryHeader(head[:0], object.OfsDelta, pl.entry.Size)
			head = pack.AppendOfsDistance(head, off-written[pl.entry.BaseHash])
			if _, err = ow.Write(head); err == nil {
				err = ahead.copy(ow, pl)
			}
			res.Reused++
			res.Deltas++
		case pl.p != nil:
			head = pack.AppendEntryHeader(head[:0], pl.entry.Kind, pl.entry.Size)
			if _, err = ow.Write(head); err == nil {
				err = ahead.copy(ow, pl)
			}
			res.Reused++
		case !pl.freshBase.IsZero():
			err = writeFreshDelta(ow, zw, src, pl, off-written[pl.freshBase], &head)
			res.Deltas++
		default:
			err = writeWhole(ow, zw, src, pl.obj.Hash, &head)
		}
		if err != nil {
			return Result{}, fmt.Errorf("pack %s: %w", pl.obj.Hash, err)
		}
		written[pl.obj.Hash] = off
		if opt.Progress != nil {
			opt.Progress(int64(n+1), int64(len(order)))
		}
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
	return res, nil
}

// Opener is implemented by sources that can stream an object, so one larger than memory
// is packed through a buffer.
type Opener interface {
	Open(h object.Hash) (object.Type, int64, io.ReadCloser, error)
}

func writeWhole(ow io.Writer, zw *zlib.Writer, src Source, h object.Hash, head *[]byte) error {
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
		if n, err := io.Copy(zw, rc); err != nil {
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

// writeFreshDelta computes the chosen delta again and writes it as an OFS_DELTA.
func writeFreshDelta(ow io.Writer, zw *zlib.Writer, src Source, pl *plan, dist int64, head *[]byte) error {
	_, base, err := src.Read(pl.freshBase)
	if err != nil {
		return err
	}
	_, target, err := src.Read(pl.obj.Hash)
	if err != nil {
		return err
	}
	d := Delta(base, target, 0)
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

// orderBasesFirst keeps the walk's order (commits, then trees and blobs by path, which
// is what makes a pack compress and read well) except that a reused delta's base is
// moved before it. A cycle among stored deltas (a damaged pack) is broken by writing the
// object whole.
func orderBasesFirst(objs []Object, plans map[object.Hash]*plan) []*plan {
	const (
		unseen = iota
		visiting
		done
	)
	state := make(map[object.Hash]int, len(objs))
	out := make([]*plan, 0, len(objs))
	var visit func(pl *plan)
	visit = func(pl *plan) {
		h := pl.obj.Hash
		if state[h] == done {
			return
		}
		state[h] = visiting
		// Walk down the chain of stored deltas iteratively, so deep chains cannot
		// exhaust the stack.
		chain := []*plan{pl}
		for cur := pl; ; {
			bh, ok := cur.base()
			if !ok {
				break
			}
			base := plans[bh]
			if state[base.obj.Hash] == done {
				break
			}
			if state[base.obj.Hash] == visiting {
				cur.delta, cur.p, cur.freshBase = false, nil, object.Hash{} // cycle: write it whole
				break
			}
			state[base.obj.Hash] = visiting
			chain = append(chain, base)
			cur = base
		}
		for i := len(chain) - 1; i >= 0; i-- {
			state[chain[i].obj.Hash] = done
			out = append(out, chain[i])
		}
	}
	for _, o := range objs {
		visit(plans[o.Hash])
	}
	return out
}

type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
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

func readReusedAhead(order []*plan) *reusedAhead {
	a := &reusedAhead{ch: make(chan aheadEntry, 1024), done: make(chan struct{})}
	go func() {
		defer close(a.ch)
		for _, pl := range order {
			if pl.p == nil {
				continue
			}
			var e aheadEntry
			if pl.entry.End-pl.entry.Offset <= pack.MaxSmallEntry {
				for a.inflight.Load() > aheadBudget {
					select {
					case <-a.done:
						return
					case <-time.After(100 * time.Microsecond):
					}
				}
				e.data, e.err = pl.p.EntryData(pl.entry)
				a.inflight.Add(int64(len(e.data)))
			}
			select {
			case a.ch <- e:
			case <-a.done:
				return
			}
		}
	}()
	return a
}

// copy writes pl's stored data, which must be the next reused entry in write order.
func (a *reusedAhead) copy(w io.Writer, pl *plan) error {
	e, ok := <-a.ch
	if !ok {
		return fmt.Errorf("reused entries ran out before %s", pl.obj.Hash)
	}
	if e.err != nil {
		return e.err
	}
	if e.data == nil {
		return pl.p.CopyData(w, pl.entry)
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
