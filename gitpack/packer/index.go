package packer

import (
	"encoding/binary"
	"io"
	"slices"

	"git-remote-object-store/gitpack/object"
	"git-remote-object-store/gitpack/pack"
)

// ByID returns the positions of objs in the order of their ids (a duplicate's listings
// side by side). The sort moves 16-byte keys (the id's first 8 bytes and a position),
// not the objects, and looks at a whole id only on a tie: a million objects are sorted
// in a fraction of a second without a second copy of their ids.
func ByID(objs []Object) []int32 {
	type key struct {
		pfx uint64
		i   int32
	}
	keys := make([]key, len(objs))
	for i := range objs {
		keys[i] = key{binary.BigEndian.Uint64(objs[i].Hash.Bytes()), int32(i)}
	}
	slices.SortFunc(keys, func(a, b key) int {
		if a.pfx != b.pfx {
			if a.pfx < b.pfx {
				return -1
			}
			return 1
		}
		if c := objs[a.i].Hash.Compare(objs[b.i].Hash); c != 0 {
			return c
		}
		return int(a.i - b.i)
	})
	out := make([]int32, len(keys))
	for n, k := range keys {
		out[n] = k.i
	}
	return out
}

// Index is what a written pack's .idx is made from: each written object's offset and
// CRC, beside the object list itself, in 16 bytes an object (the .idx's own records,
// id included, would be 56).
type Index struct {
	objs []Object
	byID []int32 // the written objects' positions, by id
	offs []int64 // by position in objs
	crcs []uint32
}

// Len is the number of objects the index lists.
func (x *Index) Len() int { return len(x.byID) }

// Entry is the i-th object in id order.
func (x *Index) Entry(i int) pack.IdxEntry {
	k := x.byID[i]
	return pack.IdxEntry{Hash: x.objs[k].Hash, Offset: x.offs[k], CRC: x.crcs[k]}
}

// WriteIdx writes the pack's version-2 .idx, byte for byte what indexing the pack gives.
func (x *Index) WriteIdx(w io.Writer, f object.Format, packSum []byte) error {
	return pack.WriteSortedIdx(w, f, x.Len(), x.Entry, packSum)
}

// newIndex keeps, of the plans Write carried out, each written object's offset; crcs are
// their CRCs, by position. A duplicate listing (written once, at its first) is left out.
func newIndex(objs []Object, plans []plan, crcs []uint32, byID []int32) *Index {
	if byID == nil {
		byID = ByID(objs)
	}
	x := &Index{objs: objs, offs: make([]int64, len(objs)), crcs: crcs}
	written := byID[:0] // ByID is Write's to change (Options.ByID)
	for _, k := range byID {
		if plans[k].how != duplicate {
			written = append(written, k)
		}
	}
	x.byID = written
	for i := range plans {
		x.offs[i] = plans[i].at
	}
	return x
}
