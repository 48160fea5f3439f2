package indexer

import (
	"bytes"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestByID: the bucketed sort gives the order a plain sort of the ids gives, with ids
// spread evenly, all sharing one prefix, or equal, for one entry and none.
func TestByID(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, c := range []struct {
		name   string
		n      int
		shared int // leading bytes every id has in common
		equal  bool
	}{
		{"none", 0, 0, false},
		{"one", 1, 0, false},
		{"spread", 5000, 0, false},
		{"many to a bucket", 300_000, 0, false},
		{"one byte shared", 2000, 1, false},
		{"all in one bucket", 2000, 2, false},
		{"equal ids", 50, 20, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			ix := &indexer{hs: 20, entries: make([]entry, c.n), ids: make([]byte, 20*c.n)}
			for i := range c.n {
				id := ix.idBytes(i)
				for j := range id {
					id[j] = byte(rng.Uint32())
				}
				copy(id, bytes.Repeat([]byte{0xab}, c.shared))
			}
			got := ix.byID()
			want := make([]uint32, c.n)
			for i := range want {
				want[i] = uint32(i)
			}
			slices.SortStableFunc(want, func(a, b uint32) int { return bytes.Compare(ix.idBytes(int(a)), ix.idBytes(int(b))) })
			for i := range got {
				if !bytes.Equal(ix.idBytes(int(got[i])), ix.idBytes(int(want[i]))) {
					t.Fatalf("position %d: %x, want %x", i, ix.idBytes(int(got[i])), ix.idBytes(int(want[i])))
				}
			}
			if len(got) != c.n {
				t.Fatalf("%d entries, want %d", len(got), c.n)
			}
			seen := make([]bool, c.n)
			for _, k := range got {
				if seen[k] {
					t.Fatalf("entry %d twice", k)
				}
				seen[k] = true
			}
			ix.tab.free()
		})
	}
}
