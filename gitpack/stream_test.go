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
