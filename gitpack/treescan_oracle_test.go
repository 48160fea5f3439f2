package gitpack_test

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"git-remote-object-store/gitpack"
	"git-remote-object-store/gitpack/object"
	"git-remote-object-store/internal/testenv"
)

// TestWalkStepsOverCopiedEntries: on a history whose trees git packed as deltas of each
// other (in both directions: some bases are older, some newer), the walk steps over the
// entries a delta copied from a tree it looked at, and still lists exactly what git
// rev-list --objects lists, in the same order with or without reading ahead.
func TestWalkStepsOverCopiedEntries(t *testing.T) {
	dir := t.TempDir()
	testenv.RunGit(t, dir, "init", "-q", "-b", "main", ".")
	write := func(name, content string) {
		p := filepath.Join(dir, name)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 60 {
		write(fmt.Sprintf("top%02d.txt", i), "top\n")
		write(fmt.Sprintf("lib/sub/f%02d.c", i), fmt.Sprintf("int f%d;\n", i))
	}
	for i := range 40 {
		write(fmt.Sprintf("lib/sub/f%02d.c", (i*7)%60), fmt.Sprintf("int v%d;\n", i))
		write(fmt.Sprintf("top%02d.txt", (i*11)%60), fmt.Sprintf("v%d\n", i))
		if i%5 == 0 {
			write(fmt.Sprintf("lib/new%02d.h", i), "new\n")
		}
		if i%9 == 8 {
			os.Remove(filepath.Join(dir, fmt.Sprintf("lib/new%02d.h", i-8)))
		}
		testenv.RunGit(t, dir, "add", "-A")
		testenv.RunGit(t, dir, "commit", "-q", "-m", fmt.Sprint("c", i))
	}
	testenv.RunGit(t, dir, "repack", "-adfq", "--window=50", "--depth=50")

	var copied int
	defer gitpack.OnWalkDone(func(n int) { copied += n })()
	r := open(t, dir)
	for _, c := range []struct{ wants, haves []string }{
		{[]string{"main"}, nil},
		{[]string{"main"}, []string{"main~10"}},
		{[]string{"main~5"}, []string{"main~30"}},
	} {
		got := []string{}
		err := r.ReachableObjects(hashes(t, r, dir, c.wants...), hashes(t, r, dir, c.haves...),
			func(h object.Hash, _ object.Type, _ string) error {
				got = append(got, h.String())
				return nil
			})
		if err != nil {
			t.Fatal(err)
		}
		args := append([]string{"rev-list", "--objects"}, c.wants...)
		if len(c.haves) > 0 {
			args = append(append(args, "--not"), c.haves...)
		}
		want := []string{}
		for _, line := range strings.Split(testenv.RunGit(t, dir, append(args, "--")...), "\n") {
			if f := strings.Fields(line); len(f) > 0 {
				want = append(want, f[0])
			}
		}
		slices.Sort(got)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Fatalf("%v --not %v: got %d objects, git rev-list --objects %d", c.wants, c.haves, len(got), len(want))
		}
	}
	if copied == 0 {
		t.Fatal("no tree entry was stepped over: the deltas' copies went unused")
	}
	head := hashes(t, r, dir, "main")
	ahead := walkList(t, dir, head)
	// The first half of the commits taken slowly: their trees are walked before the last
	// commit is known, the rest read ahead once all are.
	taken := 0
	restore := gitpack.SlowCommitWalk(func() {
		if taken++; taken < 20 {
			time.Sleep(5 * time.Millisecond)
		}
	})
	slow := walkList(t, dir, head)
	restore()
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	alone := walkList(t, dir, head)
	if alone != ahead || alone != slow {
		t.Fatal("the walk's order differs with trees walked beside the commits, after them, or read ahead")
	}
}
