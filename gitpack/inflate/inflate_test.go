package inflate

import (
	"bytes"
	"compress/zlib"
	"errors"
	"fmt"
	"io"
	"math/rand"
	"testing"
)

func deflate(t testing.TB, data []byte, level int) []byte {
	var b bytes.Buffer
	zw, err := zlib.NewWriterLevel(&b, level)
	if err != nil {
		t.Fatal(err)
	}
	zw.Write(data)
	zw.Close()
	return b.Bytes()
}

// samples covers every block type: stored (level 0, and incompressible data), fixed
// (short inputs), dynamic (longer text), long back-references and overlapping ones.
func samples() [][]byte {
	rng := rand.New(rand.NewSource(1))
	random := make([]byte, 70000)
	rng.Read(random)
	var text bytes.Buffer
	for i := range 3000 {
		fmt.Fprintf(&text, "100644 file%d.go\x00%x\n", i%97, i*7919)
	}
	return [][]byte{
		{},
		[]byte("a"),
		[]byte("hello, hello, hello, hello"),
		bytes.Repeat([]byte{'x'}, 100000),
		random,
		text.Bytes(),
		append(random[:5000:5000], text.Bytes()...),
	}
}

func TestZlibMatchesCompressZlib(t *testing.T) {
	for i, data := range samples() {
		for _, level := range []int{0, 1, 6, 9, zlib.HuffmanOnly} {
			z := deflate(t, data, level)
			trailing := append(bytes.Clone(z), "next entry"...)
			out := make([]byte, len(data))
			n, err := Zlib(out, trailing)
			if err != nil {
				t.Fatalf("sample %d level %d: %v", i, level, err)
			}
			if n != len(z) || !bytes.Equal(out, data) {
				t.Fatalf("sample %d level %d: consumed %d of %d, equal %v", i, level, n, len(z), bytes.Equal(out, data))
			}
		}
	}
}

func TestZlibRejects(t *testing.T) {
	data := samples()[5]
	z := deflate(t, data, 6)
	cases := map[string]struct {
		src  []byte
		size int
	}{
		"truncated":     {z[:len(z)/2], len(data)},
		"no trailer":    {z[:len(z)-4], len(data)},
		"bad checksum":  {append(bytes.Clone(z[:len(z)-1]), z[len(z)-1]^1), len(data)},
		"flipped bit":   {func() []byte { b := bytes.Clone(z); b[len(b)/2] ^= 4; return b }(), len(data)},
		"too small dst": {z, len(data) - 1},
		"too large dst": {z, len(data) + 1},
		"bad header":    {append([]byte{0x78, 0x00}, z[2:]...), len(data)},
		"empty":         {nil, 0},
	}
	for name, c := range cases {
		if _, err := Zlib(make([]byte, c.size), c.src); !errors.Is(err, ErrCorrupt) {
			t.Errorf("%s: err %v", name, err)
		}
	}
}

// FuzzZlib checks Zlib against compress/zlib on streams both accept, and that it never
// accepts what compress/zlib rejects.
func FuzzZlib(f *testing.F) {
	for _, data := range samples() {
		f.Add(deflate(f, data, 6))
		f.Add(deflate(f, data[:min(len(data), 300)], 1))
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		zr, err := zlib.NewReader(bytes.NewReader(src))
		var want []byte
		if err == nil {
			want, err = io.ReadAll(io.LimitReader(zr, 1<<20+1))
		}
		if len(want) > 1<<20 {
			return // larger than this test inflates
		}
		size := len(want)
		if err != nil {
			size = len(src) * 4
		}
		out := make([]byte, size)
		_, gerr := Zlib(out, src)
		if err != nil {
			if gerr == nil {
				t.Fatalf("accepted a stream compress/zlib rejects (%v)", err)
			}
			return
		}
		if gerr != nil {
			t.Fatalf("rejected a stream compress/zlib accepts: %v", gerr)
		}
		if !bytes.Equal(out, want) {
			t.Fatal("inflated differently from compress/zlib")
		}
	})
}

func BenchmarkZlib(b *testing.B) {
	data := samples()[5][:20000]
	z := deflate(b, data, 6)
	out := make([]byte, len(data))
	b.SetBytes(int64(len(data)))
	b.Run("inflate", func(b *testing.B) {
		for b.Loop() {
			if _, err := Zlib(out, z); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("compress-zlib", func(b *testing.B) {
		for b.Loop() {
			zr, _ := zlib.NewReader(bytes.NewReader(z))
			io.ReadFull(zr, out)
		}
	})
}

// FuzzZlibPrefix checks ZlibPrefix against compress/zlib: on a stream it accepts, any
// prefix of the output comes out the same (and the whole output, when dst has room).
func FuzzZlibPrefix(f *testing.F) {
	for _, data := range samples() {
		f.Add(deflate(f, data, 6), uint16(10))
		f.Add(deflate(f, data[:min(len(data), 300)], 0), uint16(1000))
	}
	f.Fuzz(func(t *testing.T, src []byte, n uint16) {
		dst := make([]byte, n)
		got, gerr := ZlibPrefix(dst, src)
		zr, err := zlib.NewReader(bytes.NewReader(src))
		var want []byte
		if err == nil {
			want, err = io.ReadAll(io.LimitReader(zr, 1<<20+1))
		}
		if err != nil || len(want) > 1<<20 {
			return // no constraint on what is not a stream, beyond not crashing
		}
		if gerr != nil {
			t.Fatalf("rejected a stream compress/zlib accepts: %v", gerr)
		}
		if w := min(int(n), len(want)); got != w || !bytes.Equal(dst[:got], want[:w]) {
			t.Fatalf("%d bytes, want %d, or different bytes", got, w)
		}
	})
}

// TestZlibMatchCopies: back-references of every kind the copy loop tells apart (within
// or overlapping the bytes they repeat, short and long, up to the last byte of dst)
// come out as compress/zlib makes them.
func TestZlibMatchCopies(t *testing.T) {
	rng := rand.New(rand.NewSource(34))
	for _, back := range []int{1, 2, 3, 7, 8, 9, 15, 16, 17, 64, 300} {
		for _, n := range []int{3, 7, 8, 9, 15, 16, 17, 64, 258} {
			t.Run(fmt.Sprintf("back %d length %d", back, n), func(t *testing.T) {
				var data []byte
				for range 3 { // in the middle, then ending the stream
					chunk := make([]byte, back)
					for i := range chunk {
						chunk[i] = byte(rng.Intn(256))
					}
					data = append(data, chunk...)
					for range n {
						data = append(data, data[len(data)-back])
					}
				}
				out := make([]byte, len(data))
				if _, err := Zlib(out, deflate(t, data, 9)); err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(out, data) {
					t.Fatal("inflated differently")
				}
			})
		}
	}
}

// TestZlibPrefixEndsInMatch: a prefix that ends inside the stream's last match, just
// before its end-of-block, is the start of the output, not a damaged stream (whose
// checksum, over the cut output, would not match), whether the match is decoded with
// room to spare in the input or at its very end.
func TestZlibPrefixEndsInMatch(t *testing.T) {
	rng := rand.New(rand.NewSource(7))
	data := make([]byte, 40)
	rng.Read(data)
	for range 200 {
		data = append(data, data[len(data)-40])
	}
	z := deflate(t, data, 9)
	for _, src := range [][]byte{z, append(bytes.Clone(z), "the next entry of the pack"...)} {
		for _, cut := range []int{1, 5, 100} {
			dst := make([]byte, len(data)-cut)
			n, err := ZlibPrefix(dst, src)
			if err != nil || n != len(dst) || !bytes.Equal(dst, data[:len(dst)]) {
				t.Fatalf("cut %d, %d bytes of input: %d bytes, %v", cut, len(src), n, err)
			}
		}
	}
}
