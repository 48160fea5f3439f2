package indexer_test

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"testing"

	"git-remote-object-store/gitpack/indexer"
	"git-remote-object-store/gitpack/object"
	"git-remote-object-store/gitpack/pack"
	"git-remote-object-store/gitpack/packer"
)

// memSource is a handful of objects in memory: a unit-test source for the packer.
type memSource map[object.Hash]struct {
	t object.Type
	b []byte
}

func (m memSource) Read(h object.Hash) (object.Type, []byte, error) {
	o, ok := m[h]
	if !ok {
		return 0, nil, fmt.Errorf("no %s", h)
	}
	return o.t, o.b, nil
}

func samplePack(t testing.TB) []byte {
	src := memSource{}
	var objs []packer.Object
	for i := 0; i < 20; i++ {
		data := bytes.Repeat([]byte(fmt.Sprintf("blob %d\n", i)), i*10)
		h := object.Sum(object.SHA1, object.Blob, data)
		src[h] = struct {
			t object.Type
			b []byte
		}{object.Blob, data}
		objs = append(objs, packer.Object{Hash: h, Type: object.Blob})
	}
	var b bytes.Buffer
	if _, err := packer.Write(&b, src, objs, packer.Options{Format: object.SHA1}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func leftovers(t testing.TB, dir string) []string {
	ents, _ := os.ReadDir(dir)
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	return names
}

func TestIndexRoundTrip(t *testing.T) {
	data := samplePack(t)
	dir := t.TempDir()
	res, err := indexer.Index(bytes.NewReader(data), dir, indexer.Options{Format: object.SHA1})
	if err != nil {
		t.Fatal(err)
	}
	p, err := pack.Open(res.PackPath, res.IdxPath, object.SHA1)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if p.Idx.Count() != 20 || res.Objects != 20 {
		t.Fatalf("%d objects indexed", p.Idx.Count())
	}
	// Indexing the same pack again keeps the installed one.
	if _, err := indexer.Index(bytes.NewReader(data), dir, indexer.Options{Format: object.SHA1}); err != nil {
		t.Fatal(err)
	}
	if n := len(leftovers(t, dir)); n != 2 {
		t.Fatalf("%d files in the pack dir, want pack and idx", n)
	}
}

func TestIndexRejectsHostilePacks(t *testing.T) {
	good := samplePack(t)
	mut := func(f func(b []byte) []byte) []byte { return f(bytes.Clone(good)) }
	cases := map[string][]byte{
		"empty":          {},
		"not a pack":     []byte("PACX\x00\x00\x00\x02\x00\x00\x00\x00"),
		"version 9":      mut(func(b []byte) []byte { b[7] = 9; return b }),
		"count too high": mut(func(b []byte) []byte { b[11]++; return b }),
		"count too low":  mut(func(b []byte) []byte { b[11]--; return b }),
		"truncated":      good[:len(good)/2],
		"no trailer":     good[:len(good)-20],
		"bad trailer":    mut(func(b []byte) []byte { b[len(b)-1] ^= 1; return b }),
		"flipped byte":   mut(func(b []byte) []byte { b[len(b)/2] ^= 0x40; return b }),
		"huge count":     []byte("PACK\x00\x00\x00\x02\xff\xff\xff\xff"),
	}
	for name, data := range cases {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			_, err := indexer.Index(bytes.NewReader(data), dir, indexer.Options{Format: object.SHA1})
			if err == nil {
				t.Fatal("accepted")
			}
			if !errors.Is(err, indexer.ErrBadPack) && !errors.Is(err, pack.ErrCorrupt) {
				t.Fatalf("err %v is neither ErrBadPack nor ErrCorrupt", err)
			}
			if l := leftovers(t, dir); len(l) != 0 {
				t.Fatalf("files left behind: %v", l)
			}
		})
	}
}

func FuzzIndex(f *testing.F) {
	f.Add(samplePack(f))
	f.Add([]byte("PACK\x00\x00\x00\x02\x00\x00\x00\x00"))
	f.Fuzz(func(t *testing.T, data []byte) {
		dir := t.TempDir()
		res, err := indexer.Index(bytes.NewReader(data), dir, indexer.Options{Format: object.SHA1})
		if err != nil {
			if l := leftovers(t, dir); len(l) != 0 {
				t.Fatalf("rejected pack left files: %v (%v)", l, err)
			}
			return
		}
		p, err := pack.Open(res.PackPath, res.IdxPath, object.SHA1)
		if err != nil {
			t.Fatalf("accepted pack does not open: %v", err)
		}
		defer p.Close()
		for i := 0; i < p.Idx.Count(); i++ {
			typ, body, err := p.ReadAt(p.Idx.Offset(i), nil)
			if err != nil || object.Sum(object.SHA1, typ, body) != p.Idx.Hash(i) {
				t.Fatalf("object %d of an accepted pack does not read back: %v", i, err)
			}
		}
	})
}
