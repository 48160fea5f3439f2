package pack

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"io"
	"sort"

	"git-remote-object-store/gitpack/object"
)

var idxMagic = []byte{0xff, 't', 'O', 'c'}

// Idx is a parsed version-2 pack index, held in memory (about 30 bytes per object).
type Idx struct {
	f       object.Format
	fanout  [256]uint32
	ids     []byte // n × hash size, sorted
	crcs    []byte // n × 4
	offs    []byte // n × 4
	large   []byte // m × 8
	packSum []byte
}

// ReadIdx parses an index of the given format, verifying its structure and its own
// trailing checksum. It knows nothing of the pack, so it bounds what it reads only by
// the object count the index itself claims; an index from outside (a bucket) is read
// with ReadIdxFor.
func ReadIdx(r io.Reader, f object.Format) (*Idx, error) {
	return readIdx(r, f, MaxIdxObjects, -1)
}

// Bounds on an index read from outside.
const (
	// MaxIdxObjects is what the index format can list: its fan-out counts are 32 bits.
	MaxIdxObjects = 1<<32 - 1
	// minEntrySize is the smallest pack entry: a one-byte header and a zlib stream of at
	// least 8 bytes (2 of header, 2 of deflate for an empty block, 4 of Adler-32). No
	// pack of n bytes holds more than (n-12-hash)/minEntrySize objects.
	minEntrySize = 9
)

// ReadIdxFor reads the index of a pack of packSize bytes holding count objects (the
// count in the pack's header, see ReadCount; -1 when unknown). The index is outside
// input and is held in memory, so it is bounded by what that pack can need before it is
// read: its fan-out table (the first kilobyte) says how many objects it lists, which
// must be the pack's count and cannot exceed what packSize bytes can hold; that count
// then fixes the index's length (give or take the 64-bit offsets of a pack past 2 GiB),
// and an index longer than that is refused without being read further. A 300 MB junk
// index beside a small pack costs a kilobyte read and an error.
func ReadIdxFor(r io.Reader, f object.Format, packSize, count int64) (*Idx, error) {
	maxObjects := (packSize - 12 - int64(f.Size())) / minEntrySize
	if maxObjects < 0 {
		return nil, fmt.Errorf("%w: a pack of %d bytes is too short to index", ErrCorrupt, packSize)
	}
	return readIdx(r, f, min(maxObjects, MaxIdxObjects), count)
}

// ReadCount reads the object count from the header of the pack read through r.
func ReadCount(r io.ReaderAt) (int64, error) {
	var hdr [12]byte
	if n, err := r.ReadAt(hdr[:], 0); n < len(hdr) {
		if err == nil || errors.Is(err, io.EOF) {
			return 0, fmt.Errorf("%w: pack shorter than its header", ErrCorrupt)
		}
		return 0, fmt.Errorf("read pack header: %w", err)
	}
	if v := binary.BigEndian.Uint32(hdr[4:]); string(hdr[:4]) != "PACK" || v != 2 && v != 3 {
		return 0, fmt.Errorf("%w: not a version 2 or 3 pack", ErrCorrupt)
	}
	return int64(binary.BigEndian.Uint32(hdr[8:])), nil
}

func readIdx(r io.Reader, f object.Format, maxObjects, count int64) (*Idx, error) {
	hs := int64(f.Size())
	head := make([]byte, 8+256*4)
	if _, err := io.ReadFull(r, head); err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, fmt.Errorf("%w: not a version 2 pack index (%d bytes)", ErrCorrupt, len(head))
		}
		return nil, fmt.Errorf("read idx: %w", err)
	}
	if !bytes.Equal(head[:4], idxMagic) || binary.BigEndian.Uint32(head[4:]) != 2 {
		return nil, fmt.Errorf("%w: not a version 2 pack index", ErrCorrupt)
	}
	n := int64(binary.BigEndian.Uint32(head[8+255*4:]))
	switch {
	case count >= 0 && n != count:
		return nil, fmt.Errorf("%w: the index lists %d objects, its pack holds %d", ErrCorrupt, n, count)
	case n > maxObjects:
		return nil, fmt.Errorf("%w: the index lists %d objects, more than its pack can hold (%d)", ErrTooLarge, n, maxObjects)
	}
	// Ids, CRCs and 32-bit offsets, then at most one 64-bit offset per object, then the
	// two checksums.
	fixed := int64(len(head)) + n*(hs+8) + 2*hs
	limit := fixed + 8*n
	data, err := readUpTo(r, head, fixed, limit+1)
	if err != nil {
		return nil, fmt.Errorf("read idx: %w", err)
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("%w: an index of %d objects is at most %d bytes; this one is longer", ErrTooLarge, n, limit)
	}
	return ParseIdx(data, f)
}

// readUpTo appends to head what r holds, up to limit bytes in all. The storage grows as the
// data arrives, from a megabyte, doubling, with a stop at expect (what the data should
// come to): a claim is never allocated for before the bytes have made it plausible, and
// data that ends where it should is found to end with a small read, not a doubling.
func readUpTo(r io.Reader, head []byte, expect, limit int64) ([]byte, error) {
	buf := make([]byte, len(head), min(expect, limit, 1<<20))
	copy(buf, head)
	var probe [512]byte
	for int64(len(buf)) < limit {
		if len(buf) == cap(buf) {
			k, err := r.Read(probe[:min(int64(len(probe)), limit-int64(len(buf)))])
			if k > 0 {
				next := 2 * int64(cap(buf))
				if c := int64(cap(buf)); c < expect && next > expect {
					next = expect
				}
				grown := make([]byte, len(buf), max(min(next, limit), int64(len(buf)+k)))
				copy(grown, buf)
				buf = append(grown, probe[:k]...)
			}
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				return nil, err
			}
			continue
		}
		k, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+k]
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
	}
	return buf, nil
}

// ParseIdx parses an index held in data (which it keeps).
func ParseIdx(data []byte, f object.Format) (*Idx, error) {
	hs := f.Size()
	if len(data) < 8+256*4+2*hs || !bytes.Equal(data[:4], idxMagic) || binary.BigEndian.Uint32(data[4:]) != 2 {
		return nil, fmt.Errorf("%w: not a version 2 pack index", ErrCorrupt)
	}
	x := &Idx{f: f}
	prev := uint32(0)
	for i := range x.fanout {
		x.fanout[i] = binary.BigEndian.Uint32(data[8+4*i:])
		if x.fanout[i] < prev {
			return nil, fmt.Errorf("%w: idx fan-out is not monotonic", ErrCorrupt)
		}
		prev = x.fanout[i]
	}
	n := int64(x.fanout[255])
	p := int64(8 + 256*4)
	fixed := p + n*int64(hs+8) + 2*int64(hs)
	if int64(len(data)) < fixed {
		return nil, fmt.Errorf("%w: idx too short for %d objects", ErrCorrupt, n)
	}
	nlarge := (int64(len(data)) - fixed) / 8
	if (int64(len(data))-fixed)%8 != 0 {
		return nil, fmt.Errorf("%w: idx has a partial large-offset table", ErrCorrupt)
	}
	x.ids = data[p : p+n*int64(hs)]
	p += n * int64(hs)
	x.crcs = data[p : p+4*n]
	p += 4 * n
	x.offs = data[p : p+4*n]
	p += 4 * n
	x.large = data[p : p+8*nlarge]
	p += 8 * nlarge
	x.packSum = data[p : p+int64(hs)]
	h := f.New()
	h.Write(data[:p+int64(hs)])
	if !bytes.Equal(h.Sum(nil), data[p+int64(hs):]) {
		return nil, fmt.Errorf("%w: idx checksum mismatch", ErrCorrupt)
	}
	for i := int64(1); i < n; i++ {
		if bytes.Compare(x.ids[(i-1)*int64(hs):i*int64(hs)], x.ids[i*int64(hs):(i+1)*int64(hs)]) >= 0 {
			return nil, fmt.Errorf("%w: idx ids not sorted", ErrCorrupt)
		}
	}
	for i := 0; i < int(n); i++ {
		if o := binary.BigEndian.Uint32(x.offs[4*i:]); o&0x80000000 != 0 && int64(o&0x7fffffff) >= nlarge {
			return nil, fmt.Errorf("%w: idx large offset out of range", ErrCorrupt)
		}
	}
	return x, nil
}

// Count is the number of objects.
func (x *Idx) Count() int { return int(x.fanout[255]) }

// Hash is the i-th id in sorted order.
func (x *Idx) Hash(i int) object.Hash {
	hs := x.f.Size()
	h, _ := object.FromBytes(x.ids[i*hs : (i+1)*hs])
	return h
}

// CRC is the CRC-32 of the i-th object's raw entry.
func (x *Idx) CRC(i int) uint32 { return binary.BigEndian.Uint32(x.crcs[4*i:]) }

// Offset is the i-th object's offset in the pack.
func (x *Idx) Offset(i int) int64 {
	o := binary.BigEndian.Uint32(x.offs[4*i:])
	if o&0x80000000 == 0 {
		return int64(o)
	}
	return int64(binary.BigEndian.Uint64(x.large[8*(o&0x7fffffff):]))
}

// PackChecksum is the pack trailer the index was made for.
func (x *Idx) PackChecksum() []byte { return x.packSum }

// Find returns the position of h, or -1.
func (x *Idx) Find(h object.Hash) int {
	b := h.Bytes()
	if len(b) != x.f.Size() {
		return -1
	}
	lo := 0
	if b[0] > 0 {
		lo = int(x.fanout[b[0]-1])
	}
	hi := int(x.fanout[b[0]])
	hs := x.f.Size()
	i := lo + sort.Search(hi-lo, func(k int) bool {
		return bytes.Compare(x.ids[(lo+k)*hs:(lo+k+1)*hs], b) >= 0
	})
	if i < hi && bytes.Equal(x.ids[i*hs:(i+1)*hs], b) {
		return i
	}
	return -1
}

// FindPrefix calls fn with the position of every id whose first nibbles hex digits are
// those of pfx (a raw id, the rest of which is ignored), in id order, until fn returns
// false.
func (x *Idx) FindPrefix(pfx []byte, nibbles int, fn func(i int) bool) {
	hs := x.f.Size()
	if nibbles <= 0 || nibbles > 2*hs || len(pfx) < (nibbles+1)/2 {
		return
	}
	key := make([]byte, hs)
	copy(key, pfx[:(nibbles+1)/2])
	if nibbles%2 == 1 {
		key[nibbles/2] &= 0xf0
	}
	match := func(id []byte) bool {
		if !bytes.Equal(id[:nibbles/2], key[:nibbles/2]) {
			return false
		}
		return nibbles%2 == 0 || id[nibbles/2]&0xf0 == key[nibbles/2]
	}
	lo := 0
	if key[0] > 0 {
		lo = int(x.fanout[key[0]-1])
	}
	hi := int(x.fanout[key[0]])
	i := lo + sort.Search(hi-lo, func(k int) bool {
		return bytes.Compare(x.ids[(lo+k)*hs:(lo+k+1)*hs], key) >= 0
	})
	for ; i < hi && match(x.ids[i*hs:(i+1)*hs]); i++ {
		if !fn(i) {
			return
		}
	}
}

// IdxEntry is one object for WriteIdx.
type IdxEntry struct {
	Hash   object.Hash
	Offset int64
	CRC    uint32
}

// WriteIdx writes a version 2 index for entries (sorted here) of a pack whose trailer is
// packSum, byte-identical to git index-pack's.
func WriteIdx(w io.Writer, f object.Format, entries []IdxEntry, packSum []byte) error {
	sort.Slice(entries, func(i, j int) bool { return entries[i].Hash.Compare(entries[j].Hash) < 0 })
	return WriteSortedIdx(w, f, len(entries), func(i int) IdxEntry { return entries[i] }, packSum)
}

// WriteSortedIdx is WriteIdx for n entries already sorted by id and read through at, so
// an indexer can write from its own records without a second copy of them.
func WriteSortedIdx(w io.Writer, f object.Format, n int, at func(i int) IdxEntry, packSum []byte) error {
	x := idxWriter{w: w, h: f.New(), buf: make([]byte, 0, 64<<10)}
	x.put(idxMagic)
	x.put32(2)
	var fan [256]uint32
	for i := range n {
		e := at(i)
		fan[e.Hash.Bytes()[0]]++
	}
	var total uint32
	for i := range fan {
		total += fan[i]
		x.put32(total)
	}
	var prev object.Hash
	for i := range n {
		e := at(i)
		if i > 0 && prev == e.Hash {
			return fmt.Errorf("%w: object %s twice in one pack", ErrCorrupt, e.Hash)
		}
		prev = e.Hash
		x.put(e.Hash.Bytes())
	}
	for i := range n {
		x.put32(at(i).CRC)
	}
	var large []int64
	for i := range n {
		if o := at(i).Offset; o < 0x80000000 {
			x.put32(uint32(o))
		} else {
			x.put32(0x80000000 | uint32(len(large)))
			large = append(large, o)
		}
	}
	for _, o := range large {
		x.room(8)
		x.buf = binary.BigEndian.AppendUint64(x.buf, uint64(o))
	}
	x.put(packSum)
	if x.flush(); x.err != nil {
		return x.err
	}
	_, err := w.Write(x.h.Sum(nil))
	return err
}

// idxWriter writes an index through a buffer of its own, hashing what it writes: the
// index is written four bytes at a time, which hashed one call each cost more than the
// rest of writing it.
type idxWriter struct {
	w   io.Writer
	h   hash.Hash
	buf []byte
	err error
}

func (x *idxWriter) room(k int) {
	if len(x.buf)+k > cap(x.buf) {
		x.flush()
	}
}

func (x *idxWriter) put(b []byte) {
	x.room(len(b))
	x.buf = append(x.buf, b...)
}

func (x *idxWriter) put32(v uint32) {
	x.room(4)
	x.buf = binary.BigEndian.AppendUint32(x.buf, v)
}

func (x *idxWriter) flush() {
	if x.err == nil && len(x.buf) > 0 {
		x.h.Write(x.buf)
		_, x.err = x.w.Write(x.buf)
	}
	x.buf = x.buf[:0]
}
