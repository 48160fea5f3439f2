package gitpack

import (
	"bytes"
	"compress/zlib"
	"crypto/sha1"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"git-remote-object-store/gitpack/object"
	"git-remote-object-store/gitpack/pack"
)

// writeRefDeltaPack installs in repo a pack of one REF_DELTA entry, listed as id, whose
// base is base.
func writeRefDeltaPack(t *testing.T, repo *Repo, id, base object.Hash) {
	t.Helper()
	delta := []byte{5, 6, 0x90, 5, 1, '!'}
	var b bytes.Buffer
	b.WriteString("PACK\x00\x00\x00\x02\x00\x00\x00\x01")
	b.Write(pack.AppendEntryHeader(nil, object.RefDelta, int64(len(delta))))
	b.Write(base.Bytes())
	zw := zlib.NewWriter(&b)
	zw.Write(delta)
	zw.Close()
	sum := sha1.Sum(b.Bytes())
	b.Write(sum[:])
	var ib bytes.Buffer
	if err := pack.WriteIdx(&ib, object.SHA1, []pack.IdxEntry{{Hash: id, Offset: 12}}, sum[:]); err != nil {
		t.Fatal(err)
	}
	name := filepath.Join(repo.ObjectDir(), "pack", "pack-"+id.String())
	if err := os.WriteFile(name+".pack", b.Bytes(), 0o444); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(name+".idx", ib.Bytes(), 0o444); err != nil {
		t.Fatal(err)
	}
}

// TestReadRefDeltaCycleAcrossPacks: two local packs whose objects are REF deltas on each
// other. Read, Stat and streams end in pack.ErrDeltaCycle, not a stack overflow.
func TestReadRefDeltaCycleAcrossPacks(t *testing.T) {
	repo, err := InitBare(t.TempDir(), object.SHA1)
	if err != nil {
		t.Fatal(err)
	}
	defer repo.Close()
	var rx, ry [20]byte
	binary.BigEndian.PutUint32(rx[:], 0xaaaa)
	binary.BigEndian.PutUint32(ry[:], 0xbbbb)
	x, _ := object.FromBytes(rx[:])
	y, _ := object.FromBytes(ry[:])
	writeRefDeltaPack(t, repo, x, y)
	writeRefDeltaPack(t, repo, y, x)
	if _, _, err := repo.Read(x); !errors.Is(err, pack.ErrDeltaCycle) {
		t.Fatalf("Read: err %v, want pack.ErrDeltaCycle", err)
	}
	if _, _, err := repo.Stat(y); !errors.Is(err, pack.ErrDeltaCycle) {
		t.Fatalf("Stat: err %v, want pack.ErrDeltaCycle", err)
	}
}
