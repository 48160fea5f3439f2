package gitpack_test

import (
	"bytes"
	"compress/zlib"
	"crypto/sha1"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"git-remote-object-store/gitpack"
	"git-remote-object-store/gitpack/object"
	"git-remote-object-store/internal/testenv"
)

// A blob far larger than the buffers is streamed, loose and packed, and packing it does
// not allocate its size.
func TestLargeBlobIsStreamed(t *testing.T) {
	const size = 48 << 20
	dir := t.TempDir()
	testenv.RunGit(t, dir, "init", "-q", "-b", "main", ".")
	f, err := os.Create(filepath.Join(dir, "big.bin"))
	if err != nil {
		t.Fatal(err)
	}
	io.CopyN(f, rand.NewChaCha8([32]byte{9}), size)
	f.Close()
	testenv.RunGit(t, dir, "add", "big.bin")
	testenv.RunGit(t, dir, "commit", "-q", "-m", "big")
	blobID := testenv.RunGit(t, dir, "rev-parse", "HEAD:big.bin")

	for _, stage := range []string{"loose", "packed"} {
		if stage == "packed" {
			testenv.RunGit(t, dir, "repack", "-adq")
		}
		r := open(t, dir)
		h, _ := object.ParseHash(blobID)
		typ, n, rc, err := r.Open(h)
		if err != nil || typ != object.Blob || n != size {
			t.Fatalf("%s: Open = %v %d %v", stage, typ, n, err)
		}
		sum := sha1.New()
		fmt.Fprintf(sum, "blob %d\x00", size)
		if _, err := io.Copy(sum, rc); err != nil {
			t.Fatalf("%s: reading the stream: %v", stage, err)
		}
		rc.Close()
		if got, _ := object.FromBytes(sum.Sum(nil)); got != h {
			t.Fatalf("%s: streamed content hashes to %s", stage, got)
		}

		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		var out countingDiscard
		head, _ := object.ParseHash(testenv.RunGit(t, dir, "rev-parse", "HEAD"))
		if _, err := r.WritePack(&out, []object.Hash{head}, nil, gitpack.PackOptions{}); err != nil {
			t.Fatal(err)
		}
		runtime.ReadMemStats(&after)
		if alloc := after.TotalAlloc - before.TotalAlloc; alloc > size/2 {
			t.Fatalf("%s: packing a %d-byte blob allocated %d bytes", stage, size, alloc)
		}
		if out.n < size/2 {
			t.Fatalf("%s: the pack is only %d bytes", stage, out.n)
		}
	}
}

type countingDiscard struct{ n int64 }

func (c *countingDiscard) Write(p []byte) (int, error) { c.n += int64(len(p)); return len(p), nil }

// A loose object whose content is not what its name says fails at the end of the stream.
func TestStreamOfDamagedLooseObject(t *testing.T) {
	dir := t.TempDir()
	testenv.RunGit(t, dir, "init", "-q", "-b", "main", ".")
	id := testenv.RunGitInput(t, dir, []byte("the real content\n"), "hash-object", "-w", "--stdin")
	var buf bytes.Buffer
	zw := zlib.NewWriter(&buf)
	fmt.Fprintf(zw, "blob 17\x00THE FAKE CONTENT\n")
	zw.Close()
	path := filepath.Join(dir, ".git", "objects", id[:2], id[2:])
	os.Chmod(path, 0o644)
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	r := open(t, dir)
	h, _ := object.ParseHash(id)
	_, _, rc, err := r.Open(h)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	if _, err := io.ReadAll(rc); err == nil || !strings.Contains(err.Error(), "does not match") {
		t.Fatalf("reading a damaged loose object: %v", err)
	}
}

// TestReadLooseObject reads one blob from loose files written in several ways: as git
// writes it, stored, flushed in pieces, and behind more empty stored blocks than the
// header's look-ahead covers (read through the streaming fallback); and refuses damaged
// ones.
func TestReadLooseObject(t *testing.T) {
	dir := t.TempDir()
	testenv.RunGit(t, dir, "init", "-q", "-b", "main", ".")
	content := "the real content\n"
	id := testenv.RunGitInput(t, dir, []byte(content), "hash-object", "-w", "--stdin")
	path := filepath.Join(dir, ".git", "objects", id[:2], id[2:])
	gits, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	deflated := func(level int, pieces ...string) []byte {
		var buf bytes.Buffer
		zw, _ := zlib.NewWriterLevel(&buf, level)
		for _, p := range pieces {
			io.WriteString(zw, p)
			zw.Flush()
		}
		zw.Close()
		return buf.Bytes()
	}
	whole := "blob 17\x00" + content
	// Empty stored blocks first: zlib header, 200 x (BFINAL=0 BTYPE=00, LEN 0, NLEN
	// ffff), then the rest as git wrote it, minus its zlib header.
	padded := []byte{0x78, 0x01}
	for range 200 {
		padded = append(padded, 0, 0, 0, 0xff, 0xff)
	}
	padded = append(padded, deflated(0, whole)[2:]...)
	for _, c := range []struct {
		name string
		file []byte
		err  string
	}{
		{"as git writes it", gits, ""},
		{"stored", deflated(0, whole), ""},
		{"in pieces", deflated(9, "blob", " 17\x00the ", "real content\n"), ""},
		{"padded", padded, ""},
		{"other content", deflated(6, "blob 17\x00THE FAKE CONTENT\n"), "does not match"},
		{"bad header", deflated(6, "blub 17\x00"+content), "header"},
		{"truncated", gits[:len(gits)-6], "loose object"},
		{"not zlib", []byte("blob 17\x00" + content), "loose object"},
	} {
		t.Run(c.name, func(t *testing.T) {
			os.Chmod(path, 0o644)
			if err := os.WriteFile(path, c.file, 0o644); err != nil {
				t.Fatal(err)
			}
			r := open(t, dir)
			h, _ := object.ParseHash(id)
			typ, data, err := r.Read(h)
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("Read: %v, want an error saying %q", err, c.err)
				}
				return
			}
			if err != nil || typ != object.Blob || string(data) != content {
				t.Fatalf("Read: %v %q %v", typ, data, err)
			}
			if typ, size, err := r.Stat(h); err != nil || typ != object.Blob || size != 17 {
				t.Fatalf("Stat: %v %d %v", typ, size, err)
			}
		})
	}
}
