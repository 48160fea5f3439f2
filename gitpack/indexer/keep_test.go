package indexer_test

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"git-remote-object-store/gitpack/indexer"
	"git-remote-object-store/gitpack/object"
	"git-remote-object-store/internal/testenv"
)

// gitDeltaPack is a pack git made of a history of edited files (so most objects are
// deltas: OFS ones with ofs, else REF ones), and the .idx git index-pack writes for it.
func gitDeltaPack(t *testing.T, ofs bool) (data, idx []byte) {
	git := testenv.Git(t)
	dir := t.TempDir()
	run := func(args ...string) []byte {
		t.Helper()
		cmd := exec.Command(git, args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=a", "GIT_AUTHOR_EMAIL=a@example.com",
			"GIT_COMMITTER_NAME=a", "GIT_COMMITTER_EMAIL=a@example.com", "GIT_CONFIG_NOSYSTEM=1", "HOME="+dir)
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("git %v: %v", args, err)
		}
		return out
	}
	run("init", "-q")
	for i := range 30 {
		for f := range 24 { // sizes from a few hundred bytes to a few KiB, deltas as varied
			var b strings.Builder
			for l := range 4 + f*f/2 {
				fmt.Fprintf(&b, "file %d line %d%s\n", f, l, strings.Repeat("+", (l*7+f)%(i+1)))
			}
			os.WriteFile(filepath.Join(dir, fmt.Sprintf("f%d.txt", f)), []byte(b.String()), 0o644)
		}
		run("add", "-A")
		run("commit", "-qm", fmt.Sprintf("commit %d", i))
	}
	run("repack", "-adfq")
	base := "--no-delta-base-offset"
	if ofs {
		base = "--delta-base-offset"
	}
	data = run("pack-objects", "--all", "--stdout", "-q", base)
	pf := filepath.Join(dir, "p.pack")
	if err := os.WriteFile(pf, data, 0o644); err != nil {
		t.Fatal(err)
	}
	run("index-pack", pf)
	idx, err := os.ReadFile(filepath.Join(dir, "p.idx"))
	if err != nil {
		t.Fatal(err)
	}
	return data, idx
}

// TestIndexKeepsDeltas: deltas kept as they were received are what resolving reads
// instead of inflating them again, as far as the room for them goes; the .idx is git's
// whatever the room, one goroutine or two.
func TestIndexKeepsDeltas(t *testing.T) {
	data, want := gitDeltaPack(t, false)
	index := func(keep int64, threads int, baseBudget int64) indexer.Work {
		t.Helper()
		opt := indexer.Options{Format: object.SHA1, Threads: threads, BaseBudget: baseBudget}
		res, w, err := indexer.IndexKeeping(bytes.NewReader(data), t.TempDir(), opt, keep)
		if err != nil {
			t.Fatalf("keep %d: %v", keep, err)
		}
		got, err := os.ReadFile(res.IdxPath)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("keep %d, %d threads: the .idx differs from git index-pack's", keep, threads)
		}
		return w
	}
	none, some, all := index(-1, 1, 0), index(4<<10, 1, 0), index(0, 1, 0)
	t.Logf("reads inflated/kept: none %d/%d, some %d/%d, all %d/%d", none.Inflated, none.Kept, some.Inflated, some.Kept, all.Inflated, all.Kept)
	if none.Kept != 0 || none.Inflated == 0 {
		t.Fatalf("keeping nothing: %+v", none)
	}
	for _, w := range []indexer.Work{some, all} {
		if w.Inflated+w.Kept != none.Inflated {
			t.Errorf("%d reads inflated and %d kept, %d in all when nothing is kept", w.Inflated, w.Kept, none.Inflated)
		}
	}
	if !(0 < some.Kept && some.Kept < all.Kept && some.Inflated > all.Inflated) {
		t.Errorf("4 KiB of room kept %d deltas, all the room %d", some.Kept, all.Kept)
	}
	index(0, 2, 0)
	index(4<<10, 2, 0)
	// No room for bases: they are rebuilt from their deltas, read a second time, so a
	// kept delta must still be as it was received after its first use.
	if w := index(0, 1, 1); w.Kept <= all.Kept {
		t.Errorf("rebuilding bases read %d kept deltas, no more than the %d without", w.Kept, all.Kept)
	}
	index(0, 2, 1)
}
