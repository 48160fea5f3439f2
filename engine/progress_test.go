package engine

import (
	"bytes"
	"io"
	"strings"
	"testing"
)

func TestCountingReaderPrintsDoneOnceAndPassesBytesThrough(t *testing.T) {
	var out bytes.Buffer
	src := strings.Repeat("x", 3<<20)
	r := CountingReader(strings.NewReader(src), &out, "Receiving pack", int64(len(src)))
	got, err := io.ReadAll(r)
	if err != nil || string(got) != src {
		t.Fatalf("read %d bytes, err %v", len(got), err)
	}
	if n := strings.Count(out.String(), ", done.\n"); n != 1 {
		t.Fatalf("%d done lines in %q", n, out.String())
	}
	if !strings.Contains(out.String(), "Receiving pack: 100% (3.00 MiB/3.00 MiB)") {
		t.Fatalf("final progress line missing: %q", out.String())
	}
}

func TestCountingReaderWithoutProgressIsTheSameReader(t *testing.T) {
	r := strings.NewReader("abc")
	if CountingReader(r, nil, "x", 3) != io.Reader(r) {
		t.Fatal("a nil progress writer must not wrap the reader")
	}
	var m *Meter
	m.Add(1) // a nil meter is valid
	m.Done()
}

func TestCounterFormat(t *testing.T) {
	var out bytes.Buffer
	c := NewCounter(&out, "Counting objects", 4)
	c.Add(4)
	c.Done()
	if !strings.HasSuffix(out.String(), "Counting objects: 100% (4/4), done.\n") {
		t.Fatalf("got %q", out.String())
	}
}
