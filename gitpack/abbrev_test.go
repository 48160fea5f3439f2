package gitpack_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"git-remote-object-store/gitpack"
	"git-remote-object-store/internal/testenv"
)

// abbrevRepo makes a repository of about 2000 objects, enough for some 4-digit
// prefixes to be shared: 300 commits (each with its own tree and blob), 1200 more blobs,
// half of everything packed and the rest loose. It returns the directory and every
// object id with its type, as git lists them.
func abbrevRepo(t *testing.T) (string, map[string]string) {
	t.Helper()
	dir := t.TempDir()
	testenv.RunGit(t, dir, "init", "-q", "-b", "main", ".")
	var fi strings.Builder
	for i := range 300 {
		data := fmt.Sprintf("file %d\n", i)
		fmt.Fprintf(&fi, "commit refs/heads/main\ncommitter T <t@example.com> %d +0000\ndata 3\nc%d\n", 1700000000+i, i%10)
		fmt.Fprintf(&fi, "M 100644 inline f\ndata %d\n%s\n", len(data), data)
	}
	for i := range 1200 {
		data := fmt.Sprintf("blob %d\n", i)
		fmt.Fprintf(&fi, "blob\ndata %d\n%s\n", len(data), data)
	}
	testenv.RunGitInput(t, dir, []byte(fi.String()), "fast-import", "--quiet")
	// fast-import wrote one pack: take it out and unpack it, then pack half the objects
	// again and drop their loose copies, so both stores are searched.
	types := map[string]string{}
	var packed []string
	for i, line := range strings.Split(testenv.RunGit(t, dir, "cat-file", "--batch-all-objects", "--batch-check=%(objectname) %(objecttype)"), "\n") {
		id, typ, _ := strings.Cut(line, " ")
		types[id] = typ
		if i%2 == 0 {
			packed = append(packed, id)
		}
	}
	fiPacks, _ := filepath.Glob(filepath.Join(dir, ".git/objects/pack/pack-*"))
	var data []byte
	for _, p := range fiPacks {
		if strings.HasSuffix(p, ".pack") {
			var err error
			if data, err = os.ReadFile(p); err != nil {
				t.Fatal(err)
			}
		}
		os.Remove(p)
	}
	testenv.RunGitInput(t, dir, data, "unpack-objects", "-q")
	testenv.RunGitInput(t, dir, []byte(strings.Join(packed, "\n")+"\n"), "pack-objects", "-q", ".git/objects/pack/pack")
	testenv.RunGit(t, dir, "prune-packed")
	return dir, types
}

// TestResolveAbbreviatedMatchesGit: a push source may be an abbreviated object id, as
// in `git push URL 1a2b3c:refs/heads/x`. Every object's 4-, 5- and 7-digit prefixes
// resolve as `git rev-parse --verify` resolves them: to the object when the prefix is
// unique, and to an error naming the ambiguity when it is not; with "~0" (a commit is
// wanted) only commits count, so a prefix a commit shares with blobs still resolves.
// Refs come first, as in git: a branch named like a prefix is the branch.
func TestResolveAbbreviatedMatchesGit(t *testing.T) {
	dir, types := abbrevRepo(t)
	r := open(t, dir)
	loose, _ := filepath.Glob(filepath.Join(dir, ".git/objects/??/*"))
	packs, _ := filepath.Glob(filepath.Join(dir, ".git/objects/pack/*.idx"))
	if len(loose) < 500 || len(packs) == 0 {
		t.Fatalf("%d loose objects and %d packs: the repository should have both", len(loose), len(packs))
	}
	byPrefix := map[string][]string{}
	for id := range types {
		for _, n := range []int{4, 5, 7} {
			byPrefix[id[:n]] = append(byPrefix[id[:n]], id)
		}
	}
	ambiguous, unique, viaGit := 0, 0, 0
	for pfx, ids := range byPrefix {
		got, err := r.ResolveRevision(pfx)
		if len(ids) == 1 {
			unique++
			if err != nil || got.String() != ids[0] {
				t.Errorf("ResolveRevision(%s) = %v, %v; want %s", pfx, got, err, ids[0])
			}
		} else {
			ambiguous++
			if err == nil || !strings.Contains(err.Error(), "short object ID "+pfx+" is ambiguous") {
				t.Errorf("ResolveRevision(%s) = %v, %v; want the ambiguity of %v", pfx, got, err, ids)
			}
		}
		// git itself, on every ambiguous prefix and on a sample of the unique ones.
		if len(ids) > 1 || unique%400 == 0 {
			viaGit++
			out, gerr := testenv.GitCmd(t, dir, "rev-parse", "--verify", "--quiet", pfx).Output()
			if (gerr == nil) != (err == nil) || (err == nil && strings.TrimSpace(string(out)) != got.String()) {
				t.Errorf("%s: git rev-parse says %q (%v), we say %v (%v)", pfx, out, gerr, got, err)
			}
		}
	}
	if ambiguous == 0 {
		t.Fatal("no ambiguous prefix: the test proves nothing")
	}
	// A commit sharing its prefix with other objects: "~0" wants a commit, and git
	// resolves it to the one commit among them.
	committish := 0
	for pfx, ids := range byPrefix {
		commits := 0
		for _, id := range ids {
			if types[id] == "commit" {
				commits++
			}
		}
		if len(ids) < 2 || commits == 0 {
			continue
		}
		committish++
		out, gerr := testenv.GitCmd(t, dir, "rev-parse", "--verify", "--quiet", pfx+"~0").Output()
		got, err := r.ResolveRevision(pfx + "~0")
		if (gerr == nil) != (err == nil) || (err == nil && strings.TrimSpace(string(out)) != got.String()) {
			t.Errorf("%s~0: git rev-parse says %q (%v), we say %v (%v)", pfx, out, gerr, got, err)
		}
	}
	t.Logf("%d unique and %d ambiguous prefixes (%d checked with git), %d shared with commits", unique, ambiguous, viaGit, committish)

	// Upper case is accepted; fewer than 4 digits, or a prefix nothing has, is not found.
	var some string
	for id := range types {
		some = id
		break
	}
	if got, err := r.ResolveRevision(strings.ToUpper(some[:10])); err != nil || got.String() != some {
		t.Errorf("ResolveRevision(%s) = %v, %v", strings.ToUpper(some[:10]), got, err)
	}
	for _, bad := range []string{some[:3], "0000000000000"} {
		if _, err := r.ResolveRevision(bad); err == nil {
			t.Errorf("ResolveRevision(%s) succeeded", bad)
		}
	}
	// A ref wins over an object id prefix, as in git.
	main := testenv.RunGit(t, dir, "rev-parse", "main")
	testenv.RunGit(t, dir, "branch", some[:6], "main")
	r2, err := gitpack.Open(filepath.Join(dir, ".git"))
	if err != nil {
		t.Fatal(err)
	}
	defer r2.Close()
	if got, err := r2.ResolveRevision(some[:6]); err != nil || got.String() != main {
		t.Errorf("ResolveRevision(%s) = %v, %v; want the branch of that name (%s)", some[:6], got, err, main)
	}
}
