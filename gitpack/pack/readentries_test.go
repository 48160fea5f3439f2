package pack

import (
	"bytes"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math/rand/v2"
	"sync/atomic"
	"testing"

	"git-remote-object-store/gitpack/object"
)

// entriesPack is a pack of n blobs, one of them larger than readGap, with true CRCs in
// its index, and its entries in pack order.
func entriesPack(t *testing.T, n int) (*Pack, []Entry) {
	t.Helper()
	c := newCrafted()
	for i := 0; i < n; i++ {
		data := bytes.Repeat([]byte(fmt.Sprintf("blob %d\n", i)), 1+i*7)
		if i == n/2 {
			data = make([]byte, 3*readGap) // random, so it stays larger than readGap deflated
			rand.NewChaCha8([32]byte{1}).Read(data)
		}
		c.add(madeUpID(i), AppendEntryHeader(nil, object.Blob, int64(len(data))), data)
	}
	raw := c.b.Bytes()
	for k := range c.ie {
		end := int64(len(raw))
		if k+1 < len(c.ie) {
			end = c.ie[k+1].Offset
		}
		c.ie[k].CRC = crc32.ChecksumIEEE(raw[c.ie[k].Offset:end])
	}
	p := c.open(t)
	p.f = &countedReaderAt{r: p.f}
	is := make([]int, n)
	for i := range is {
		is[i] = i
	}
	es, err := p.Entries(is)
	if err != nil {
		t.Fatal(err)
	}
	es = append([]Entry(nil), es...)
	sortEntries(es)
	return p, es
}

func sortEntries(es []Entry) {
	for i := 1; i < len(es); i++ {
		for j := i; j > 0 && es[j].Offset < es[j-1].Offset; j-- {
			es[j], es[j-1] = es[j-1], es[j]
		}
	}
}

// TestReadEntries: entries read together, in runs or alone, are what EntryData reads
// one at a time; a damaged entry or a malformed one fails the call, whichever run it is in.
func TestReadEntries(t *testing.T) {
	p, all := entriesPack(t, 12)
	pick := func(keep func(k int) bool) []Entry {
		var out []Entry
		for k, e := range all {
			if keep(k) {
				out = append(out, e)
			}
		}
		return out
	}
	tests := []struct {
		name  string
		es    []Entry
		bad   func([]Entry) // damages one entry's record; nil: all good
		reads int           // calls to the pack file it takes, when good
	}{
		{"all, one run around a big entry", all, nil, 1},
		{"every other below the big one, gaps read over", pick(func(k int) bool { return k%2 == 0 && k < 6 }), nil, 1},
		{"every other, the big one a gap too wide", pick(func(k int) bool { return k%2 == 1 }), nil, 2},
		{"ends only, gap too wide", pick(func(k int) bool { return k < 2 || k >= len(all)-2 }), nil, 2},
		{"one", all[3:4], nil, 1},
		{"none", nil, nil, 0},
		{"wrong CRC in a run", all, func(es []Entry) { es[4].CRC ^= 1 }, 0},
		{"wrong CRC alone", all[3:4], func(es []Entry) { es[0].CRC ^= 1 }, 0},
		{"data before the header", all, func(es []Entry) { es[5].Data = es[5].Offset - 1 }, 0},
		{"empty entry", all, func(es []Entry) { es[2].End = es[2].Offset }, 0},
		{"too large", all, func(es []Entry) { es[7].End = es[7].Offset + MaxSmallEntry + 1 }, 0},
		{"past the end of the pack", all, func(es []Entry) { es[len(es)-1].End += 64 }, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			es := append([]Entry(nil), tt.es...)
			if tt.bad != nil {
				tt.bad(es)
			}
			data := make([][]byte, len(es))
			counted := p.f.(*countedReaderAt)
			counted.n.Store(0)
			err := p.ReadEntries(es, data)
			reads := int(counted.n.Load())
			if tt.bad != nil {
				if err == nil {
					t.Fatal("a damaged entry was read")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if reads != tt.reads {
				t.Errorf("%d reads, want %d", reads, tt.reads)
			}
			for k, e := range es {
				want, err := p.EntryData(e)
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(data[k], want) {
					t.Fatalf("entry %d at %d: %d bytes, EntryData %d", k, e.Offset, len(data[k]), len(want))
				}
			}
		})
	}
}

// A wrong CRC is the corrupt-pack error callers tell apart.
func TestReadEntriesCorrupt(t *testing.T) {
	p, all := entriesPack(t, 6)
	all[1].CRC ^= 1
	if err := p.ReadEntries(all, make([][]byte, len(all))); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("err %v, want ErrCorrupt", err)
	}
}

// countedReaderAt counts reads; as any io.ReaderAt, it is read from goroutines at once.
type countedReaderAt struct {
	r io.ReaderAt
	n atomic.Int64
}

func (c *countedReaderAt) ReadAt(p []byte, off int64) (int, error) {
	c.n.Add(1)
	return c.r.ReadAt(p, off)
}

// TestEntriesInHalves: read in two halves at once or in one pass, in any order asked,
// Entries says what Entry says of each.
func TestEntriesInHalves(t *testing.T) {
	p, _ := entriesPack(t, 300)
	want := make([]Entry, 300)
	for i := range want {
		e, err := p.Entry(i)
		if err != nil {
			t.Fatal(err)
		}
		want[i] = e
	}
	defer func(n int, s int64) { entriesSplitCount, entriesSplitSpan = n, s }(entriesSplitCount, entriesSplitSpan)
	for _, split := range []bool{false, true} {
		if split {
			entriesSplitCount, entriesSplitSpan = 2, 1
		}
		is := rand.New(rand.NewPCG(3, 4)).Perm(300)[:200]
		got, err := p.Entries(is)
		if err != nil {
			t.Fatal(err)
		}
		for k, i := range is {
			if got[k] != want[i] {
				t.Fatalf("split %v: entry of position %d: %+v, want %+v", split, i, got[k], want[i])
			}
		}
		if _, err := p.Entries([]int{5, 7, 5}); err == nil {
			t.Fatalf("split %v: a position asked for twice was not refused", split)
		}
		if _, err := p.Entries([]int{300}); err == nil {
			t.Fatalf("split %v: a position past the index was not refused", split)
		}
	}
}
