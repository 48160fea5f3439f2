package object

import (
	"crypto/sha256"
	"testing"
)

func TestSetMatchesMap(t *testing.T) {
	for _, size := range []int{20, 32} {
		s := NewSet(0)
		m := map[Hash]bool{}
		for i := range 20000 {
			sum := sha256.Sum256([]byte{byte(i), byte(i >> 8), byte(i % 7)})
			h, _ := FromBytes(sum[:size])
			if got, want := s.Add(h), !m[h]; got != want {
				t.Fatalf("%d-byte ids: Add #%d = %v, want %v", size, i, got, want)
			}
			m[h] = true
		}
		if s.Len() != len(m) {
			t.Fatalf("Len = %d, want %d", s.Len(), len(m))
		}
		for h := range m {
			if !s.Has(h) {
				t.Fatalf("lost %s", h)
			}
		}
		absent, _ := FromBytes(make([]byte, size))
		absent.b[3] = 1
		if s.Has(absent) || s.Add(Hash{}) || s.Add(SHA1.Zero()) {
			t.Fatal("an absent, zero or null id reported present or added")
		}
	}
}
