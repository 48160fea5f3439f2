package indexer_test

import (
	"bytes"
	"compress/zlib"
	"crypto/sha1"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"runtime"
	"testing"

	"git-remote-object-store/gitpack/indexer"
	"git-remote-object-store/gitpack/object"
	"git-remote-object-store/gitpack/pack"
)

// packBuilder writes a pack entry by entry, byte by byte, for crafted inputs.
type packBuilder struct {
	b    bytes.Buffer
	zw   *zlib.Writer
	offs []int64
}

func newPackBuilder(count int) *packBuilder {
	pb := &packBuilder{}
	pb.b.WriteString("PACK\x00\x00\x00\x02")
	binary.Write(&pb.b, binary.BigEndian, uint32(count))
	return pb
}

func (pb *packBuilder) zlib(data []byte) {
	if pb.zw == nil {
		pb.zw, _ = zlib.NewWriterLevel(&pb.b, zlib.BestCompression)
	} else {
		pb.zw.Reset(&pb.b)
	}
	pb.zw.Write(data)
	pb.zw.Close()
}

// whole appends a whole object and returns its entry number.
func (pb *packBuilder) whole(t object.Type, data []byte) int {
	pb.offs = append(pb.offs, int64(pb.b.Len()))
	pb.b.Write(pack.AppendEntryHeader(nil, t, int64(len(data))))
	pb.zlib(data)
	return len(pb.offs) - 1
}

// ofs appends an OFS_DELTA on entry base.
func (pb *packBuilder) ofs(base int, delta []byte) int {
	off := int64(pb.b.Len())
	pb.offs = append(pb.offs, off)
	pb.b.Write(pack.AppendOfsDistance(pack.AppendEntryHeader(nil, object.OfsDelta, int64(len(delta))), off-pb.offs[base]))
	pb.zlib(delta)
	return len(pb.offs) - 1
}

// ref appends a REF_DELTA on the object base.
func (pb *packBuilder) ref(base object.Hash, delta []byte) int {
	pb.offs = append(pb.offs, int64(pb.b.Len()))
	pb.b.Write(pack.AppendEntryHeader(nil, object.RefDelta, int64(len(delta))))
	pb.b.Write(base.Bytes())
	pb.zlib(delta)
	return len(pb.offs) - 1
}

func (pb *packBuilder) finish() []byte {
	sum := sha1.Sum(pb.b.Bytes())
	pb.b.Write(sum[:])
	return pb.b.Bytes()
}

func varint(d []byte, v int64) []byte {
	for v >= 0x80 {
		d = append(d, byte(v)|0x80)
		v >>= 7
	}
	return append(d, byte(v))
}

// copyAll is delta instructions copying base[0:n] in 64 KiB pieces.
func copyAll(d []byte, n int64) []byte {
	for off := int64(0); off < n; {
		k := min(n-off, 0x10000)
		op := byte(0x80)
		var args []byte
		for i := 0; i < 4; i++ {
			if b := byte(off >> (8 * i)); b != 0 {
				op |= 1 << i
				args = append(args, b)
			}
		}
		if k != 0x10000 {
			for i := 0; i < 2; i++ {
				if b := byte(k >> (8 * i)); b != 0 {
					op |= 0x10 << i
					args = append(args, b)
				}
			}
		}
		d = append(append(d, op), args...)
		off += k
	}
	return d
}

// shape says how a crafted pack hangs its deltas off a chain of links, each link a delta
// on the one before (the first a whole blob).
type shape struct {
	name     string
	side     int  // each link also has a branch of this many deltas (0: none)
	sideTop  bool // the branch comes before the next link in the pack (else after)
	refChain bool // the links are REF deltas (else OFS)
	refSide  bool // the branch's first delta is a REF delta (else OFS)
	fork     bool // the branch's first delta has two sub-branches of side deltas each
}

// shapedPack builds a pack of shape sh: depth links, every object size bytes, each
// delta copying its base but for the last 8 bytes and inserting 8 of its own. It returns
// the pack and its number of deltas.
func shapedPack(sh shape, size int64, depth int) ([]byte, int) {
	per := 1 + sh.side // a link and its branch
	if sh.fork {
		per = 2 + 2*sh.side
	}
	pb := newPackBuilder(1 + depth*per)
	content := map[int][]byte{}
	mk := func(base int, tag string) ([]byte, []byte) {
		d := varint(varint(nil, size), size)
		d = copyAll(d, size-8)
		d = append(d, 8)
		d = append(d, fmt.Sprintf("%8s", tag)...)
		return d, append(bytes.Clone(content[base][:size-8]), fmt.Sprintf("%8s", tag)...)
	}
	add := func(base int, ref bool, tag string) int {
		d, c := mk(base, tag)
		var k int
		if ref {
			k = pb.ref(object.Sum(object.SHA1, object.Blob, content[base]), d)
		} else {
			k = pb.ofs(base, d)
		}
		content[k] = c
		return k
	}
	root := bytes.Repeat([]byte("0123456789abcdef"), int(size/16))
	prev := pb.whole(object.Blob, root)
	content[prev] = root
	branch := func(at, d int) {
		b := add(at, sh.refSide, fmt.Sprintf("s%d", d))
		forks := []string{"a"}
		if sh.fork {
			forks = append(forks, "b")
		}
		for _, f := range forks {
			k := b
			for j := 1; j <= sh.side; j++ {
				if !sh.fork && j == sh.side {
					break
				}
				k = add(k, false, fmt.Sprintf("s%d%s%d", d, f, j))
			}
		}
	}
	for d := 0; d < depth; d++ {
		if sh.side > 0 && sh.sideTop {
			branch(prev, d)
		}
		next := add(prev, sh.refChain, fmt.Sprintf("c%d", d))
		if sh.side > 0 && !sh.sideTop {
			branch(prev, d)
		}
		delete(content, prev)
		prev = next
	}
	return pb.finish(), depth * per
}

// TestIndexDeepChainsLinear: a deep delta chain is resolved with each delta applied
// once, whatever hangs off it and in whatever order the pack lists it, so the work grows
// linearly with the chain. A chain with leaves or branches does so even with a budget
// too small to keep any base for later (only the newest waiting base is held beyond
// it); one whose branches fork keeps two bases waiting, which the default budget holds.
// (Before the resolver took children lightest first, a chain whose leaves came after
// the next link applied about depth²/2 deltas: each link was let go during the chain
// below it and rebuilt from the root for its leaf.)
func TestIndexDeepChainsLinear(t *testing.T) {
	cases := []struct {
		sh     shape
		budget int64
	}{
		{shape{name: "chain"}, 1},
		{shape{name: "leaf after link", side: 1}, 1},
		{shape{name: "leaf before link", side: 1, sideTop: true}, 1},
		{shape{name: "REF links, OFS leaves", side: 1, refChain: true}, 1},
		{shape{name: "OFS links, REF leaves", side: 1, refSide: true}, 1},
		{shape{name: "branch of 2 after link", side: 2}, 1},
		{shape{name: "branch of 3 after link", side: 3}, 1},
		{shape{name: "REF branch of 2 after link", side: 2, refSide: true}, 1},
		{shape{name: "forked branch after link", side: 2, fork: true}, 0},
	}
	for _, c := range cases {
		t.Run(c.sh.name, func(t *testing.T) {
			for _, depth := range []int{200, 400} {
				data, deltas := shapedPack(c.sh, 4<<10, depth)
				_, w, err := indexer.IndexCounting(bytes.NewReader(data), t.TempDir(), indexer.Options{Format: object.SHA1, BaseBudget: c.budget, Threads: 1})
				if err != nil {
					t.Fatal(err)
				}
				if w.Applied != int64(deltas) || w.Bytes != int64(deltas)*(4<<10) {
					t.Fatalf("depth %d: %d deltas, %d applied producing %d bytes: want each applied once", depth, deltas, w.Applied, w.Bytes)
				}
			}
		})
	}
}

// TestIndexDeltaTooDeep: a chain of pack.MaxDeltaDepth deltas is indexed; one more is
// refused with pack.ErrDeltaDepth.
func TestIndexDeltaTooDeep(t *testing.T) {
	for _, depth := range []int{pack.MaxDeltaDepth, pack.MaxDeltaDepth + 1} {
		data, _ := shapedPack(shape{name: "chain"}, 64, depth)
		_, err := indexer.Index(bytes.NewReader(data), t.TempDir(), indexer.Options{Format: object.SHA1})
		if depth <= pack.MaxDeltaDepth && err != nil {
			t.Fatalf("depth %d: %v", depth, err)
		}
		if depth > pack.MaxDeltaDepth && !errors.Is(err, pack.ErrDeltaDepth) {
			t.Fatalf("depth %d: err %v, want pack.ErrDeltaDepth", depth, err)
		}
	}
}

// TestIndexRebuildsBases: with no budget, a chain with forked branches has its links
// let go while a fork is under way, and rebuilt; the index is the same as with room to
// keep them, and every object reads back.
func TestIndexRebuildsBases(t *testing.T) {
	data, deltas := shapedPack(shape{side: 2, fork: true}, 1<<10, 30)
	var idx [][]byte
	for _, budget := range []int64{1, 0} {
		res, w, err := indexer.IndexCounting(bytes.NewReader(data), t.TempDir(), indexer.Options{Format: object.SHA1, BaseBudget: budget, Threads: 1})
		if err != nil {
			t.Fatal(err)
		}
		if rebuilt := w.Applied > int64(deltas); rebuilt != (budget == 1) {
			t.Fatalf("budget %d: %d deltas, %d applied", budget, deltas, w.Applied)
		}
		p, err := pack.Open(res.PackPath, res.IdxPath, object.SHA1)
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < p.Idx.Count(); i++ {
			typ, body, err := p.ReadAt(p.Idx.Offset(i), nil)
			if err != nil || object.Sum(object.SHA1, typ, body) != p.Idx.Hash(i) {
				t.Fatalf("budget %d: object %d does not read back: %v", budget, i, err)
			}
		}
		p.Close()
		b, err := os.ReadFile(res.IdxPath)
		if err != nil {
			t.Fatal(err)
		}
		idx = append(idx, b)
	}
	if !bytes.Equal(idx[0], idx[1]) {
		t.Fatal("the index made rebuilding bases differs")
	}
}

// BenchmarkIndexDeepChain indexes crafted packs of about 100 KB at depth 1600: a chain of
// links of 256 KiB each, each link with a leaf listed after the next link (the shape that
// was quadratic), and at smaller depths to show how the time grows. With
// GROS_BENCH_PACK_DIR set, the packs are written there (to time git index-pack on them).
func BenchmarkIndexDeepChain(b *testing.B) {
	for _, depth := range []int{100, 200, 400, 1600} {
		data, deltas := shapedPack(shape{name: "leaf after link", side: 1}, 256<<10, depth)
		if dir := os.Getenv("GROS_BENCH_PACK_DIR"); dir != "" {
			os.WriteFile(fmt.Sprintf("%s/chain-%d.pack", dir, depth), data, 0o644)
		}
		b.Run(fmt.Sprintf("depth=%d", depth), func(b *testing.B) {
			var w indexer.Work
			for b.Loop() {
				var err error
				if _, w, err = indexer.IndexCounting(bytes.NewReader(data), b.TempDir(), indexer.Options{Format: object.SHA1}); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(len(data)), "pack-bytes")
			b.ReportMetric(float64(w.Applied)/float64(deltas), "applied/delta")
		})
	}
}

// lyingDeltaPack is a 16.5 KB pack: a 5-byte blob and an OFS delta on it whose header
// declares a target of declared bytes, but whose instructions insert only 16 KiB of
// incompressible bytes.
func lyingDeltaPack(declared int64) []byte {
	pb := newPackBuilder(2)
	b := pb.whole(object.Blob, []byte("hello"))
	d := varint(varint(nil, 5), declared)
	x := uint32(2463534242)
	for range 129 {
		d = append(d, 127)
		for range 127 {
			x ^= x << 13
			x ^= x >> 17
			x ^= x << 5
			d = append(d, byte(x))
		}
	}
	pb.ofs(b, d)
	return pb.finish()
}

// TestIndexLyingDeltaSize: a delta declaring a 1 GiB target it never produces is
// refused without anything allocated for the declared size.
func TestIndexLyingDeltaSize(t *testing.T) {
	data := lyingDeltaPack(1 << 30)
	var err error
	alloc := allocated(func() {
		_, err = indexer.Index(bytes.NewReader(data), t.TempDir(), indexer.Options{Format: object.SHA1})
	})
	if !errors.Is(err, pack.ErrCorrupt) {
		t.Fatalf("err %v, want pack.ErrCorrupt", err)
	}
	if alloc > 64<<20 {
		t.Fatalf("a %d-byte pack made the indexer allocate %d MiB", len(data), alloc>>20)
	}
	t.Logf("%d-byte pack: %v", len(data), err)
}

// TestIndexHugeDeltaTargetStreamed: a delta of a few bytes that really makes a 256 MiB
// blob (4096 copies of its 64 KiB base) is indexed without the blob ever being held:
// nothing in the pack is based on it, so it is hashed as it is produced.
func TestIndexHugeDeltaTargetStreamed(t *testing.T) {
	base := bytes.Repeat([]byte("abcdefgh"), 8192)
	const copies = 4096
	pb := newPackBuilder(2)
	b := pb.whole(object.Blob, base)
	d := varint(varint(nil, int64(len(base))), copies*int64(len(base)))
	pb.ofs(b, append(d, bytes.Repeat([]byte{0x80}, copies)...)) // 0x80: copy 64 KiB from 0
	data := pb.finish()
	var res indexer.Result
	var err error
	alloc := allocated(func() {
		res, err = indexer.Index(bytes.NewReader(data), t.TempDir(), indexer.Options{Format: object.SHA1})
	})
	if err != nil {
		t.Fatal(err)
	}
	if alloc > 16<<20 {
		t.Fatalf("indexing a %d-byte pack holding a 256 MiB delta target allocated %d MiB", len(data), alloc>>20)
	}
	h := object.NewHasher(object.SHA1)
	h.Begin(object.Blob, copies*int64(len(base)))
	for range copies {
		h.Write(base)
	}
	want := h.End()
	p, err := pack.Open(res.PackPath, res.IdxPath, object.SHA1)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if !p.Has(want) {
		t.Fatalf("the index does not list the 256 MiB blob %s", want)
	}
}

func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}
