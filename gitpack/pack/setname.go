package pack

import (
	"slices"

	"git-remote-object-store/gitpack/object"
)

// SetName is a name for a pack that depends only on which objects it holds: the hash
// (in the objects' own format) of their ids, sorted and concatenated, which is the id
// table of the pack's .idx. git named packs this way before it used the trailer. Unlike
// the trailer it is known before the first byte of the pack is written, so a pack can be
// uploaded under its final name as it is made; two packs of the same objects share it
// even when their bytes differ (other deltas, other compression).
func SetName(f object.Format, ids []object.Hash) object.Hash {
	sorted := slices.Clone(ids)
	slices.SortFunc(sorted, object.Hash.Compare)
	return SortedSetName(f, len(sorted), func(i int) object.Hash { return sorted[i] })
}

// SortedSetName is SetName of n ids already in order, read through at.
func SortedSetName(f object.Format, n int, at func(i int) object.Hash) object.Hash {
	h := f.New()
	buf := make([]byte, 0, 64<<10) // the hash takes ids faster by the block than one at a time
	for i := range n {
		if len(buf)+64 > cap(buf) {
			h.Write(buf)
			buf = buf[:0]
		}
		id := at(i)
		buf = append(buf, id.Bytes()...)
	}
	h.Write(buf)
	name, _ := object.FromBytes(h.Sum(nil))
	return name
}
