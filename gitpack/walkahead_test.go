package gitpack_test

import (
	"encoding/hex"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"testing"

	"git-remote-object-store/gitpack/object"
	"git-remote-object-store/internal/testenv"
)

// walkList is what ReachableObjects reports for wants, in order.
func walkList(t *testing.T, dir string, wants []object.Hash) string {
	t.Helper()
	var b strings.Builder
	r := open(t, dir)
	err := r.ReachableObjects(wants, nil, func(h object.Hash, typ object.Type, path string) error {
		fmt.Fprintf(&b, "%s %v %s\n", h, typ, path)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// TestWalkReadAheadOutOfStep: the trees read ahead on another core follow the walk's
// order, and where they cannot (a tree an earlier entry names as a file, which the walk
// then never reads as a tree), the walk reads for itself. Either way it lists what it
// lists on one core, where nothing is read ahead, and, on a plain history, what git
// rev-list --objects lists.
func TestWalkReadAheadOutOfStep(t *testing.T) {
	dir := t.TempDir()
	testenv.RunGit(t, dir, "init", "-q", "-b", "main", ".")
	blob := testenv.RunGitInput(t, dir, []byte("file\n"), "hash-object", "-w", "--stdin")
	entry := func(mode, name, id string) string {
		raw, _ := hex.DecodeString(id)
		return mode + " " + name + "\x00" + string(raw)
	}
	sub := testenv.RunGitInput(t, dir, []byte(entry("100644", "f", blob)), "hash-object", "-t", "tree", "-w", "--stdin")
	// "a" names the subtree as a file: the walk marks it seen there and skips "d".
	root := testenv.RunGitInput(t, dir, []byte(entry("100644", "a", sub)+entry("40000", "d", sub)), "hash-object", "-t", "tree", "-w", "--literally", "--stdin")
	// Ordinary commits first, the odd one on top: the walk reads their trees after it.
	testenv.RunGit(t, dir, "read-tree", "--empty")
	for i := range 4 {
		v := testenv.RunGitInput(t, dir, []byte(fmt.Sprintf("v%d\n", i)), "hash-object", "-w", "--stdin")
		testenv.RunGit(t, dir, "update-index", "--add", "--cacheinfo", fmt.Sprintf("100644,%s,dir%d/file", v, i))
		tree := testenv.RunGit(t, dir, "write-tree")
		args := []string{"commit-tree", "-m", "more", tree}
		if i > 0 {
			args = append(args, "-p", "main")
		}
		testenv.RunGit(t, dir, "update-ref", "refs/heads/main", testenv.RunGit(t, dir, args...))
	}
	testenv.RunGit(t, dir, "update-ref", "refs/heads/main", testenv.RunGit(t, dir, "commit-tree", "-m", "odd", "-p", "main", root))
	head, _ := object.ParseHash(testenv.RunGit(t, dir, "rev-parse", "main"))
	wants := []object.Hash{head}
	ahead := walkList(t, dir, wants)
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	alone := walkList(t, dir, wants)
	if ahead != alone {
		t.Fatalf("with read-ahead:\n%s\nwithout:\n%s", ahead, alone)
	}
	if !strings.Contains(ahead, sub+" blob a") {
		t.Fatalf("the odd entry is not listed as a file:\n%s", ahead)
	}
}

// TestWalkStopsOnCallbackError: an error from the callback ends the walk with that
// error, whether it comes while commits or trees are reported, with the trees walked
// beside the commits (two cores) or after them (one).
func TestWalkStopsOnCallbackError(t *testing.T) {
	dir := richRepo(t, "sha1")
	r := open(t, dir)
	wants := hashes(t, r, dir, "main", "side")
	total := 0
	if err := r.ReachableObjects(wants, nil, func(object.Hash, object.Type, string) error { total++; return nil }); err != nil {
		t.Fatal(err)
	}
	stop := errors.New("enough")
	for _, procs := range []int{2, 1} {
		old := runtime.GOMAXPROCS(procs)
		for _, at := range []int{1, 3, total / 2, total} {
			n := 0
			err := r.ReachableObjects(wants, nil, func(object.Hash, object.Type, string) error {
				if n++; n == at {
					return stop
				}
				return nil
			})
			if !errors.Is(err, stop) || n != at {
				t.Errorf("procs %d, stop at %d of %d: err %v after %d calls", procs, at, total, err, n)
			}
		}
		runtime.GOMAXPROCS(old)
	}
}
