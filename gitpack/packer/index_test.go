package packer

import (
	"bytes"
	"slices"
	"testing"

	"git-remote-object-store/gitpack/object"
	"git-remote-object-store/gitpack/pack"
)

// TestByID: positions come out in id order, ids that share their first 8 bytes are
// ordered by the rest, and a duplicate's listings are side by side, the first first.
func TestByID(t *testing.T) {
	raw := func(b ...byte) object.Hash {
		id := make([]byte, 20)
		copy(id, []byte{7, 7, 7, 7, 7, 7, 7, 7})
		copy(id[20-len(b):], b)
		h, _ := object.FromBytes(id)
		return h
	}
	low, _ := object.FromBytes(bytes.Repeat([]byte{1}, 20))
	objs := []Object{{Hash: raw(9)}, {Hash: raw(1, 0)}, {Hash: low}, {Hash: raw(9)}, {Hash: raw(2)}}
	if got, want := ByID(objs), []int32{2, 4, 0, 3, 1}; !slices.Equal(got, want) {
		t.Fatalf("ByID = %v, want %v", got, want)
	}
}

// TestIndexLeavesOutDuplicates: an object listed twice is written once, and the index
// made from the writer's records lists it once, as indexing the pack does.
func TestIndexLeavesOutDuplicates(t *testing.T) {
	src, objs := versions(30)
	objs = append(objs, objs[3], objs[17])
	var b bytes.Buffer
	res, err := Write(&b, src, objs, Options{Format: object.SHA1, Index: true})
	if err != nil {
		t.Fatal(err)
	}
	if res.Objects != 30 || res.Index.Len() != 30 {
		t.Fatalf("%d objects written, %d indexed; want 30", res.Objects, res.Index.Len())
	}
	var idx bytes.Buffer
	if err := res.Index.WriteIdx(&idx, object.SHA1, res.Hash.Bytes()); err != nil {
		t.Fatal(err)
	}
	x, err := pack.ReadIdx(&idx, object.SHA1)
	if err != nil {
		t.Fatal(err)
	}
	p, err := pack.FromReaderAt(bytes.NewReader(b.Bytes()), int64(b.Len()), x, object.SHA1)
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range objs {
		if _, data, err := p.Read(o.Hash, nil); err != nil || object.Sum(object.SHA1, object.Blob, data) != o.Hash {
			t.Fatalf("%s through the index: %v", o.Hash, err)
		}
	}
}
