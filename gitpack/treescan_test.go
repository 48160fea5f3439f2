package gitpack

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"git-remote-object-store/gitpack/pack"
	"git-remote-object-store/gitpack/packer"
)

// entry is one tree entry's bytes, with an id of twenty bytes of fill.
func entry(mode, name string, fill byte) []byte {
	return append([]byte(mode+" "+name+"\x00"), bytes.Repeat([]byte{fill}, 20)...)
}

// treeBytes is a tree of n entries named and filled after seed.
func treeBytes(n int, seed byte) []byte {
	var b []byte
	for i := range n {
		b = append(b, entry("100644", fmt.Sprintf("f%03d", i), seed+byte(i))...)
	}
	return b
}

// parseAll is every entry of data, from its start: where each starts, and its bytes.
func parseAll(data []byte) (starts []int, ents [][]byte, err error) {
	pos := 0
	for pos < len(data) {
		_, _, _, rest, err := nextTreeEntry(data[pos:], 20)
		if err != nil {
			return nil, nil, err
		}
		end := len(data) - len(rest)
		starts, ents = append(starts, pos), append(ents, data[pos:end])
		pos = end
	}
	return starts, ents, nil
}

// scanTree scans data as the tree stored at off of p, a delta of base (when base >= 0)
// with copies, and returns where each entry it did not step over starts.
func scanTree(c *treeStarts, p *pack.Pack, data []byte, off, base int64, copies []pack.Copy) ([]int, error) {
	var s treeScan
	s.start(data, 20, &pack.Stored{Pack: p, Off: off, BaseOff: base, Copies: copies}, c)
	var at []int
	for {
		_, _, _, ok, err := s.next()
		if err != nil || !ok {
			return at, err
		}
		at = append(at, int(s.starts[len(s.starts)-1]))
	}
}

// checkScan scans base whole, then target as a delta of it with copies, and checks what
// makes stepping over entries exact: target's scan fails exactly when its plain parse
// does; each entry it steps over is, byte for byte, an entry of base; and the starts it
// remembers for target are its entries' starts. It returns how many entries it looked at.
func checkScan(t testing.TB, base, target []byte, copies []pack.Copy) int {
	t.Helper()
	c := newTreeStarts(1 << 20)
	p := new(pack.Pack)
	if _, err := scanTree(c, p, base, 100, -1, nil); err != nil {
		t.Fatalf("base: %v", err)
	}
	_, baseEnts, _ := parseAll(base)
	known := map[string]bool{}
	for _, e := range baseEnts {
		known[string(e)] = true
	}
	looked, err := scanTree(c, p, target, 200, 100, copies)
	starts, ents, perr := parseAll(target)
	if (err != nil) != (perr != nil) {
		t.Fatalf("scan: %v; plain parse: %v", err, perr)
	}
	if err != nil {
		return len(looked)
	}
	for i, at := range starts {
		if _, ok := slices.BinarySearch(looked, at); !ok && !known[string(ents[i])] {
			t.Fatalf("the entry at %d (%q) was stepped over, but base has no such entry", at, ents[i])
		}
	}
	for _, at := range looked {
		if _, ok := slices.BinarySearch(starts, at); !ok {
			t.Fatalf("looked at %d, where no entry starts (entries at %v)", at, starts)
		}
	}
	want := make([]uint32, 0, len(starts)+1)
	for _, at := range starts {
		want = append(want, uint32(at))
	}
	want = append(want, uint32(len(target)))
	if got := c.get(treeKey{p, 200}); !slices.Equal(got, want) {
		t.Fatalf("remembered starts %v, want %v", got, want)
	}
	return len(looked)
}

func copiesOf(base, target []byte) []pack.Copy {
	return pack.AppendCopies(nil, packer.Delta(base, target, 0))
}

func TestTreeScan(t *testing.T) {
	base := treeBytes(40, 1)
	at := func(i int) int { return i * len(entry("100644", "f000", 0)) } // entries of base are all as long
	changed := slices.Clone(base)
	changed[at(20)+len("100644 f020\x00")+7] ^= 0xff // one id differs
	inserted := slices.Concat(base[:at(10)], entry("100644", "new", 9), base[at(10):])
	removed := slices.Concat(base[:at(5)], base[at(6):])
	// An id whose bytes read as an entry "100644 z" followed by the next entry's first
	// bytes: copied from there, they parse as an entry base does not have.
	id := append([]byte("100644 z\x00"), bytes.Repeat([]byte{7}, 11)...)
	hostile := slices.Concat(base[:at(1)], []byte("100644 odd\x00"), id, base[at(1):])
	idAt := at(1) + len("100644 odd\x00")
	cases := []struct {
		name           string
		base, target   []byte
		copies         []pack.Copy // nil: packer.Delta's
		looked, within int         // entries looked at: exactly, or at most (looked -1)
	}{
		{"identical", base, base, []pack.Copy{{Out: 0, Src: 0, Size: len(base)}}, 0, 0},
		{"identical, in pieces not on entry bounds", base, base,
			[]pack.Copy{{Out: 0, Src: 0, Size: 100}, {Out: 100, Src: 100, Size: len(base) - 100}}, -1, 2},
		{"one id changed", base, changed, nil, -1, 2},
		{"one entry inserted", base, inserted, nil, -1, 2},
		{"one entry removed", base, removed, nil, -1, 2},
		{"nothing copied", base, treeBytes(3, 50), []pack.Copy{}, 3, 0},
		{"copied from within an id", hostile, base[:0:0], nil, 0, 0}, // replaced below
		{"copy ends inside an entry", base, slices.Concat(base[:at(2)+5], []byte(" f999\x00"), bytes.Repeat([]byte{3}, 20)),
			[]pack.Copy{{Out: 0, Src: 0, Size: at(2) + 5}}, 1, 0},
		// Inserted bytes, then the rest of the entry copied: the copy's source maps the
		// entry's start to base's first entry, but its first bytes were not copied.
		{"copy starts after the entry does", base, slices.Concat([]byte("10075"), base[5:]),
			[]pack.Copy{{Out: 5, Src: 5, Size: len(base) - 5}}, 1, 0},
		{"copy starts inside an entry", base, base[at(3)+len("100644 ") : at(6)],
			[]pack.Copy{{Out: 0, Src: at(3) + len("100644 "), Size: at(6) - at(3) - len("100644 ")}}, -1, 0},
	}
	// The hostile case: a tree made of the bytes from inside odd's id on.
	cases[6].target = slices.Clone(hostile[idAt : idAt+len("100644 z\x00")+20])
	cases[6].copies = []pack.Copy{{Out: 0, Src: idAt, Size: len(cases[6].target)}}
	cases[6].looked = 1
	cases[9].target = slices.Concat([]byte("100644 "), cases[9].target)
	cases[9].copies = []pack.Copy{{Out: len("100644 "), Src: at(3) + len("100644 "), Size: len(cases[9].target) - len("100644 ")}}
	cases[9].looked = 1 // the first entry, whose mode was not copied
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			copies := c.copies
			if copies == nil {
				copies = copiesOf(c.base, c.target)
			}
			n := checkScan(t, c.base, c.target, copies)
			if c.looked >= 0 && n != c.looked {
				t.Fatalf("looked at %d entries, want %d", n, c.looked)
			}
			if c.looked < 0 && n > c.within {
				t.Fatalf("looked at %d entries, want at most %d", n, c.within)
			}
		})
	}
}

// TestTreeScanUnknownBase: a delta on a tree not scanned (or forgotten) is looked at whole.
func TestTreeScanUnknownBase(t *testing.T) {
	base := treeBytes(10, 1)
	c := newTreeStarts(1 << 20)
	p := new(pack.Pack)
	copies := []pack.Copy{{Out: 0, Src: 0, Size: len(base)}}
	if got, _ := scanTree(c, p, base, 200, 100, copies); len(got) != 10 {
		t.Fatalf("looked at %d entries of a delta on an unscanned base, want 10", len(got))
	}
	if got, _ := scanTree(c, new(pack.Pack), base, 300, 200, copies); len(got) != 10 {
		t.Fatalf("looked at %d entries of a delta on a base in another pack, want 10", len(got))
	}
	if got, _ := scanTree(c, p, base, 300, 200, copies); len(got) != 0 {
		t.Fatalf("looked at %d entries of a copy of a scanned tree, want 0", len(got))
	}
	var s treeScan
	s.start(base, 20, &pack.Stored{Off: 400, BaseOff: 200, Copies: copies}, c) // loose: no pack
	n := 0
	for _, _, _, ok, _ := s.next(); ok; _, _, _, ok, _ = s.next() {
		n++
	}
	if n != 10 {
		t.Fatalf("looked at %d entries of a loose tree, want 10", n)
	}
}

// TestTreeScanRandom: trees edited at random, with git-like deltas (packer.Delta) and with
// copies from anywhere in the base, the way a crafted pack may have them.
func TestTreeScanRandom(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for range 300 {
		base := treeBytes(1+rng.IntN(60), byte(rng.IntN(200)))
		_, ents, _ := parseAll(base)
		var target []byte
		for _, e := range ents {
			switch rng.IntN(8) {
			case 0: // dropped
			case 1:
				target = append(target, entry("40000", fmt.Sprintf("d%d", rng.IntN(99)), byte(rng.IntN(256)))...)
				target = append(target, e...)
			case 2:
				e = slices.Clone(e)
				e[len(e)-1-rng.IntN(20)] ^= byte(1 + rng.IntN(255))
				target = append(target, e...)
			default:
				target = append(target, e...)
			}
		}
		checkScan(t, base, target, copiesOf(base, target))
		// Copies of any bytes of base, and some inserted bytes, in any order.
		var copies []pack.Copy
		target = target[:0]
		for range 1 + rng.IntN(8) {
			if rng.IntN(3) == 0 {
				target = append(target, entry("100644", "x", byte(rng.IntN(256)))[:1+rng.IntN(30)]...)
				continue
			}
			src := rng.IntN(len(base))
			n := 1 + rng.IntN(len(base)-src)
			copies = append(copies, pack.Copy{Out: len(target), Src: src, Size: n})
			target = append(target, base[src:src+n]...)
		}
		checkScan(t, base, target, copies)
	}
}

// FuzzTreeScan: whatever the base's bytes and however the target is copied from them,
// stepping over entries never hides one the base does not have.
func FuzzTreeScan(f *testing.F) {
	f.Add(treeBytes(5, 1), []byte{0, 0, 200, 1, 30, 40})
	f.Add(slices.Concat(entry("100644", "a", 1), []byte("100644 z\x00"), bytes.Repeat([]byte{2}, 40)), []byte{0, 30, 29})
	f.Fuzz(func(t *testing.T, base, ops []byte) {
		if _, _, err := parseAll(base); err != nil || len(base) == 0 {
			return // a base is a tree the walk scanned
		}
		// ops: triples (insert length or copy, offset, length), read modulo the base.
		var target []byte
		var copies []pack.Copy
		for i := 0; i+2 < len(ops); i += 3 {
			src := int(ops[i+1]) * len(base) / 256
			n := 1 + int(ops[i+2])%(len(base)-src)
			if ops[i]%4 == 0 {
				target = append(target, ops[i+1:i+3]...)
				continue
			}
			copies = append(copies, pack.Copy{Out: len(target), Src: src, Size: n})
			target = append(target, base[src:src+n]...)
		}
		checkScan(t, base, target, copies)
	})
}
