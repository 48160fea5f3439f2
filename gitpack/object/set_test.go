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

// TestSetNearIds: ids that differ in one byte only, anywhere (those past the first 8
// land in the same slot and probe on), are told apart.
func TestSetNearIds(t *testing.T) {
	for _, size := range []int{20, 32} {
		s := NewSet(0)
		base := make([]byte, size)
		for i := range base {
			base[i] = byte(0x11 * (i%15 + 1))
		}
		var added []Hash
		for pos := 0; pos < size; pos++ {
			for _, bit := range []byte{1, 0x80} {
				raw := append([]byte(nil), base...)
				raw[pos] ^= bit
				h, _ := FromBytes(raw)
				if !s.Add(h) {
					t.Fatalf("%d-byte ids: differing at byte %d only, reported present", size, pos)
				}
				added = append(added, h)
			}
		}
		for _, h := range added {
			if s.Add(h) || !s.Has(h) {
				t.Fatalf("%d-byte ids: %s added twice or lost", size, h)
			}
		}
		if b, _ := FromBytes(base); s.Has(b) {
			t.Fatal("the id they all differ from is reported present")
		}
	}
}
