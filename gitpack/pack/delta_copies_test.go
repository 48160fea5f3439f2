package pack

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestAppendCopies(t *testing.T) {
	base := []byte("0123456789")
	// Sizes 10 -> 15; copy base[2:7], insert "abc", copy base[0:7].
	delta := []byte{10, 15, 0x80 | 0x01 | 0x10, 2, 5, 3, 'a', 'b', 'c', 0x80 | 0x10, 7}
	out, err := ApplyDelta(base, delta)
	if err != nil || string(out) != "23456abc0123456" {
		t.Fatalf("the test's delta: %q, %v", out, err)
	}
	for _, c := range []struct {
		name  string
		delta []byte
		want  []Copy
	}{
		{"whole", delta, []Copy{{Out: 0, Src: 2, Size: 5}, {Out: 8, Src: 0, Size: 7}}},
		{"truncated copy", delta[:len(delta)-1], []Copy{{Out: 0, Src: 2, Size: 5}}},
		{"opcode 0", append(delta[:5:5], 0, 1), []Copy{{Out: 0, Src: 2, Size: 5}}},
		{"no sizes", []byte{0x80}, nil},
	} {
		if got := AppendCopies(nil, c.delta); !cmp.Equal(got, c.want) {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
}
