package indexer_test

import (
	"bytes"
	"compress/zlib"
	"crypto/sha1"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
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
	tree, _ := deltaTreePack(f)
	f.Add(tree)
	f.Add([]byte("PACK\x00\x00\x00\x02\x00\x00\x00\x00"))
	// Crafted hostile packs (hostile_test.go): a delta declaring 1 GiB; chains with
	// leaves and forked branches, OFS and REF.
	f.Add(lyingDeltaPack(1 << 30))
	for _, sh := range []shape{{side: 1}, {side: 1, refChain: true}, {side: 2, fork: true, refSide: true}} {
		data, _ := shapedPack(sh, 64, 12)
		f.Add(data)
	}
	for _, p := range craftedLinkPacks(f) {
		f.Add(p.data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		dir := t.TempDir()
		res, err := indexer.Index(bytes.NewReader(data), dir, indexer.Options{Format: object.SHA1, Links: true})
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
		types := map[object.Hash]object.Type{}
		bodies := map[object.Hash][]byte{}
		for i := 0; i < p.Idx.Count(); i++ {
			typ, body, err := p.ReadAt(p.Idx.Offset(i), nil)
			if err != nil || object.Sum(object.SHA1, typ, body) != p.Idx.Hash(i) {
				t.Fatalf("object %d of an accepted pack does not read back: %v", i, err)
			}
			types[p.Idx.Hash(i)] = typ
			if typ != object.Blob {
				bodies[p.Idx.Hash(i)] = body
			}
		}
		if res.SelfContained {
			// Every link, found the slow way, must be in the pack.
			for id, body := range bodies {
				for _, l := range naiveLinks(t, types[id], body) {
					if types[l.id] != l.t {
						t.Fatalf("self-contained, but %s %s names %s %s, which the pack has as %v", types[id], id, l.t, l.id, types[l.id])
					}
				}
			}
		}
	})
}

type naiveLink struct {
	id object.Hash
	t  object.Type
}

// naiveLinks parses what a commit, tree or tag names, plainly, for FuzzIndex's check of
// Options.Links; it fails the test on what Links would have had to give up on.
func naiveLinks(t *testing.T, typ object.Type, body []byte) []naiveLink {
	var out []naiveLink
	switch typ {
	case object.Tree:
		for len(body) > 0 {
			sp := bytes.IndexByte(body, ' ')
			nul := bytes.IndexByte(body, 0)
			if sp <= 0 || nul < sp+2 || nul+21 > len(body) {
				t.Fatalf("self-contained, but a tree does not parse")
			}
			mode, err := strconv.ParseUint(string(body[:sp]), 8, 32)
			if err != nil {
				t.Fatalf("self-contained, but a tree has mode %q", body[:sp])
			}
			id, _ := object.FromBytes(body[nul+1 : nul+21])
			switch mode & 0o170000 {
			case 0o160000:
			case 0o040000:
				out = append(out, naiveLink{id, object.Tree})
			default:
				out = append(out, naiveLink{id, object.Blob})
			}
			body = body[nul+21:]
		}
	case object.Commit, object.Tag:
		for _, line := range strings.Split(string(body), "\n") {
			k, v, _ := strings.Cut(line, " ")
			switch {
			case typ == object.Commit && k == "tree":
				id, _ := object.ParseHash(v)
				out = append(out, naiveLink{id, object.Tree})
			case typ == object.Commit && k == "parent":
				id, _ := object.ParseHash(v)
				out = append(out, naiveLink{id, object.Commit})
			case typ == object.Tag && k == "object":
				id, _ := object.ParseHash(v)
				tt, _ := object.ParseType(strings.TrimPrefix(strings.SplitN(string(body), "\n", 3)[1], "type "))
				out = append(out, naiveLink{id, tt})
			}
			if line == "" {
				return out
			}
		}
	}
	return out
}

// deltaTreePack is a pack whose deltas branch at several depths, with OFS and REF deltas
// mixed, and the ids of its objects.
func deltaTreePack(t testing.TB) ([]byte, []object.Hash) {
	type obj struct {
		parent int // -1: a whole object
		ref    bool
		suffix string
	}
	objs := []obj{
		{-1, false, strings.Repeat("root A\n", 3000)}, // 0
		{0, false, "B\n"}, // 1: OFS on A
		{0, true, "C\n"},  // 2: REF on A
		{1, false, "D\n"}, // 3: OFS on B
		{1, false, "E\n"}, // 4: OFS on B
		{3, true, "F\n"},  // 5: REF on D
		{2, false, "G\n"}, // 6: OFS on C
		{-1, false, strings.Repeat("root H\n", 2000)}, // 7
		{7, false, "I\n"}, // 8
		{8, true, "J\n"},  // 9
		{3, false, "K\n"}, // 10: OFS on D
	}
	content := make([][]byte, len(objs))
	ids := make([]object.Hash, len(objs))
	offs := make([]int, len(objs))
	var b bytes.Buffer
	b.WriteString("PACK\x00\x00\x00\x02")
	binary.Write(&b, binary.BigEndian, uint32(len(objs)))
	for i, o := range objs {
		var data []byte
		offs[i] = b.Len()
		if o.parent < 0 {
			content[i] = []byte(o.suffix)
			data = content[i]
			b.Write(pack.AppendEntryHeader(nil, object.Blob, int64(len(data))))
		} else {
			base := content[o.parent]
			content[i] = append(bytes.Clone(base), o.suffix...)
			data = packer.Delta(base, content[i], 0)
			if o.ref {
				b.Write(pack.AppendEntryHeader(nil, object.RefDelta, int64(len(data))))
				b.Write(ids[o.parent].Bytes())
			} else {
				b.Write(pack.AppendEntryHeader(nil, object.OfsDelta, int64(len(data))))
				b.Write(pack.AppendOfsDistance(nil, int64(offs[i]-offs[o.parent])))
			}
		}
		ids[i] = object.Sum(object.SHA1, object.Blob, content[i])
		zw := zlib.NewWriter(&b)
		zw.Write(data)
		zw.Close()
	}
	sum := sha1.Sum(b.Bytes())
	b.Write(sum[:])
	return b.Bytes(), ids
}

// TestIndexBaseBudget resolves a branching delta tree with room for no base at all
// beyond the newest one waiting for later children (TestIndexRebuildsBases has a tree
// whose bases are let go and rebuilt). The index must equal the one made with the
// default budget.
func TestIndexBaseBudget(t *testing.T) {
	data, ids := deltaTreePack(t)
	var idx [][]byte
	for _, opt := range []indexer.Options{
		{Format: object.SHA1},
		{Format: object.SHA1, BaseBudget: 1, Threads: 1},
		{Format: object.SHA1, BaseBudget: 30000, Threads: 2},
	} {
		dir := t.TempDir()
		res, err := indexer.Index(bytes.NewReader(data), dir, opt)
		if err != nil {
			t.Fatalf("budget %d: %v", opt.BaseBudget, err)
		}
		p, err := pack.Open(res.PackPath, res.IdxPath, object.SHA1)
		if err != nil {
			t.Fatal(err)
		}
		for _, h := range ids {
			typ, body, err := p.Read(h, nil)
			if err != nil || object.Sum(object.SHA1, typ, body) != h {
				t.Fatalf("budget %d: %s does not read back: %v", opt.BaseBudget, h, err)
			}
		}
		p.Close()
		b, err := os.ReadFile(res.IdxPath)
		if err != nil {
			t.Fatal(err)
		}
		idx = append(idx, b)
	}
	for i := 1; i < len(idx); i++ {
		if !bytes.Equal(idx[0], idx[i]) {
			t.Fatalf("index %d differs from the default budget's", i)
		}
	}
}
