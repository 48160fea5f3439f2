package pack

import (
	"bytes"
	"compress/zlib"
	"crypto/sha1"
	"encoding/binary"
	"hash/crc32"
	"testing"

	"git-remote-object-store/gitpack/object"
)

// tinyPack is a pack of a blob and an OFS delta of it, with its parsed index.
func tinyPack(t testing.TB) ([]byte, *Idx, [2]object.Hash) {
	base := []byte("hello world\n")
	delta := []byte{12, 17, 0x91, 0x00, 12, 5, 'a', 'g', 'a', 'i', 'n'}
	want := append(append([]byte{}, base...), "again"...)
	var buf bytes.Buffer
	buf.Write([]byte{'P', 'A', 'C', 'K', 0, 0, 0, 2, 0, 0, 0, 2})
	entry := func(head []byte, data []byte) (int64, uint32) {
		off := int64(buf.Len())
		var raw bytes.Buffer
		raw.Write(head)
		zw := zlib.NewWriter(&raw)
		zw.Write(data)
		zw.Close()
		buf.Write(raw.Bytes())
		return off, crc32.ChecksumIEEE(raw.Bytes())
	}
	off1, crc1 := entry(AppendEntryHeader(nil, object.Blob, int64(len(base))), base)
	off2 := int64(buf.Len())
	_, crc2 := entry(AppendOfsDistance(AppendEntryHeader(nil, object.OfsDelta, int64(len(delta))), off2-off1), delta)
	sum := sha1.Sum(buf.Bytes())
	buf.Write(sum[:])
	ids := [2]object.Hash{object.Sum(object.SHA1, object.Blob, base), object.Sum(object.SHA1, object.Blob, want)}
	var ib bytes.Buffer
	if err := WriteIdx(&ib, object.SHA1, []IdxEntry{{ids[0], off1, crc1}, {ids[1], off2, crc2}}, sum[:]); err != nil {
		t.Fatal(err)
	}
	idx, err := ParseIdx(ib.Bytes(), object.SHA1)
	if err != nil {
		t.Fatal(err)
	}
	return buf.Bytes(), idx, ids
}

func TestReadThroughReaderAt(t *testing.T) {
	data, idx, ids := tinyPack(t)
	p, err := FromReaderAt(bytes.NewReader(data), int64(len(data)), idx, object.SHA1)
	if err != nil {
		t.Fatal(err)
	}
	for i, h := range ids {
		typ, got, err := p.Read(h, nil)
		if err != nil || typ != object.Blob || object.Sum(object.SHA1, typ, got) != h {
			t.Fatalf("object %d: %v %q %v", i, typ, got, err)
		}
	}
}

// FuzzPackRead: random access to a damaged pack (as cat reads one off a bucket) errs
// cleanly, never panics or allocates what the data cannot hold.
func FuzzPackRead(f *testing.F) {
	data, idx, _ := tinyPack(f)
	f.Add(data)
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := FromReaderAt(bytes.NewReader(data), int64(len(data)), idx, object.SHA1)
		if err != nil {
			return
		}
		is := make([]int, idx.Count())
		for i := range is {
			is[i] = i
			p.ReadAt(idx.Offset(i), nil)
		}
		if entries, err := p.Entries(is); err == nil {
			sortEntries(entries)
			together := make([][]byte, len(entries))
			errTogether := p.ReadEntries(entries, together)
			for k, e := range entries {
				alone, err := p.EntryData(e)
				if errTogether == nil && (err != nil || !bytes.Equal(alone, together[k])) {
					t.Fatalf("entry at %d: read with others %x, alone %x (%v)", e.Offset, together[k], alone, err)
				}
			}
		}
	})
}

// FuzzPackWithIdx: a pack and an index both from outside (cat reads both off a bucket)
// read every object, or err cleanly: no panic, no endless chain, no allocation beyond
// what the bytes can hold.
func FuzzPackWithIdx(f *testing.F) {
	add := func(c *crafted) {
		data := bytes.Clone(c.b.Bytes())
		binary.BigEndian.PutUint32(data[8:], c.n)
		sum := sha1.Sum(data)
		data = append(data, sum[:]...)
		var ib bytes.Buffer
		WriteIdx(&ib, object.SHA1, append([]IdxEntry(nil), c.ie...), sum[:])
		f.Add(data, ib.Bytes())
	}
	refHead := func(base object.Hash) []byte {
		return append(AppendEntryHeader(nil, object.RefDelta, int64(len(copy5))), base.Bytes()...)
	}
	c := newCrafted() // a REF cycle
	c.add(madeUpID(1), refHead(madeUpID(2)), copy5)
	c.add(madeUpID(2), refHead(madeUpID(1)), copy5)
	add(c)
	c = newCrafted() // a chain, OFS and REF
	prev := c.add(madeUpID(0), AppendEntryHeader(nil, object.Blob, 5), []byte("hello"))
	for i := 1; i < 20; i++ {
		off := int64(c.b.Len())
		if i%3 == 0 {
			prev = c.add(madeUpID(i), refHead(madeUpID(i-1)), copy5)
		} else {
			prev = c.add(madeUpID(i), AppendOfsDistance(AppendEntryHeader(nil, object.OfsDelta, int64(len(copy5))), off-prev), copy5)
		}
	}
	add(c)
	c = newCrafted() // a delta declaring 1 GiB
	b := c.add(madeUpID(0), AppendEntryHeader(nil, object.Blob, 5), []byte("hello"))
	d := lyingDelta(1 << 30)
	off := int64(c.b.Len())
	c.add(madeUpID(1), AppendOfsDistance(AppendEntryHeader(nil, object.OfsDelta, int64(len(d))), off-b), d)
	add(c)
	f.Fuzz(func(t *testing.T, data, idxData []byte) {
		ra := bytes.NewReader(data)
		count, err := ReadCount(ra)
		if err != nil {
			return
		}
		idx, err := ReadIdxFor(bytes.NewReader(idxData), object.SHA1, int64(len(data)), count)
		if err != nil {
			return
		}
		p, err := FromReaderAt(ra, int64(len(data)), idx, object.SHA1)
		if err != nil {
			return
		}
		for i := 0; i < idx.Count(); i++ {
			p.Read(idx.Hash(i), nil)
			p.Stat(idx.Hash(i), nil)
		}
	})
}
