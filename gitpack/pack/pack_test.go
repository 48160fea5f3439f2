package pack

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"math/rand/v2"
	"testing"

	"git-remote-object-store/gitpack/object"
)

func TestEntryHeaderRoundTrip(t *testing.T) {
	for _, typ := range []object.Type{object.Commit, object.Tree, object.Blob, object.Tag, object.OfsDelta, object.RefDelta} {
		for _, size := range []int64{0, 1, 15, 16, 127, 128, 1 << 20, 1<<35 + 7, MaxObjectSize} {
			b := AppendEntryHeader(nil, typ, size)
			gt, gs, n, err := ReadEntryHeader(bytes.NewReader(b))
			if err != nil || gt != typ || gs != size || n != len(b) {
				t.Fatalf("%v/%d: got %v/%d/%d/%v", typ, size, gt, gs, n, err)
			}
		}
	}
}

func TestEntryHeaderRejects(t *testing.T) {
	for name, in := range map[string][]byte{
		"empty": {}, "type 0": {0x05}, "type 5": {0x55}, "truncated": {0x9f},
		"overflow": {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01},
	} {
		if _, _, _, err := ReadEntryHeader(bytes.NewReader(in)); !errors.Is(err, ErrCorrupt) {
			t.Errorf("%s: err %v, want ErrCorrupt", name, err)
		}
	}
}

func TestOfsDistanceRoundTrip(t *testing.T) {
	for _, d := range []int64{1, 127, 128, 16511, 16512, 1 << 31, 1<<50 + 3} {
		b := AppendOfsDistance(nil, d)
		got, n, err := ReadOfsDistance(bytes.NewReader(b))
		if err != nil || got != d || n != len(b) {
			t.Fatalf("%d: got %d/%d/%v", d, got, n, err)
		}
	}
}

// naiveDelta builds a delta of target against base by inserts and one copy, enough to
// exercise ApplyDelta's decoder (the real encoder lives in package packer).
func naiveDelta(base, target []byte) []byte {
	var d []byte
	d = appendVarint(appendVarint(d, int64(len(base))), int64(len(target)))
	if len(base) > 0 && len(target) > 0 {
		n := min(len(base), len(target), 0xffff)
		d = append(d, 0x80|0x10|0x20, byte(n), byte(n>>8))
		target = target[n:]
	}
	for len(target) > 0 {
		k := min(len(target), 127)
		d = append(d, byte(k))
		d = append(d, target[:k]...)
		target = target[k:]
	}
	return d
}

func appendVarint(d []byte, v int64) []byte {
	for v >= 0x80 {
		d = append(d, byte(v)|0x80)
		v >>= 7
	}
	return append(d, byte(v))
}

func TestApplyDelta(t *testing.T) {
	base := []byte("hello, world: the quick brown fox")
	target := []byte("hello, world: the quick brown fox jumps over the lazy dog")
	got, err := ApplyDelta(base, naiveDelta(base, target))
	if err != nil || !bytes.Equal(got, target) {
		t.Fatalf("got %q, %v", got, err)
	}
	bad := map[string][]byte{
		"wrong base size":    append(appendVarint(appendVarint(nil, 3), 1), 1, 'x'),
		"copy past base":     append(appendVarint(appendVarint(nil, int64(len(base))), 200), 0x80|0x10, 200),
		"opcode zero":        append(appendVarint(appendVarint(nil, int64(len(base))), 1), 0),
		"short result":       append(appendVarint(appendVarint(nil, int64(len(base))), 5), 1, 'x'),
		"insert past end":    append(appendVarint(appendVarint(nil, int64(len(base))), 5), 9, 'x'),
		"truncated varint":   {0x80},
		"result over target": append(appendVarint(appendVarint(nil, int64(len(base))), 1), 2, 'x', 'y'),
	}
	for name, d := range bad {
		if _, err := ApplyDelta(base, d); !errors.Is(err, ErrCorrupt) {
			t.Errorf("%s: err %v, want ErrCorrupt", name, err)
		}
	}
}

func FuzzApplyDelta(f *testing.F) {
	f.Add([]byte("base data here"), naiveDelta([]byte("base data here"), []byte("base data here and more")))
	f.Add([]byte{}, []byte{0, 3, 3, 'a', 'b', 'c'})
	f.Add([]byte("hello"), []byte{5, 0x80, 0x80, 0x80, 0x80, 0x04, 3, 'a', 'b', 'c'}) // declares 1 GiB, makes 3 bytes
	f.Add([]byte("hello"), []byte{5, 0x80, 0x80, 0x80, 0x80, 0x08, 0x80, 0x80})       // 2 GiB of copies past the base
	f.Fuzz(func(t *testing.T, base, delta []byte) {
		out, err := ApplyDelta(base, delta)
		var w bytes.Buffer
		n, werr := WriteDelta(&w, base, delta)
		if (err == nil) != (werr == nil) || err == nil && (!bytes.Equal(out, w.Bytes()) || n != int64(len(out))) {
			t.Fatalf("ApplyDelta and WriteDelta disagree: %d bytes, %v; %d bytes, %v", len(out), err, n, werr)
		}
		if err != nil {
			if w.Len() != 0 {
				t.Fatalf("WriteDelta wrote %d bytes of a delta it refused", w.Len())
			}
			return // rejected deltas are fine; accepted ones must honour their header
		}
		_, dst, _, herr := DeltaSizes(delta)
		if herr != nil || int64(len(out)) != dst {
			t.Fatalf("accepted delta produced %d bytes, header says %d (%v)", len(out), dst, herr)
		}
	})
}

func FuzzEntryHeader(f *testing.F) {
	f.Add(AppendEntryHeader(nil, object.Blob, 12345))
	f.Add([]byte{0xff, 0xff, 0x7f})
	f.Fuzz(func(t *testing.T, data []byte) {
		typ, size, n, err := ReadEntryHeader(bufio.NewReader(bytes.NewReader(data)))
		if err != nil {
			return
		}
		again := AppendEntryHeader(nil, typ, size)
		t2, s2, _, err := ReadEntryHeader(bytes.NewReader(again))
		if err != nil || t2 != typ || s2 != size || n > len(data) {
			t.Fatalf("header %x decoded to %v/%d but re-encodes to %x (%v/%d, %v)", data[:n], typ, size, again, t2, s2, err)
		}
	})
}

func FuzzParseIdx(f *testing.F) {
	var b bytes.Buffer
	h1, _ := object.FromBytes(bytes.Repeat([]byte{1}, 20))
	h2, _ := object.FromBytes(bytes.Repeat([]byte{2}, 20))
	WriteIdx(&b, object.SHA1, []IdxEntry{{h2, 12, 7}, {h1, 1 << 32, 9}}, bytes.Repeat([]byte{3}, 20))
	f.Add(b.Bytes())
	f.Add(junkIdx(64<<10, 1))         // junk after a fan-out of one object
	f.Add(junkIdx(64<<10, 1_000_000)) // a fan-out claiming far more than the data
	f.Fuzz(func(t *testing.T, data []byte) {
		x, err := ParseIdx(data, object.SHA1)
		if err != nil {
			return
		}
		// An accepted index must be internally consistent: every id is found at its
		// position, and offsets are readable.
		for i := 0; i < x.Count(); i++ {
			if x.Find(x.Hash(i)) != i {
				t.Fatalf("id %d not found at its own position", i)
			}
			_ = x.Offset(i)
		}
	})
}

func TestIdxRoundTrip(t *testing.T) {
	var entries []IdxEntry
	for i := 0; i < 500; i++ {
		raw := make([]byte, 20)
		for j := range raw {
			raw[j] = byte(rand.IntN(256))
		}
		h, _ := object.FromBytes(raw)
		off := int64(12 + i*100)
		if i%50 == 0 {
			off += 1 << 32 // exercise the 64-bit table
		}
		entries = append(entries, IdxEntry{Hash: h, Offset: off, CRC: uint32(i)})
	}
	var b bytes.Buffer
	if err := WriteIdx(&b, object.SHA1, append([]IdxEntry(nil), entries...), bytes.Repeat([]byte{9}, 20)); err != nil {
		t.Fatal(err)
	}
	x, err := ParseIdx(b.Bytes(), object.SHA1)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		i := x.Find(e.Hash)
		if i < 0 || x.Offset(i) != e.Offset || x.CRC(i) != e.CRC {
			t.Fatalf("entry %v: found %d offset %d crc %d", e.Hash, i, x.Offset(i), x.CRC(i))
		}
	}
	corrupt := bytes.Clone(b.Bytes())
	corrupt[len(corrupt)/2] ^= 1
	if _, err := ParseIdx(corrupt, object.SHA1); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("a flipped bit was accepted: %v", err)
	}
}

// FuzzReadIdxFor: an index read from outside for a pack of a given size and count is
// either refused having read no more than such a pack's index can take, or consistent.
func FuzzReadIdxFor(f *testing.F) {
	data, _, _ := tinyPack(f)
	var ib bytes.Buffer
	_, idx, _ := tinyPack(f)
	WriteIdx(&ib, object.SHA1, []IdxEntry{{idx.Hash(0), idx.Offset(0), idx.CRC(0)}, {idx.Hash(1), idx.Offset(1), idx.CRC(1)}}, idx.PackChecksum())
	f.Add(ib.Bytes(), int64(len(data)), int64(2))
	f.Add(junkIdx(64<<10, 1), int64(51), int64(1))
	f.Add(junkIdx(64<<10, 1_000_000), int64(51), int64(-1))
	f.Add(junkIdx(64<<10, 1_000_000), int64(1<<30), int64(1_000_000))
	f.Fuzz(func(t *testing.T, data []byte, packSize, count int64) {
		r := &countingReader{r: bytes.NewReader(data)}
		x, err := ReadIdxFor(r, object.SHA1, packSize, count)
		maxN := (packSize - 32) / minEntrySize
		if count >= 0 {
			maxN = min(maxN, count)
		}
		if bound := 1032 + max(maxN, 0)*36 + 40 + 1; r.n > max(bound, 1032) {
			t.Fatalf("read %d bytes of index for a pack of %d bytes and %d objects", r.n, packSize, count)
		}
		if err != nil {
			return
		}
		if count >= 0 && int64(x.Count()) != count || int64(x.Count()) > maxN {
			t.Fatalf("accepted an index of %d objects for a pack of %d bytes and %d objects", x.Count(), packSize, count)
		}
		for i := 0; i < x.Count(); i++ {
			if x.Find(x.Hash(i)) != i {
				t.Fatalf("id %d not found at its own position", i)
			}
		}
	})
}

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}
