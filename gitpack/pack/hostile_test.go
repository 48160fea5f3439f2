package pack

import (
	"bytes"
	"compress/zlib"
	"crypto/sha1"
	"encoding/binary"
	"errors"
	"io"
	"math/rand/v2"
	"runtime"
	"testing"

	"git-remote-object-store/gitpack/object"
)

// crafted builds a pack entry by entry, byte by byte, with the index a hostile bucket
// would serve beside it (ids made up unless given).
type crafted struct {
	b   bytes.Buffer
	ie  []IdxEntry
	zw  *zlib.Writer
	n   uint32
	sum []byte
}

func newCrafted() *crafted {
	c := &crafted{zw: zlib.NewWriter(nil)}
	c.b.WriteString("PACK\x00\x00\x00\x02\x00\x00\x00\x00")
	return c
}

func madeUpID(i int) object.Hash {
	var raw [20]byte
	binary.BigEndian.PutUint32(raw[:], uint32(i)+1)
	h, _ := object.FromBytes(raw[:])
	return h
}

// add appends an entry (head: its header and base reference; data: inflated) listed as
// id, and returns its offset.
func (c *crafted) add(id object.Hash, head, data []byte) int64 {
	off := int64(c.b.Len())
	c.b.Write(head)
	c.zw.Reset(&c.b)
	c.zw.Write(data)
	c.zw.Close()
	c.ie = append(c.ie, IdxEntry{Hash: id, Offset: off})
	c.n++
	return off
}

func (c *crafted) open(t testing.TB) *Pack {
	t.Helper()
	data := bytes.Clone(c.b.Bytes())
	binary.BigEndian.PutUint32(data[8:], c.n)
	sum := sha1.Sum(data)
	data = append(data, sum[:]...)
	var ib bytes.Buffer
	if err := WriteIdx(&ib, object.SHA1, append([]IdxEntry(nil), c.ie...), sum[:]); err != nil {
		t.Fatal(err)
	}
	idx, err := ParseIdx(ib.Bytes(), object.SHA1)
	if err != nil {
		t.Fatal(err)
	}
	p, err := FromReaderAt(bytes.NewReader(data), int64(len(data)), idx, object.SHA1)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

var copy5 = []byte{5, 5, 0x90, 5} // a delta copying all of a 5-byte base

// TestReadRefDeltaCycleInPack: REF deltas naming each other within one pack are a cycle,
// found at the first step that closes it.
func TestReadRefDeltaCycleInPack(t *testing.T) {
	c := newCrafted()
	x, y, z := madeUpID(1), madeUpID(2), madeUpID(3)
	refHead := func(base object.Hash) []byte {
		return append(AppendEntryHeader(nil, object.RefDelta, int64(len(copy5))), base.Bytes()...)
	}
	c.add(x, refHead(y), copy5)
	c.add(y, refHead(z), copy5)
	c.add(z, refHead(x), copy5)
	p := c.open(t)
	for _, h := range []object.Hash{x, y, z} {
		if _, _, err := p.Read(h, nil); !errors.Is(err, ErrDeltaCycle) {
			t.Fatalf("read %s: err %v, want ErrDeltaCycle", h, err)
		}
		if _, _, err := p.Stat(h, nil); !errors.Is(err, ErrDeltaCycle) {
			t.Fatalf("stat %s: err %v, want ErrDeltaCycle", h, err)
		}
	}
}

// TestReadDeltaDepth: a chain of MaxDeltaDepth deltas reads; one more is ErrDeltaDepth,
// and ReadChain counts the depth it is handed.
func TestReadDeltaDepth(t *testing.T) {
	c := newCrafted()
	prev := c.add(madeUpID(0), AppendEntryHeader(nil, object.Blob, 5), []byte("hello"))
	for i := 1; i <= MaxDeltaDepth+1; i++ {
		off := int64(c.b.Len())
		prev = c.add(madeUpID(i), AppendOfsDistance(AppendEntryHeader(nil, object.OfsDelta, int64(len(copy5))), off-prev), copy5)
	}
	p := c.open(t)
	if _, data, err := p.Read(madeUpID(MaxDeltaDepth), nil); err != nil || string(data) != "hello" {
		t.Fatalf("a chain of %d deltas: %q, %v", MaxDeltaDepth, data, err)
	}
	p = c.open(t) // no cached bases
	if _, _, err := p.Read(madeUpID(MaxDeltaDepth+1), nil); !errors.Is(err, ErrDeltaDepth) {
		t.Fatalf("a chain of %d deltas: err %v, want ErrDeltaDepth", MaxDeltaDepth+1, err)
	}
	p = c.open(t)
	if _, _, err := p.ReadChain(madeUpID(10), MaxDeltaDepth-9, nil); !errors.Is(err, ErrDeltaDepth) {
		t.Fatalf("10 deltas under %d waiting: err %v, want ErrDeltaDepth", MaxDeltaDepth-9, err)
	}
}

// lyingDelta declares a target of declared bytes on a 5-byte base, but only inserts
// 16 KiB of incompressible bytes.
func lyingDelta(declared int64) []byte {
	d := binary.AppendUvarint(binary.AppendUvarint(nil, 5), uint64(declared))
	r := rand.New(rand.NewPCG(1, 2))
	for range 129 {
		d = append(d, 127)
		for range 127 {
			d = append(d, byte(r.Uint32()))
		}
	}
	return d
}

func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// TestApplyDeltaLyingTarget: a delta's declared target size is not allocated before its
// instructions prove it.
func TestApplyDeltaLyingTarget(t *testing.T) {
	d := lyingDelta(1 << 30)
	var err error
	if n := allocated(func() { _, err = ApplyDelta([]byte("hello"), d) }); n > 1<<20 {
		t.Fatalf("a %d-byte delta declaring 1 GiB allocated %d bytes", len(d), n)
	}
	if !errors.Is(err, ErrCorrupt) {
		t.Fatalf("err %v, want ErrCorrupt", err)
	}
	// The same instructions, honestly declared, apply.
	honest := binary.AppendUvarint(binary.AppendUvarint(nil, 5), 129*127)
	honest = append(honest, d[len(binary.AppendUvarint(binary.AppendUvarint(nil, 5), 1<<30)):]...)
	if out, err := ApplyDelta([]byte("hello"), honest); err != nil || len(out) != 129*127 {
		t.Fatalf("honest delta: %d bytes, %v", len(out), err)
	}
}

// TestReadLyingEntrySize: an entry too large to be read in one piece, whose header
// declares far more than its zlib data holds, costs an error, not the declared size.
func TestReadLyingEntrySize(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	junk := make([]byte, 200<<10) // incompressible: the entry is streamed, not read whole
	for i := range junk {
		junk[i] = byte(r.Uint32())
	}
	c := newCrafted()
	c.add(madeUpID(1), AppendEntryHeader(nil, object.Blob, 150<<20), junk)
	p := c.open(t)
	var err error
	if n := allocated(func() { _, _, err = p.Read(madeUpID(1), nil) }); n > 16<<20 {
		t.Fatalf("an entry declaring 150 MiB from 200 KiB of zlib data allocated %d MiB", n>>20)
	}
	if !errors.Is(err, ErrCorrupt) {
		t.Fatalf("err %v, want ErrCorrupt", err)
	}
}

// junkIdx is an index of size bytes whose fan-out claims claim objects and whose rest is
// junk, as a hostile bucket might serve beside a small pack.
func junkIdx(size int, claim uint32) []byte {
	b := make([]byte, size)
	copy(b, "\xfftOc\x00\x00\x00\x02")
	for i := 0; i < 256; i++ {
		binary.BigEndian.PutUint32(b[8+4*i:], claim)
	}
	for i := 8 + 1024; i < size; i++ {
		b[i] = byte(i * 7)
	}
	return b
}

// TestReadIdxForJunk: a 300 MB junk index beside a 51-byte pack is refused having read
// its fan-out table, or the little more a one-object index can take; a real index of
// the pack is read.
func TestReadIdxForJunk(t *testing.T) {
	data, idx, _ := tinyPack(t)
	for _, claim := range []uint32{2, 1_000_000} {
		r := &junkReader{size: 300 << 20, claim: claim}
		var err error
		alloc := allocated(func() { _, err = ReadIdxFor(r, object.SHA1, int64(len(data)), 2) })
		if !errors.Is(err, ErrCorrupt) {
			t.Fatalf("fan-out claiming %d: err %v, want ErrCorrupt", claim, err)
		}
		if r.read > 4096 || alloc > 1<<20 {
			t.Fatalf("fan-out claiming %d: read %d bytes, allocated %d, of a 300 MB junk index", claim, r.read, alloc)
		}
	}
	var ib bytes.Buffer
	if err := WriteIdx(&ib, object.SHA1, []IdxEntry{{idx.Hash(0), idx.Offset(0), idx.CRC(0)}, {idx.Hash(1), idx.Offset(1), idx.CRC(1)}}, idx.PackChecksum()); err != nil {
		t.Fatal(err)
	}
	x, err := ReadIdxFor(bytes.NewReader(ib.Bytes()), object.SHA1, int64(len(data)), 2)
	if err != nil || x.Count() != 2 {
		t.Fatalf("the real index: %v", err)
	}
	if _, err := ReadIdxFor(bytes.NewReader(ib.Bytes()), object.SHA1, int64(len(data)), 3); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("an index of 2 objects for a pack of 3: err %v", err)
	}
	// Without the count, the pack's size still bounds it: 51 bytes hold at most 2 objects.
	if _, err := ReadIdxFor(&junkReader{size: 300 << 20, claim: 3}, object.SHA1, int64(len(data)), -1); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("3 objects in a 51-byte pack: err %v, want ErrTooLarge", err)
	}
}

// junkReader streams a junk index of size bytes (see junkIdx) without holding it.
type junkReader struct {
	size, read int
	claim      uint32
}

func (j *junkReader) Read(p []byte) (int, error) {
	if j.read >= j.size {
		return 0, io.EOF
	}
	n := min(len(p), j.size-j.read)
	for k := range n {
		i := j.read + k
		switch {
		case i < 8:
			p[k] = "\xfftOc\x00\x00\x00\x02"[i]
		case i < 8+1024:
			var b [4]byte
			binary.BigEndian.PutUint32(b[:], j.claim)
			p[k] = b[(i-8)%4]
		default:
			p[k] = byte(i * 7)
		}
	}
	j.read += n
	return n, nil
}

// TestReadIdxForRealIndex: a real index is read with storage that grows to its size and
// stops there (1 MiB, 2 MiB, then the 2.8 MB the fan-out gives), not doubled past it
// (4 MiB) to find that it ends.
func TestReadIdxForRealIndex(t *testing.T) {
	const n = 100_000
	var entries []IdxEntry
	for i := range n {
		entries = append(entries, IdxEntry{Hash: object.Sum(object.SHA1, object.Blob, binary.BigEndian.AppendUint32(nil, uint32(i))), Offset: 12 + 20*int64(i)})
	}
	var ib bytes.Buffer
	if err := WriteIdx(&ib, object.SHA1, entries, make([]byte, 20)); err != nil {
		t.Fatal(err)
	}
	var x *Idx
	var err error
	alloc := allocated(func() { x, err = ReadIdxFor(bytes.NewReader(ib.Bytes()), object.SHA1, 12+20*n+20, n) })
	if err != nil || x.Count() != n {
		t.Fatalf("%v", err)
	}
	if alloc > uint64(ib.Len())+3<<20+64<<10 {
		t.Fatalf("reading a %d-byte index allocated %d bytes", ib.Len(), alloc)
	}
}
