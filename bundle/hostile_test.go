package bundle

import (
	"bufio"
	"bytes"
	"compress/zlib"
	"crypto/sha1"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"runtime"
	"strings"
	"testing"

	"git-remote-object-store/engine"
	"git-remote-object-store/gitpack"
	"git-remote-object-store/gitpack/object"
	"git-remote-object-store/gitpack/pack"
	"git-remote-object-store/store"
	"git-remote-object-store/store/fs"
)

// lyingDeltaBundle is a 16.5 KB bundle of refs/heads/main whose pack holds a 5-byte blob
// and an OFS delta on it declaring a target of declared bytes, though its instructions
// only insert 16 KiB of incompressible bytes.
func lyingDeltaBundle(t testing.TB, declared int64) (object.Hash, []byte) {
	t.Helper()
	var p bytes.Buffer
	p.WriteString("PACK\x00\x00\x00\x02\x00\x00\x00\x02")
	zw := zlib.NewWriter(nil)
	entry := func(head, data []byte) {
		p.Write(head)
		zw.Reset(&p)
		zw.Write(data)
		zw.Close()
	}
	entry(pack.AppendEntryHeader(nil, object.Blob, 5), []byte("hello"))
	d := binary.AppendUvarint(binary.AppendUvarint(nil, 5), uint64(declared))
	x := uint32(2463534242)
	for range 129 {
		d = append(d, 127)
		for range 127 {
			x ^= x << 13
			x ^= x >> 17
			x ^= x << 5
			d = append(d, byte(x))
		}
	}
	off := int64(p.Len())
	entry(pack.AppendOfsDistance(pack.AppendEntryHeader(nil, object.OfsDelta, int64(len(d))), off-12), d)
	sum := sha1.Sum(p.Bytes())
	p.Write(sum[:])
	tip := object.Sum(object.SHA1, object.Commit, []byte("made up"))
	var b bytes.Buffer
	if err := WriteHeader(&b, &Header{Version: 2, Format: object.SHA1, Refs: []Ref{{Hash: tip, Name: "refs/heads/main"}}}); err != nil {
		t.Fatal(err)
	}
	b.Write(p.Bytes())
	return tip, b.Bytes()
}

// TestFetchLyingDeltaBundle: fetching a bundle whose delta declares a 1 GiB target it
// never produces fails fast, with the allocations of the whole fetch (header, pack
// received and indexed) far below the declared size.
func TestFetchLyingDeltaBundle(t *testing.T) {
	tip, data := lyingDeltaBundle(t, 1<<30)
	st, err := fs.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	key := "refs/heads/main/" + tip.String() + bundleSuffix
	if _, err := st.Put(ctx, key, bytes.NewReader(data), int64(len(data)), store.Cond{}); err != nil {
		t.Fatal(err)
	}
	repo, err := gitpack.InitBare(t.TempDir(), object.SHA1)
	if err != nil {
		t.Fatal(err)
	}
	defer repo.Close()
	e := New(engine.Config{Store: st, Repo: repo})
	alloc := allocated(func() {
		err = e.Fetch(ctx, []engine.Ref{{Name: "refs/heads/main", Hash: tip}}, engine.Options{})
	})
	if !errors.Is(err, pack.ErrCorrupt) {
		t.Fatalf("err %v, want pack.ErrCorrupt", err)
	}
	if alloc > 64<<20 {
		t.Fatalf("fetching a %d-byte bundle allocated %d MiB", len(data), alloc>>20)
	}
	t.Logf("%d-byte bundle: %v (%d KiB allocated)", len(data), err, alloc>>10)
}

// hugeHeader streams a v2 bundle header of n ref lines of about 240 bytes each, made as
// they are read (the test holds none of it).
type hugeHeader struct {
	n, i, read int
	line       []byte
	pending    []byte
}

func newHugeHeader(n int) *hugeHeader {
	return &hugeHeader{n: n, pending: []byte("# v2 git bundle\n")}
}

func (h *hugeHeader) Read(p []byte) (int, error) {
	if len(h.pending) == 0 {
		if h.i == h.n {
			return 0, io.EOF
		}
		h.line = fmt.Appendf(h.line[:0], "%040x refs/heads/", h.i) // (fmt pads wide fields through a fresh buffer)
		h.line = append(h.line, strings.Repeat("0", 190)...)
		h.line = fmt.Appendf(h.line, "%010d\n", h.i)
		if h.i++; h.i == h.n {
			h.line = append(h.line, '\n')
		}
		h.pending = h.line
	}
	k := copy(p, h.pending)
	h.pending = h.pending[k:]
	h.read += k
	return k, nil
}

// TestReadHeaderTooLarge: a 240 MB header (a million refs of 240 bytes, all within the
// line limit) is refused once it passes MaxHeaderBytes, having read and allocated no
// more than about that much.
func TestReadHeaderTooLarge(t *testing.T) {
	src := newHugeHeader(1_000_000)
	var err error
	alloc := allocated(func() { _, err = ReadHeader(bufio.NewReaderSize(src, 64<<10)) })
	if !errors.Is(err, ErrTooLarge) {
		t.Fatalf("err %v, want ErrTooLarge", err)
	}
	if src.read > MaxHeaderBytes+2*MaxLineLen {
		t.Fatalf("read %d bytes of header before refusing it", src.read)
	}
	if alloc > 4*MaxHeaderBytes {
		t.Fatalf("allocated %d MiB for the header", alloc>>20)
	}
	t.Logf("%v after %d bytes (%d MiB allocated)", err, src.read, alloc>>20)
	// A header just within the limits is read.
	h, err := ReadHeader(bufio.NewReader(newHugeHeader((MaxHeaderBytes - 100) / 254)))
	if err != nil || len(h.Refs) != (MaxHeaderBytes-100)/254 {
		t.Fatalf("a header within the limits: %v", err)
	}
}

func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}
