package indexer_test

import (
	"bytes"
	"encoding/binary"
	"hash/adler32"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"testing/iotest"

	"git-remote-object-store/gitpack/indexer"
	"git-remote-object-store/gitpack/object"
	"git-remote-object-store/gitpack/pack"
)

// paddedZlib is a zlib stream of data that starts with pad empty stored blocks: valid,
// and far longer than a deflater would make it, so its end is past what the indexer
// looks ahead for an object of that size.
func paddedZlib(data []byte, pad int) []byte {
	sum := adler32.Checksum(data)
	b := []byte{0x78, 0x01}
	for range pad {
		b = append(b, 0x00, 0x00, 0x00, 0xff, 0xff)
	}
	for len(data) > 0 || len(b) == 2+5*pad {
		n := min(len(data), 0xffff)
		final := byte(0)
		if n == len(data) {
			final = 1
		}
		b = append(b, final)
		b = binary.LittleEndian.AppendUint16(b, uint16(n))
		b = binary.LittleEndian.AppendUint16(b, ^uint16(n))
		b = append(b, data[:n]...)
		data = data[n:]
		if final == 1 {
			break
		}
	}
	return binary.BigEndian.AppendUint32(b, sum)
}

// TestIndexInflatePaths indexes a pack whose entries take each of the receiver's ways
// through the zlib data (inflated from the read buffer; streamed because the object is
// large, or because its stream runs on past the look-ahead; the last entry, where the
// look-ahead comes up short), fed whole and a byte at a time, and checks that its .idx
// is byte for byte the one git index-pack writes for the same pack.
func TestIndexInflatePaths(t *testing.T) {
	git, err := exec.LookPath("git")
	if err != nil {
		t.Skip("no git")
	}
	rng := rand.New(rand.NewPCG(1, 2))
	random := func(n int) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(rng.Uint32())
		}
		return b
	}
	small := []byte("a small blob\n")
	large := random(700 << 10)
	var pb *packBuilder
	padded := func(data []byte, pad int) {
		pb.offs = append(pb.offs, int64(pb.b.Len()))
		pb.b.Write(pack.AppendEntryHeader(nil, object.Blob, int64(len(data))))
		pb.b.Write(paddedZlib(data, pad))
	}
	pb = newPackBuilder(7)
	pb.whole(object.Blob, small)
	padded([]byte("padded past the look-ahead\n"), 40)
	pb.whole(object.Blob, large)
	padded(random(300<<10), 100) // incompressible, stored: just within the look-ahead
	padded(random(100), 0)
	base := pb.whole(object.Blob, bytes.Repeat([]byte("base line\n"), 1000))
	pb.ofs(base, append(varint(varint(nil, 10000), 10010), append(copyAll(nil, 10000), 10, 't', 'h', 'e', ' ', 'e', 'n', 'd', '.', '.', '\n')...))
	data := pb.finish()

	dir := t.TempDir()
	pf := filepath.Join(dir, "p.pack")
	if err := os.WriteFile(pf, data, 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(git, "index-pack", pf).CombinedOutput(); err != nil {
		t.Fatalf("git index-pack: %v\n%s", err, out)
	}
	want, err := os.ReadFile(filepath.Join(dir, "p.idx"))
	if err != nil {
		t.Fatal(err)
	}
	for _, oneByte := range []bool{false, true} {
		var src io.Reader = bytes.NewReader(data)
		if oneByte {
			src = iotest.OneByteReader(src)
		}
		res, err := indexer.Index(src, t.TempDir(), indexer.Options{Format: object.SHA1})
		if err != nil {
			t.Fatalf("one byte at a time %v: %v", oneByte, err)
		}
		got, err := os.ReadFile(res.IdxPath)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("one byte at a time %v: the .idx differs from git index-pack's", oneByte)
		}
	}
}
