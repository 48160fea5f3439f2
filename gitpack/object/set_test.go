package object

import (
	"crypto/sha256"
	"testing"
)

func TestSetMatchesMap(t *testing.T) {
	s := NewSet(0)
	m := map[Hash]bool{}
	for i := range 20000 {
		sum := sha256.Sum256([]byte{byte(i), byte(i >> 8), byte(i % 7)})
		raw := sum[:20]
		if i%3 == 0 {
			raw = sum[:]
		}
		h, _ := FromBytes(raw)
		if got, want := s.Add(h), !m[h]; got != want {
			t.Fatalf("Add #%d = %v, want %v", i, got, want)
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
	other, _ := FromBytes(make([]byte, 20))
	other.b[0] = 1
	if s.Has(other) != m[other] {
		t.Fatal("Has of an absent id")
	}
}
