package packer

import (
	"bytes"
	"math/rand/v2"
	"testing"

	"git-remote-object-store/gitpack/pack"
)

func TestDeltaRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	rnd := func(n int) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(r.IntN(256))
		}
		return b
	}
	base := rnd(200000)
	cases := map[string][]byte{
		"identical":     base,
		"append":        append(bytes.Clone(base), rnd(1000)...),
		"prepend":       append(rnd(300), base...),
		"middle edit":   append(append(bytes.Clone(base[:100000]), rnd(50)...), base[100050:]...),
		"shuffled":      append(bytes.Clone(base[150000:]), base[:150000]...),
		"unrelated":     rnd(5000),
		"tiny":          []byte("x"),
		"repeated text": bytes.Repeat([]byte("line of text\n"), 1000),
	}
	for name, target := range cases {
		d := Delta(base, target, 0)
		got, err := pack.ApplyDelta(base, d)
		if err != nil || !bytes.Equal(got, target) {
			t.Fatalf("%s: round trip failed: %v", name, err)
		}
		if name == "middle edit" && len(d) > 2000 {
			t.Fatalf("a 50-byte edit of 200 kB gave a %d-byte delta", len(d))
		}
	}
	if d := Delta(base, rnd(5000), 100); d != nil {
		t.Fatalf("maxSize ignored: %d bytes", len(d))
	}
}

func FuzzDelta(f *testing.F) {
	f.Add([]byte("the quick brown fox jumps over the lazy dog, again and again"), []byte("the quick brown cat jumps over the lazy dog, again"))
	f.Fuzz(func(t *testing.T, base, target []byte) {
		d := Delta(base, target, 0)
		if d == nil {
			if len(base) >= blockSize && len(target) > 0 {
				t.Fatalf("no delta for a %d-byte base and %d-byte target", len(base), len(target))
			}
			return
		}
		got, err := pack.ApplyDelta(base, d)
		if err != nil || !bytes.Equal(got, target) {
			t.Fatalf("apply(diff(a,b)) != b: %v", err)
		}
	})
}
