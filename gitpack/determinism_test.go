package gitpack_test

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"git-remote-object-store/gitpack"
	"git-remote-object-store/gitpack/indexer"
	"git-remote-object-store/gitpack/object"
	"git-remote-object-store/gitpack/pack"
	"git-remote-object-store/internal/testenv"
)

// TestWritePackIsDeterministic: a resumed upload skips the parts whose bytes it sent
// before, which only works if writing the same pack again gives the same bytes. So the
// same wants and haves must give a byte-identical pack whatever the GOMAXPROCS, and from
// a freshly opened repository (a new process), with stored entries reused, stored deltas
// kept, fresh deltas computed and objects written whole all in one pack.
func TestWritePackIsDeterministic(t *testing.T) {
	for _, format := range []string{"sha1", "sha256"} {
		t.Run(format, func(t *testing.T) {
			dir := richRepo(t, format)
			// More history, half packed and half loose: versions of large-ish files give
			// fresh deltas (loose) and stored ones (packed); random blobs stay whole.
			rng := rand.New(rand.NewPCG(1, 2))
			text := make([]string, 400)
			for i := range text {
				text[i] = fmt.Sprintf("line %d %x\n", i, rng.Uint64())
			}
			for i := 0; i < 12; i++ {
				for f := 0; f < 3; f++ {
					text[rng.IntN(len(text))] = fmt.Sprintf("changed %d %d\n", i, f)
					p := filepath.Join(dir, "big", fmt.Sprintf("f%d.txt", f))
					os.MkdirAll(filepath.Dir(p), 0o755)
					os.WriteFile(p, []byte(strings.Join(text, "")), 0o644)
				}
				noise := make([]byte, 3000)
				for k := range noise {
					noise[k] = byte(rng.Uint32())
				}
				os.WriteFile(filepath.Join(dir, "big", fmt.Sprintf("noise%d.bin", i)), noise, 0o644)
				testenv.RunGit(t, dir, "add", "-A")
				testenv.RunGit(t, dir, "commit", "-q", "-m", fmt.Sprint("big ", i))
				if i == 5 {
					testenv.RunGit(t, dir, "repack", "-dq") // a second pack beside the first
				}
			}
			cases := []struct{ wants, haves []string }{
				{[]string{"main", "side", "v1-signed", "empty"}, nil},
				{[]string{"main"}, []string{"main~4"}},
			}
			for _, c := range cases {
				var first [32]byte
				var firstRes gitpack.PackResult
				for i, procs := range []int{1, 4, 1, runtime.NumCPU() * 2} {
					old := runtime.GOMAXPROCS(procs)
					r := open(t, dir) // a new Repo every time: no state carried over
					var b bytes.Buffer
					res, err := r.WritePack(&b, hashes(t, r, dir, c.wants...), hashes(t, r, dir, c.haves...), gitpack.PackOptions{})
					runtime.GOMAXPROCS(old)
					if err != nil {
						t.Fatal(err)
					}
					sum := sha256.Sum256(b.Bytes())
					if i == 0 {
						first, firstRes = sum, res
						t.Logf("pack of %v --not %v: %+v", c.wants, c.haves, res)
						continue
					}
					if sum != first || res.Hash != firstRes.Hash || res.Objects != firstRes.Objects || res.Size != firstRes.Size ||
						res.Reused != firstRes.Reused || res.Deltas != firstRes.Deltas {
						t.Fatalf("pack of %v --not %v differs at GOMAXPROCS=%d: %+v vs %+v", c.wants, c.haves, procs, res, firstRes)
					}
				}
				// The .idx written from the writer's records is the indexer's, byte for byte.
				r := open(t, dir)
				var b bytes.Buffer
				var begun []object.Hash
				begin := func(set object.Hash) error {
					if b.Len() != 0 {
						t.Errorf("Begin called after %d bytes were written", b.Len())
					}
					begun = append(begun, set)
					return nil
				}
				res, err := r.WritePack(&b, hashes(t, r, dir, c.wants...), hashes(t, r, dir, c.haves...), gitpack.PackOptions{Index: true, Begin: begin})
				if err != nil {
					t.Fatal(err)
				}
				if sha256.Sum256(b.Bytes()) != first || int64(res.Index.Len()) != res.Objects {
					t.Fatalf("pack of %v --not %v: asking for the index changed the pack, or %d records for %d objects", c.wants, c.haves, res.Index.Len(), res.Objects)
				}
				var fromRecords bytes.Buffer
				if err := res.Index.WriteIdx(&fromRecords, r.Format(), res.Hash.Bytes()); err != nil {
					t.Fatal(err)
				}
				// Without Begin, Write sorts the objects for the index itself.
				var again bytes.Buffer
				res2, err := r.WritePack(io.Discard, hashes(t, r, dir, c.wants...), hashes(t, r, dir, c.haves...), gitpack.PackOptions{Index: true})
				if err == nil {
					err = res2.Index.WriteIdx(&again, r.Format(), res2.Hash.Bytes())
				}
				if err != nil || !bytes.Equal(again.Bytes(), fromRecords.Bytes()) {
					t.Fatalf("pack of %v --not %v: the .idx without Begin differs (%v)", c.wants, c.haves, err)
				}
				indexed, err := indexer.Index(bytes.NewReader(b.Bytes()), t.TempDir(), indexer.Options{Format: r.Format()})
				if err != nil {
					t.Fatal(err)
				}
				if want, _ := os.ReadFile(indexed.IdxPath); !bytes.Equal(fromRecords.Bytes(), want) {
					t.Fatalf("pack of %v --not %v: the .idx from the writer's records differs from the indexer's", c.wants, c.haves)
				}
				// The set name the writer gives before writing is the indexer's, the
				// idx's, and git's listing's (pack.SetName of rev-list --objects).
				idx, err := pack.ReadIdx(bytes.NewReader(fromRecords.Bytes()), r.Format())
				if err != nil {
					t.Fatal(err)
				}
				args := append([]string{"rev-list", "--objects"}, c.wants...)
				for _, h := range c.haves {
					args = append(args, "^"+h)
				}
				args = append(args, "--")
				var listed []object.Hash
				for _, line := range strings.Split(strings.TrimSpace(testenv.RunGit(t, dir, args...)), "\n") {
					id, _, _ := strings.Cut(line, " ")
					h, err := object.ParseHash(id)
					if err != nil {
						t.Fatalf("rev-list: %q: %v", line, err)
					}
					listed = append(listed, h)
				}
				want := pack.SetName(r.Format(), listed)
				fromIdx := pack.SortedSetName(r.Format(), idx.Count(), idx.Hash)
				if len(begun) != 1 || begun[0] != want || indexed.Set != want || fromIdx != want {
					t.Fatalf("pack of %v --not %v: set names: Begin %v, indexer %v, idx %v; want %v (of %d ids)", c.wants, c.haves, begun, indexed.Set, fromIdx, want, len(listed))
				}
				if slices.Reverse(listed); pack.SetName(r.Format(), listed) != want {
					t.Fatal("the set name depends on the order of the ids")
				}
				if pack.SetName(r.Format(), listed[1:]) == want {
					t.Fatal("one object fewer, same set name")
				}
				// And twice from one Repo value.
				for k := 0; k < 2; k++ {
					var b bytes.Buffer
					if _, err := r.WritePack(&b, hashes(t, r, dir, c.wants...), hashes(t, r, dir, c.haves...), gitpack.PackOptions{}); err != nil {
						t.Fatal(err)
					}
					if sha256.Sum256(b.Bytes()) != first {
						t.Fatalf("pack of %v --not %v differs when written again by the same Repo", c.wants, c.haves)
					}
				}
			}
		})
	}
}
