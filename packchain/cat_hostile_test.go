package packchain

import (
	"bytes"
	"compress/zlib"
	"context"
	"crypto/sha1"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"runtime"
	"strings"
	"testing"
	"time"

	"git-remote-object-store/engine"
	"git-remote-object-store/gitpack/object"
	"git-remote-object-store/gitpack/pack"
	"git-remote-object-store/store"
	"git-remote-object-store/store/fs"
)

// craftedPack is a pack of the given raw entries (header and zlib data each) with a
// valid trailer, and an index listing them under ids (in the same order).
type craftedEntry struct {
	id   object.Hash
	head []byte // entry header, and for a delta its base reference
	data []byte // inflated content
}

func craftPack(t testing.TB, entries []craftedEntry) (packData, idxData []byte) {
	t.Helper()
	var b bytes.Buffer
	b.WriteString("PACK\x00\x00\x00\x02")
	binary.Write(&b, binary.BigEndian, uint32(len(entries)))
	var ie []pack.IdxEntry
	for _, e := range entries {
		off := int64(b.Len())
		b.Write(e.head)
		zw := zlib.NewWriter(&b)
		zw.Write(e.data)
		zw.Close()
		ie = append(ie, pack.IdxEntry{Hash: e.id, Offset: off})
	}
	sum := sha1.Sum(b.Bytes())
	b.Write(sum[:])
	var ib bytes.Buffer
	if err := pack.WriteIdx(&ib, object.SHA1, ie, sum[:]); err != nil {
		t.Fatal(err)
	}
	return b.Bytes(), ib.Bytes()
}

// refDelta is a REF_DELTA entry on base whose delta inserts text into a copy of a
// baseSize-byte base.
func refDelta(id, base object.Hash, baseSize int, text string) craftedEntry {
	delta := []byte{byte(baseSize), byte(baseSize + len(text))}
	if baseSize > 0 {
		delta = append(delta, 0x90, byte(baseSize))
	}
	delta = append(append(delta, byte(len(text))), text...)
	head := pack.AppendEntryHeader(nil, object.RefDelta, int64(len(delta)))
	return craftedEntry{id: id, head: append(head, base.Bytes()...), data: delta}
}

func fakeID(c byte) object.Hash {
	h, _ := object.FromBytes(bytes.Repeat([]byte{c}, 20))
	return h
}

// hostileRemote writes packs (name → pack, idx) and a manifest whose main points at tip
// into a directory bucket, and returns the engine reading it.
func hostileRemote(t testing.TB, tip object.Hash, packs map[string][2][]byte) *Engine {
	t.Helper()
	st, err := fs.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	put := func(key string, data []byte) {
		if _, err := st.Put(ctx, key, bytes.NewReader(data), int64(len(data)), store.Cond{}); err != nil {
			t.Fatal(err)
		}
	}
	m := NewManifest(object.SHA1)
	m.Head = "refs/heads/main"
	m.Refs["refs/heads/main"] = tip.String()
	for name, p := range packs {
		put(packKey(name), p[0])
		put(idxKey(name), p[1])
		m.Packs = append(m.Packs, PackEntry{Name: name, Size: int64(len(p[0])), Objects: 1, Created: time.Now().UTC()})
	}
	data, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	put(ManifestKey, data)
	return New(engine.Config{Store: st})
}

func packName(c byte) string { return "pack-" + strings.Repeat(string("0123456789abcdef"[c%16]), 40) }

// TestCatRefDeltaCycleAcrossPacks: two packs whose only objects are REF deltas on each
// other. Reading either must end in a clear error, not recurse until the stack is gone.
func TestCatRefDeltaCycleAcrossPacks(t *testing.T) {
	x, y := fakeID(0xaa), fakeID(0xbb)
	pa, ia := craftPack(t, []craftedEntry{refDelta(x, y, 5, "x")})
	pb, ib := craftPack(t, []craftedEntry{refDelta(y, x, 5, "y")})
	e := hostileRemote(t, x, map[string][2][]byte{packName(1): {pa, ia}, packName(2): {pb, ib}})
	err := e.Cat(context.Background(), "main", "", io.Discard)
	if !errors.Is(err, pack.ErrDeltaCycle) {
		t.Fatalf("err %v, want pack.ErrDeltaCycle", err)
	}
	t.Log(err)
}

// chainPacks is n packs, each a chain of per deltas (OFS, within the pack) on a REF delta
// on the top of the next pack; the last pack's chain ends in a whole blob. Every object
// is the same 5 bytes, and ids are made up: the chain is what is being tested.
func chainPacks(t testing.TB, n, per int) (object.Hash, map[string][2][]byte) {
	id := func(p, i int) object.Hash {
		var raw [20]byte
		binary.BigEndian.PutUint32(raw[:], uint32(p+1))
		binary.BigEndian.PutUint32(raw[4:], uint32(i+1))
		h, _ := object.FromBytes(raw[:])
		return h
	}
	copy5 := []byte{5, 5, 0x90, 5}
	packs := map[string][2][]byte{}
	zw := zlib.NewWriter(nil) // one for every entry: a fresh one allocates 1 MB
	for p := 0; p < n; p++ {
		var b bytes.Buffer
		b.WriteString("PACK\x00\x00\x00\x02")
		binary.Write(&b, binary.BigEndian, uint32(per))
		var ie []pack.IdxEntry
		var prev int64
		for i := 0; i < per; i++ {
			off := int64(b.Len())
			data := copy5
			switch {
			case i == 0 && p == n-1:
				data = []byte("hello")
				b.Write(pack.AppendEntryHeader(nil, object.Blob, 5))
			case i == 0:
				b.Write(pack.AppendEntryHeader(nil, object.RefDelta, int64(len(data))))
				b.Write(id(p+1, per-1).Bytes())
			default:
				b.Write(pack.AppendOfsDistance(pack.AppendEntryHeader(nil, object.OfsDelta, int64(len(data))), off-prev))
			}
			zw.Reset(&b)
			zw.Write(data)
			zw.Close()
			ie = append(ie, pack.IdxEntry{Hash: id(p, i), Offset: off})
			prev = off
		}
		sum := sha1.Sum(b.Bytes())
		b.Write(sum[:])
		var ib bytes.Buffer
		if err := pack.WriteIdx(&ib, object.SHA1, ie, sum[:]); err != nil {
			t.Fatal(err)
		}
		packs[fmt.Sprintf("pack-%040x", p)] = [2][]byte{b.Bytes(), ib.Bytes()}
	}
	return id(0, per-1), packs
}

// TestCatDeltaChainAcrossPacksTooDeep: a chain that no pack alone makes too deep, but
// that runs through five packs to more than pack.MaxDeltaDepth deltas, is refused with
// pack.ErrDeltaDepth; through four (3599 deltas) it is followed to the end.
func TestCatDeltaChainAcrossPacksTooDeep(t *testing.T) {
	tip, packs := chainPacks(t, 5, 900)
	err := hostileRemote(t, tip, packs).Cat(context.Background(), "main", "", io.Discard)
	if !errors.Is(err, pack.ErrDeltaDepth) {
		t.Fatalf("err %v, want pack.ErrDeltaDepth", err)
	}
	tip, packs = chainPacks(t, 4, 900)
	err = hostileRemote(t, tip, packs).Cat(context.Background(), "main", "", io.Discard)
	if err == nil || errors.Is(err, pack.ErrDeltaDepth) || !strings.Contains(err.Error(), "does not match its id") {
		t.Fatalf("err %v, want the made-up id's mismatch once the chain is followed", err)
	}
}

// junkIdx is an index of size bytes whose fan-out claims claim objects and whose rest
// is junk.
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

// TestCatJunkIdx: an index far larger than its small pack could need is refused from its
// fan-out table, or from the size that table implies, not read whole into memory first.
func TestCatJunkIdx(t *testing.T) {
	blob := []byte("hello\n")
	id := object.Sum(object.SHA1, object.Blob, blob)
	p, _ := craftPack(t, []craftedEntry{{id: id, head: pack.AppendEntryHeader(nil, object.Blob, int64(len(blob))), data: blob}})
	for _, claim := range []uint32{1, 1_000_000} {
		e := hostileRemote(t, id, map[string][2][]byte{packName(1): {p, junkIdx(32<<20, claim)}})
		var err error
		alloc := allocated(func() { err = e.Cat(context.Background(), "main", "", io.Discard) })
		if !errors.Is(err, pack.ErrCorrupt) {
			t.Fatalf("fan-out claiming %d: err %v, want pack.ErrCorrupt", claim, err)
		}
		if alloc > 4<<20 {
			t.Fatalf("fan-out claiming %d: reading a 32 MiB junk index for a %d-byte pack allocated %d MiB", claim, len(p), alloc>>20)
		}
		t.Logf("fan-out claiming %d: %v (%d KiB allocated)", claim, err, alloc>>10)
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

// TestDoctorJunkIdx: doctor reads every pack's index; a junk one is a finding, read no
// further than its pack can need.
func TestDoctorJunkIdx(t *testing.T) {
	blob := []byte("hello\n")
	id := object.Sum(object.SHA1, object.Blob, blob)
	p, _ := craftPack(t, []craftedEntry{{id: id, head: pack.AppendEntryHeader(nil, object.Blob, int64(len(blob))), data: blob}})
	for _, claim := range []uint32{1, 1_000_000} {
		e := hostileRemote(t, id, map[string][2][]byte{packName(1): {p, junkIdx(32<<20, claim)}})
		var d engine.Diagnosis
		var err error
		alloc := allocated(func() { d, err = e.Doctor(context.Background(), engine.DoctorOptions{}) })
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, f := range d.Findings {
			found = found || strings.Contains(f.What, ".idx: pack: corrupt data")
		}
		if !found {
			t.Fatalf("fan-out claiming %d: no finding about the junk index: %+v", claim, d.Findings)
		}
		if alloc > 4<<20 {
			t.Fatalf("fan-out claiming %d: doctor allocated %d MiB over a 32 MiB junk index", claim, alloc>>20)
		}
	}
}

// FuzzCatTwoPacks: cat over a bucket of two packs with their indexes, all four from
// outside, ends in the listing or an error: no endless chain, no crash, no index held
// beyond what its pack can need.
func FuzzCatTwoPacks(f *testing.F) {
	x, y := fakeID(0xaa), fakeID(0xbb)
	pa, ia := craftPack(f, []craftedEntry{refDelta(x, y, 5, "x")})
	pb, ib := craftPack(f, []craftedEntry{refDelta(y, x, 5, "y")})
	f.Add(pa, ia, pb, ib) // REF deltas on each other across the packs
	tree := []byte("100644 f\x00" + string(fakeID(0xcc).Bytes()))
	tid := object.Sum(object.SHA1, object.Tree, tree)
	pt, it := craftPack(f, []craftedEntry{{id: tid, head: pack.AppendEntryHeader(nil, object.Tree, int64(len(tree))), data: tree}})
	f.Add(pt, it, pa, junkIdx(4<<10, 1))
	f.Fuzz(func(t *testing.T, pa, ia, pb, ib []byte) {
		e := hostileRemote(t, x, map[string][2][]byte{packName(1): {pa, ia}, packName(2): {pb, ib}})
		e.Cat(context.Background(), "main", "", io.Discard)
	})
}
