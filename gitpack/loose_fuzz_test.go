package gitpack

import (
	"strconv"
	"strings"
	"testing"
)

// FuzzLooseHeader checks parseLooseHeader against a plain reading of "<type> <size>\0":
// whatever it accepts is a known type's name, a size that reads as that number, and a
// length that ends at the NUL.
func FuzzLooseHeader(f *testing.F) {
	for _, s := range []string{"blob 17\x00x", "tree 0\x00", "commit 123", "blub 1\x00", "blob -1\x00", "blob 1 2\x00", ""} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		typ, size, n, ok := parseLooseHeader(b)
		if !ok {
			return
		}
		name, num, _ := strings.Cut(string(b[:n-1]), " ")
		if v, err := strconv.ParseInt(num, 10, 64); b[n-1] != 0 || typ.String() != name || err != nil || v != size || size < 0 {
			t.Fatalf("%q: accepted as %v %d (%d bytes)", b, typ, size, n)
		}
	})
}
