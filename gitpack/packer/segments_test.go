package packer

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"git-remote-object-store/gitpack/object"
)

func TestSegments(t *testing.T) {
	defer func(m int) { minSegment = m }(minSegment)
	minSegment = 4
	c := func(typ object.Type, hash uint32) candidate { return candidate{typ: typ, hash: hash} }
	for _, tc := range []struct {
		name  string
		cands []candidate
		want  []int // segment lengths
	}{
		{"too few to cut", []candidate{c(3, 1), c(3, 2), c(3, 3)}, []int{3}},
		{"even", []candidate{c(3, 1), c(3, 2), c(3, 3), c(3, 4), c(3, 5), c(3, 6), c(3, 7), c(3, 8)}, []int{4, 4}},
		{"boundary moves past one name", []candidate{c(3, 1), c(3, 2), c(3, 2), c(3, 2), c(3, 2), c(3, 2), c(3, 7), c(3, 8)}, []int{6, 2}},
		{"one name throughout", []candidate{c(3, 1), c(3, 1), c(3, 1), c(3, 1), c(3, 1), c(3, 1), c(3, 1), c(3, 1)}, []int{8}},
		{"types apart", []candidate{c(2, 5), c(2, 5), c(2, 5), c(2, 5), c(3, 5), c(3, 5), c(3, 5), c(3, 5)}, []int{4, 4}},
	} {
		var got []int
		total := 0
		for _, sg := range segments(tc.cands) {
			got = append(got, len(sg))
			total += len(sg)
		}
		if fmt.Sprint(got) != fmt.Sprint(tc.want) || total != len(tc.cands) {
			t.Errorf("%s: segments of %v, want %v", tc.name, got, tc.want)
		}
	}
}

// TestSearchInSegments packs many versions of several files with the delta search cut
// into many segments searched at once: the pack is the same bytes every time, git
// index-pack --strict accepts it, and it is mostly deltas. Run with -race.
func TestSearchInSegments(t *testing.T) {
	defer func(m int) { minSegment = m }(minSegment)
	minSegment = 8
	src := statSource{}
	var objs []Object
	for f := range 6 {
		s, o := versions(40)
		for h, v := range s {
			v.b = append([]byte(fmt.Sprintf("file %d\n", f)), v.b...)
			h = object.Sum(object.SHA1, object.Blob, v.b)
			src[h] = v
		}
		for i := range o {
			o[i].Hash = object.Sum(object.SHA1, object.Blob, append([]byte(fmt.Sprintf("file %d\n", f)), s[o[i].Hash].b...))
			o[i].NameHash = NameHash(fmt.Sprintf("dir/file%d.txt", f))
		}
		objs = append(objs, o...)
	}
	var first []byte
	for range 3 {
		var b bytes.Buffer
		res, err := Write(&b, src, objs, Options{Format: object.SHA1})
		if err != nil {
			t.Fatal(err)
		}
		if res.Deltas < int64(len(objs))/2 {
			t.Fatalf("%d deltas of %d objects", res.Deltas, len(objs))
		}
		if first == nil {
			first = b.Bytes()
		} else if !bytes.Equal(first, b.Bytes()) {
			t.Fatal("the same objects made different packs")
		}
	}
	git, err := exec.LookPath("git")
	if err != nil {
		t.Skip("no git")
	}
	p := filepath.Join(t.TempDir(), "p.pack")
	os.WriteFile(p, first, 0o644)
	if out, err := exec.Command(git, "index-pack", "--strict", p).CombinedOutput(); err != nil {
		t.Fatalf("git index-pack: %v\n%s", err, out)
	}
}
