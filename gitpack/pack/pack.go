package pack

import (
	"bufio"
	"bytes"
	"compress/zlib"
	"container/list"
	"encoding/binary"
	"errors"
	"fmt"
	"git-remote-object-store/gitpack/inflate"
	"io"
	"os"
	"sync"

	"git-remote-object-store/gitpack/object"
)

// MaxDeltaDepth bounds a delta chain (the deltas between an object and the whole object
// at the bottom), counted across packs when a REF_DELTA base lies in another one. It is
// the deepest chain git writes: pack-objects caps --depth (and pack.depth) at 4095, as
// its per-object depth field is 12 bits wide, so no pack git made exceeds it. Deeper
// chains only come from a crafted pack, and each level costs a read and a delta
// application, so they are refused (ErrDeltaDepth) rather than followed.
const MaxDeltaDepth = 4095

// ErrNotFound: the pack does not hold the object.
var ErrNotFound = errors.New("pack: object not in pack")

// ResolveFunc reads a REF_DELTA base that is not in this pack (a thin pack's base, or an
// object in another pack or loose).
type ResolveFunc func(h object.Hash) (object.Type, []byte, error)

// ChainFunc is a ResolveFunc for a caller that follows bases from pack to pack: it is
// also told depth, how many deltas already wait on the base h, so that it can pass the
// count on (to ReadChain) and the chain is bounded as a whole, not pack by pack. It is
// the caller's to notice a base it is already resolving (ErrDeltaCycle): a cycle through
// several packs is invisible to each pack alone.
type ChainFunc func(h object.Hash, depth int) (object.Type, []byte, error)

// Pack gives random access to the objects of one pack through its index.
type Pack struct {
	f    io.ReaderAt // the pack's bytes: a file, or a range-reading view of a remote object
	c    io.Closer
	size int64
	Idx  *Idx
	fmt  object.Format

	mu         sync.Mutex
	cache      *baseCache
	chunks     chunks
	offsOnce   sync.Once
	sortedOffs []int64 // entry offsets in pack order (lazy)
	offPos     []int   // index position of each
	ranksOnce  sync.Once
	rankOf     []int32 // rank in pack order of each index position (lazy)
}

// Open opens pack-X.pack with its pack-X.idx.
func Open(packPath, idxPath string, f object.Format) (*Pack, error) {
	idxData, err := os.ReadFile(idxPath)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", idxPath, err)
	}
	idx, err := ParseIdx(idxData, f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", idxPath, err)
	}
	pf, err := os.Open(packPath)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", packPath, err)
	}
	st, err := pf.Stat()
	if err != nil {
		pf.Close()
		return nil, err
	}
	p, err := FromReaderAt(pf, st.Size(), idx, f)
	if err != nil {
		pf.Close()
		return nil, fmt.Errorf("%s: %w", packPath, err)
	}
	p.c = pf
	return p, nil
}

// FromReaderAt gives random access to a pack of size bytes read through r, such as a
// view of a pack on the bucket that fetches ranges on demand.
func FromReaderAt(r io.ReaderAt, size int64, idx *Idx, f object.Format) (*Pack, error) {
	var hdr [12]byte
	if _, err := r.ReadAt(hdr[:], 0); err != nil || string(hdr[:4]) != "PACK" ||
		binary.BigEndian.Uint32(hdr[8:]) != uint32(idx.Count()) {
		if err != nil && !errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("read pack header: %w", err)
		}
		return nil, fmt.Errorf("%w: header does not match its index", ErrCorrupt)
	}
	return &Pack{f: r, size: size, Idx: idx, fmt: f, cache: newBaseCache(32 << 20)}, nil
}

// Close releases the pack file.
func (p *Pack) Close() error {
	if p.c == nil {
		return nil
	}
	return p.c.Close()
}

// Has reports whether the pack holds h.
func (p *Pack) Has(h object.Hash) bool { return p.Idx.Find(h) >= 0 }

// entry is a decoded entry header.
type entry struct {
	t        object.Type
	size     int64
	baseOff  int64       // OFS_DELTA
	baseHash object.Hash // REF_DELTA
	data     int64       // offset of the zlib data
	end      int64       // where the entry ends, when known (0: not looked up)
}

func (p *Pack) entryAt(off int64) (entry, error) {
	if off < 12 || off >= p.size {
		return entry{}, fmt.Errorf("%w: offset %d outside the pack", ErrCorrupt, off)
	}
	br := bufio.NewReaderSize(io.NewSectionReader(p.f, off, min(p.size-off, 64)), 64)
	t, size, n, err := ReadEntryHeader(br)
	if err != nil {
		return entry{}, err
	}
	e := entry{t: t, size: size, data: off + int64(n)}
	switch t {
	case object.OfsDelta:
		d, m, err := ReadOfsDistance(br)
		if err != nil {
			return entry{}, err
		}
		if d <= 0 || d >= off {
			return entry{}, fmt.Errorf("%w: delta base offset out of range", ErrCorrupt)
		}
		e.baseOff, e.data = off-d, e.data+int64(m)
	case object.RefDelta:
		raw := make([]byte, p.fmt.Size())
		if _, err := io.ReadFull(br, raw); err != nil {
			return entry{}, fmt.Errorf("%w: truncated delta base id", ErrCorrupt)
		}
		e.baseHash, _ = object.FromBytes(raw)
		e.data += int64(len(raw))
	}
	return e, nil
}

// inflaters recycles zlib readers and their input buffers: a walk inflates hundreds of
// thousands of small objects, and fresh 32 KiB buffers for each dominated its time.
var inflaters = sync.Pool{New: func() any { return &inflater{br: bufio.NewReaderSize(nil, 16<<10)} }}

type inflater struct {
	br *bufio.Reader
	zr io.ReadCloser
}

// inflate reads exactly size bytes of zlib data at off, the data ending by end.
func (p *Pack) inflate(off, end, size int64) ([]byte, error) {
	if z := end - off; off < 0 || z <= 0 || end > p.size || size > 1032*z+64 {
		// A header may claim any size; the entry's zlib bytes bound what it can hold
		// (deflate expands at most about 1032:1), so a lie costs an error, not memory.
		return nil, fmt.Errorf("%w: an object of %d bytes cannot come from %d bytes of zlib data", ErrTooLarge, size, max(z, 0))
	}
	in := inflaters.Get().(*inflater)
	defer inflaters.Put(in)
	in.br.Reset(io.NewSectionReader(p.f, off, end-off))
	var err error
	if in.zr == nil {
		in.zr, err = zlib.NewReader(in.br)
	} else {
		err = in.zr.(zlib.Resetter).Reset(in.br, nil)
	}
	if err != nil {
		in.zr = nil
		return nil, fmt.Errorf("%w: zlib: %v", ErrCorrupt, err)
	}
	return readGrowing(in.zr, size, 8*(end-off)+64<<10)
}

// readGrowing reads exactly size bytes from r into a buffer that starts at no more than
// guess bytes and grows only as data arrives: the declared size is trusted for the
// allocation only as far as the data has made it plausible (a real object of a size
// deflate shrinks more than guess allows costs a few doublings; a lie, nothing).
func readGrowing(r io.Reader, size, guess int64) ([]byte, error) {
	buf := make([]byte, 0, min(size, max(guess, 4096)))
	for int64(len(buf)) < size {
		if len(buf) == cap(buf) {
			grown := make([]byte, len(buf), min(size, 2*int64(cap(buf))))
			copy(grown, buf)
			buf = grown
		}
		n, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err != nil && int64(len(buf)) < size {
			return nil, fmt.Errorf("%w: inflate: %d of %d bytes: %v", ErrCorrupt, len(buf), size, noEOF(err))
		}
	}
	return buf, nil
}

// smallEntry is the largest entry read with a single pread, header and data together;
// nearly all entries are far smaller, and one read instead of a header read plus 16 KiB
// buffered reads was a quarter of a full walk's time.
const smallEntry = 64 << 10

// loadEntry decodes the entry header at off and, for a small entry, returns its zlib data
// from the same read (nil for a large one, inflated by streaming instead).
func (p *Pack) loadEntry(off int64) (entry, []byte, error) {
	end, err := p.entryEnd(off)
	if err != nil || end <= off || end-off > smallEntry {
		e, err := p.entryAt(off)
		if err == nil && end > e.data {
			e.end = end
		}
		return e, nil, err
	}
	buf := make([]byte, end-off)
	if ok, err := p.chunks.readAt(p.f, p.size, buf, off); err != nil {
		return entry{}, nil, fmt.Errorf("read entry at %d: %w", off, err)
	} else if !ok {
		if _, err := p.f.ReadAt(buf, off); err != nil && !(errors.Is(err, io.EOF) && off+int64(len(buf)) <= p.size) {
			return entry{}, nil, fmt.Errorf("read entry at %d: %w", off, err)
		}
	}
	br := bytes.NewReader(buf)
	t, size, n, err := ReadEntryHeader(br)
	if err != nil {
		return entry{}, nil, err
	}
	e := entry{t: t, size: size, data: off + int64(n), end: end}
	switch t {
	case object.OfsDelta:
		d, m, err := ReadOfsDistance(br)
		if err != nil {
			return entry{}, nil, err
		}
		if d <= 0 || d >= off {
			return entry{}, nil, fmt.Errorf("%w: delta base offset out of range", ErrCorrupt)
		}
		e.baseOff, e.data = off-d, e.data+int64(m)
	case object.RefDelta:
		hs := p.fmt.Size()
		if e.data+int64(hs) > end {
			return entry{}, nil, fmt.Errorf("%w: truncated delta base id", ErrCorrupt)
		}
		e.baseHash, _ = object.FromBytes(buf[e.data-off : e.data-off+int64(hs)])
		e.data += int64(hs)
	}
	return e, buf[e.data-off:], nil
}

// inflateEntry inflates e from raw, its zlib data, or from the pack when raw is nil.
func (p *Pack) inflateEntry(e entry, raw []byte) ([]byte, error) {
	if raw == nil {
		end := e.end
		if end == 0 {
			end = p.size - int64(p.fmt.Size())
		}
		return p.inflate(e.data, end, e.size)
	}
	if e.size > 1032*int64(len(raw))+64 { // deflate cannot expand beyond about 1032:1
		return nil, fmt.Errorf("%w: %d bytes of zlib data cannot inflate to %d", ErrTooLarge, len(raw), e.size)
	}
	buf := make([]byte, e.size)
	if _, err := inflate.Zlib(buf, raw); err != nil {
		return nil, fmt.Errorf("%w: entry at %d: %v", ErrCorrupt, e.data, err)
	}
	return buf, nil
}

// Read returns the object h, resolving deltas; resolve supplies REF bases that are not
// in this pack (it may be nil).
func (p *Pack) Read(h object.Hash, resolve ResolveFunc) (object.Type, []byte, error) {
	i := p.Idx.Find(h)
	if i < 0 {
		return 0, nil, ErrNotFound
	}
	return p.ReadAt(p.Idx.Offset(i), resolve)
}

// ReadAt returns the object whose entry starts at off.
func (p *Pack) ReadAt(off int64, resolve ResolveFunc) (object.Type, []byte, error) {
	var chain ChainFunc
	if resolve != nil {
		chain = func(h object.Hash, _ int) (object.Type, []byte, error) { return resolve(h) }
	}
	return p.readAt(off, 0, chain, nil)
}

// ReadChain is Read for a read that is itself resolving a base for depth deltas waiting
// on h (0 for an object asked for directly): the chain found here counts on top of
// depth, and resolve is told the depth reached when a base lies outside the pack.
func (p *Pack) ReadChain(h object.Hash, depth int, resolve ChainFunc) (object.Type, []byte, error) {
	return p.ReadStored(h, depth, resolve, nil)
}

// Stored says how an object read is kept in its pack, for a reader that can use what a
// delta copies: a walk of trees need not look again at the entries a tree's delta copied
// from a tree the walk has already looked at.
type Stored struct {
	Pack    *Pack
	Off     int64  // where the object's entry starts
	BaseOff int64  // where its delta base's entry starts; -1 when stored whole, or on a base outside the pack
	Copies  []Copy // the delta's copy instructions, when BaseOff >= 0
}

// ReadStored is ReadChain that also tells st (when not nil) how h is stored. st.Copies
// is reused.
func (p *Pack) ReadStored(h object.Hash, depth int, resolve ChainFunc, st *Stored) (object.Type, []byte, error) {
	i := p.Idx.Find(h)
	if i < 0 {
		return 0, nil, ErrNotFound
	}
	return p.readAt(p.Idx.Offset(i), depth, resolve, st)
}

// stored fills st for the entry at off, read from the base cache: its delta is inflated
// again for its copy instructions.
func (p *Pack) stored(off int64, st *Stored) error {
	e, raw, err := p.loadEntry(off)
	if err != nil {
		return err
	}
	switch e.t {
	case object.OfsDelta:
		st.BaseOff = e.baseOff
	case object.RefDelta:
		j := p.Idx.Find(e.baseHash)
		if j < 0 {
			return nil
		}
		st.BaseOff = p.Idx.Offset(j)
	default:
		return nil
	}
	delta, err := p.inflateEntry(e, raw)
	if err != nil {
		return err
	}
	st.Copies = AppendCopies(st.Copies, delta)
	return nil
}

func (p *Pack) readAt(off int64, depth int, resolve ChainFunc, st *Stored) (object.Type, []byte, error) {
	if st != nil {
		st.Pack, st.Off, st.BaseOff, st.Copies = p, off, -1, st.Copies[:0]
	}
	// Walk down to a base, remembering the deltas on the way, then apply them upwards.
	var chain []entry
	var raws [][]byte
	var chainOffs []int64
	var onChain map[int64]bool // chainOffs as a set, from the first REF step on
	var t object.Type
	var data []byte
	cur := off
	outside := false // the chain's base came from resolve
	for {
		if ct, cd, ok := p.cachedBase(cur); ok {
			t, data = ct, cd
			if cur == off && st != nil {
				if err := p.stored(off, st); err != nil {
					return 0, nil, err
				}
			}
			break
		}
		e, raw, err := p.loadEntry(cur)
		if err != nil {
			return 0, nil, err
		}
		if e.t.IsBase() {
			if data, err = p.inflateEntry(e, raw); err != nil {
				return 0, nil, err
			}
			t = e.t
			break
		}
		chain = append(chain, e)
		raws = append(raws, raw)
		chainOffs = append(chainOffs, cur)
		if onChain != nil {
			onChain[cur] = true
		}
		if depth+len(chain) > MaxDeltaDepth {
			return 0, nil, fmt.Errorf("%w (reading the object at offset %d)", ErrDeltaDepth, off)
		}
		if e.t == object.OfsDelta {
			cur = e.baseOff // always earlier in the pack: an OFS step cannot close a loop
			continue
		}
		if j := p.Idx.Find(e.baseHash); j >= 0 {
			// A REF step can: an entry named as its own base, directly or not.
			if onChain == nil {
				onChain = make(map[int64]bool, len(chainOffs))
				for _, o := range chainOffs {
					onChain[o] = true
				}
			}
			if cur = p.Idx.Offset(j); onChain[cur] {
				return 0, nil, fmt.Errorf("%w: the entry at offset %d is a delta base of itself", ErrDeltaCycle, cur)
			}
			continue
		}
		if resolve == nil {
			return 0, nil, fmt.Errorf("%w: delta base %s is not in the pack", ErrCorrupt, e.baseHash)
		}
		if t, data, err = resolve(e.baseHash, depth+len(chain)); err != nil {
			return 0, nil, fmt.Errorf("delta base %s: %w", e.baseHash, err)
		}
		outside = true
		break
	}
	if st != nil && len(chain) > 0 && (len(chain) > 1 || !outside) {
		st.BaseOff = cur
		if len(chain) > 1 {
			st.BaseOff = chainOffs[1]
		}
	}
	for k := len(chain) - 1; k >= 0; k-- {
		delta, err := p.inflateEntry(chain[k], raws[k])
		if err != nil {
			return 0, nil, err
		}
		if data, err = ApplyDelta(data, delta); err != nil {
			return 0, nil, fmt.Errorf("delta at offset %d: %w", chainOffs[k], err)
		}
		if k == 0 && st != nil && st.BaseOff >= 0 {
			st.Copies = AppendCopies(st.Copies, delta)
		}
		if k > 0 {
			p.cacheBase(chainOffs[k], t, data)
		}
	}
	if t == object.Tree {
		// A walk reads each tree's versions newest first, and the newer version is
		// usually the older one's delta base: kept, the next read is one delta away.
		p.cacheBase(off, t, data)
	}
	return t, data, nil
}

// OpenStream returns h's type, size and an inflating stream when it is stored whole; for
// a delta it returns a nil stream (the caller rebuilds it with Read).
func (p *Pack) OpenStream(h object.Hash) (object.Type, int64, io.ReadCloser, error) {
	i := p.Idx.Find(h)
	if i < 0 {
		return 0, 0, nil, ErrNotFound
	}
	e, err := p.entryAt(p.Idx.Offset(i))
	if err != nil {
		return 0, 0, nil, err
	}
	if !e.t.IsBase() {
		return e.t, e.size, nil, nil
	}
	zr, err := zlib.NewReader(bufio.NewReaderSize(io.NewSectionReader(p.f, e.data, p.size-e.data), 64<<10))
	if err != nil {
		return 0, 0, nil, fmt.Errorf("%w: zlib: %v", ErrCorrupt, err)
	}
	return e.t, e.size, struct {
		io.Reader
		io.Closer
	}{io.LimitReader(zr, e.size+1), zr}, nil
}

// Stat returns type and size of h without inflating a whole delta chain's objects more
// than needed (the size of a delta's result is in its header).
func (p *Pack) Stat(h object.Hash, resolve ResolveFunc) (object.Type, int64, error) {
	i := p.Idx.Find(h)
	if i < 0 {
		return 0, 0, ErrNotFound
	}
	e, err := p.entryAt(p.Idx.Offset(i))
	if err != nil {
		return 0, 0, err
	}
	if e.t.IsBase() {
		return e.t, e.size, nil
	}
	t, data, err := p.ReadAt(p.Idx.Offset(i), resolve)
	return t, int64(len(data)), err
}

// Type returns the type of h without inflating anything: a delta has its base's type,
// found by following the entry headers down the chain (a REF base outside the pack is
// asked of outside, which may be nil). The chain is bounded by MaxDeltaDepth.
func (p *Pack) Type(h object.Hash, outside func(object.Hash) (object.Type, error)) (object.Type, error) {
	i := p.Idx.Find(h)
	if i < 0 {
		return 0, ErrNotFound
	}
	off := p.Idx.Offset(i)
	for depth := 0; depth <= MaxDeltaDepth; depth++ {
		e, err := p.entryAt(off)
		if err != nil {
			return 0, err
		}
		switch {
		case e.t.IsBase():
			return e.t, nil
		case e.t == object.OfsDelta:
			off = e.baseOff
		case e.t == object.RefDelta:
			j := p.Idx.Find(e.baseHash)
			if j < 0 {
				if outside == nil {
					return 0, fmt.Errorf("%w: delta base %s", ErrNotFound, e.baseHash)
				}
				return outside(e.baseHash)
			}
			off = p.Idx.Offset(j)
		default:
			return 0, fmt.Errorf("%w: entry type %d", ErrCorrupt, e.t)
		}
	}
	return 0, ErrDeltaDepth
}

func (p *Pack) cachedBase(off int64) (object.Type, []byte, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.cache.get(off)
}

func (p *Pack) cacheBase(off int64, t object.Type, data []byte) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cache.put(off, t, data)
}

// baseCache keeps recently inflated delta bases, bounded in bytes, least recent out.
type baseCache struct {
	max, used int
	lru       *list.List
	m         map[int64]*list.Element
}

type cached struct {
	off  int64
	t    object.Type
	data []byte
}

func newBaseCache(max int) *baseCache {
	return &baseCache{max: max, lru: list.New(), m: map[int64]*list.Element{}}
}

func (c *baseCache) get(off int64) (object.Type, []byte, bool) {
	if el, ok := c.m[off]; ok {
		c.lru.MoveToFront(el)
		v := el.Value.(*cached)
		return v.t, v.data, true
	}
	return 0, nil, false
}

func (c *baseCache) put(off int64, t object.Type, data []byte) {
	if len(data) > c.max/4 || c.m[off] != nil {
		return
	}
	c.m[off] = c.lru.PushFront(&cached{off, t, data})
	c.used += len(data)
	for c.used > c.max {
		el := c.lru.Back()
		v := el.Value.(*cached)
		c.lru.Remove(el)
		delete(c.m, v.off)
		c.used -= len(v.data)
	}
}
