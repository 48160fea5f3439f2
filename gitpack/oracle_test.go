package gitpack_test

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"git-remote-object-store/gitpack"
	"git-remote-object-store/gitpack/object"
	"git-remote-object-store/internal/testenv"
)

// richRepo builds history with merges, annotated and nested tags, a submodule gitlink,
// a symlink, an executable, empty files and an empty tree; some objects packed, some loose.
func richRepo(t *testing.T, format string) string {
	t.Helper()
	dir := t.TempDir()
	testenv.RunGit(t, dir, "init", "-q", "-b", "main", "--object-format="+format, ".")
	write := func(name, content string, mode os.FileMode) {
		p := filepath.Join(dir, name)
		os.MkdirAll(filepath.Dir(p), 0o755)
		os.WriteFile(p, []byte(content), mode)
	}
	for i := 0; i < 6; i++ {
		write("src/file.txt", strings.Repeat(fmt.Sprintf("line %d\n", i), 50+i), 0o644)
		write(fmt.Sprintf("docs/n%d.md", i), "note\n", 0o644)
		testenv.RunGit(t, dir, "add", "-A")
		testenv.RunGit(t, dir, "commit", "-q", "-m", fmt.Sprint("c", i))
		if i == 2 {
			testenv.RunGit(t, dir, "repack", "-adq")
		}
	}
	testenv.RunGit(t, dir, "checkout", "-q", "-b", "side", "HEAD~3")
	write("run.sh", "#!/bin/sh\necho hi\n", 0o755)
	write("empty", "", 0o644)
	os.Symlink("src/file.txt", filepath.Join(dir, "link"))
	testenv.RunGit(t, dir, "add", "-A")
	testenv.RunGit(t, dir, "commit", "-q", "-m", "side")
	sub := testenv.RunGit(t, dir, "rev-parse", "HEAD~1")
	testenv.RunGit(t, dir, "update-index", "--add", "--cacheinfo", "160000,"+sub+",vendor/sub")
	testenv.RunGit(t, dir, "commit", "-q", "-m", "gitlink")
	testenv.RunGit(t, dir, "checkout", "-q", "main")
	testenv.RunGit(t, dir, "merge", "-q", "--no-ff", "-m", "merge", "side")
	testenv.RunGit(t, dir, "tag", "-a", "-m", "v1", "v1", "HEAD~2")
	testenv.RunGit(t, dir, "tag", "-a", "-m", "nested", "v1-signed", "v1")
	testenv.RunGit(t, dir, "tag", "light", "side")
	empty := testenv.RunGit(t, dir, "hash-object", "-t", "tree", "-w", "--stdin")
	c := testenv.RunGit(t, dir, "commit-tree", "-m", "empty tree", empty)
	testenv.RunGit(t, dir, "update-ref", "refs/heads/empty", c)
	return dir
}

func open(t *testing.T, dir string) *gitpack.Repo {
	r, err := gitpack.Open(filepath.Join(dir, ".git"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

func hashes(t *testing.T, r *gitpack.Repo, dir string, names ...string) []object.Hash {
	var out []object.Hash
	for _, n := range names {
		h, err := object.ParseHash(testenv.RunGit(t, dir, "rev-parse", n))
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, h)
	}
	return out
}

func TestWalkMatchesRevList(t *testing.T) {
	for _, format := range []string{"sha1", "sha256"} {
		t.Run(format, func(t *testing.T) {
			dir := richRepo(t, format)
			r := open(t, dir)
			cases := []struct{ wants, haves []string }{
				{[]string{"main"}, nil},
				{[]string{"v1-signed", "side", "empty"}, nil},
				{[]string{"main"}, []string{"side"}},
				{[]string{"main"}, []string{"main~1"}},
				{[]string{"main", "side"}, []string{"main~3"}},
				{[]string{"side"}, []string{"main"}},
				{[]string{"empty", "v1"}, []string{"main", "light"}},
				{[]string{"v1-signed"}, []string{"v1"}},
			}
			for _, c := range cases {
				got := []string{}
				err := r.ReachableObjects(hashes(t, r, dir, c.wants...), hashes(t, r, dir, c.haves...),
					func(h object.Hash, _ object.Type, path string) error {
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
				args = append(args, "--")
				want := []string{}
				for _, line := range strings.Split(testenv.RunGit(t, dir, args...), "\n") {
					if f := strings.Fields(line); len(f) > 0 {
						want = append(want, f[0])
					}
				}
				slices.Sort(got)
				slices.Sort(want)
				if !slices.Equal(got, want) {
					t.Fatalf("%v --not %v:\ngot  %d objects\nwant %d objects (git rev-list --objects)", c.wants, c.haves, len(got), len(want))
				}
			}
		})
	}
}

func TestOurPackIsAcceptedByGit(t *testing.T) {
	for _, format := range []string{"sha1", "sha256"} {
		t.Run(format, func(t *testing.T) {
			dir := richRepo(t, format)
			r := open(t, dir)
			var buf bytes.Buffer
			res, err := r.WritePack(&buf, hashes(t, r, dir, "main", "v1-signed", "empty"), nil, gitpack.PackOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if res.Reused == 0 || res.Deltas == 0 {
				t.Fatalf("no stored entry or delta was reused from the repacked history: %+v", res)
			}
			dst := t.TempDir()
			testenv.RunGit(t, dst, "init", "-q", "--bare", "--object-format="+format, ".")
			out := testenv.RunGitInput(t, dst, buf.Bytes(), "index-pack", "--stdin", "--strict")
			if !strings.Contains(out, res.Hash.String()) {
				t.Fatalf("git index-pack named the pack %q, we said %s", out, res.Hash)
			}
			for _, ref := range []string{"main", "v1-signed", "empty"} {
				testenv.RunGit(t, dst, "update-ref", "refs/x/"+ref, testenv.RunGit(t, dir, "rev-parse", ref))
			}
			testenv.RunGit(t, dst, "fsck", "--full", "--strict")
		})
	}
}

func TestIndexGitPackMatchesGitIdx(t *testing.T) {
	for _, format := range []string{"sha1", "sha256"} {
		t.Run(format, func(t *testing.T) {
			dir := richRepo(t, format)
			cmd := testenv.GitCmd(t, dir, "pack-objects", "--stdout", "--revs", "--delta-base-offset")
			cmd.Stdin = strings.NewReader("main\nside\nv1-signed\n")
			packData, err := cmd.Output()
			if err != nil {
				t.Fatal(err)
			}
			dst := t.TempDir() // initialised by us: git's fsck below must accept it
			f, _ := object.ParseFormat(format)
			repo, err := gitpack.InitBare(dst, f)
			if err != nil {
				t.Fatal(err)
			}
			defer repo.Close()
			res, err := repo.IndexPack(bytes.NewReader(packData), gitpack.IndexOptions{})
			if err != nil {
				t.Fatalf("IndexPack: %v", err)
			}
			ours, _ := os.ReadFile(res.IdxPath)
			ref := filepath.Join(t.TempDir(), "git.pack")
			os.WriteFile(ref, packData, 0o644)
			testenv.RunGit(t, dst, "index-pack", "-o", ref[:len(ref)-5]+".idx", ref)
			theirs, _ := os.ReadFile(ref[:len(ref)-5] + ".idx")
			if !bytes.Equal(ours, theirs) {
				t.Fatalf("our idx (%d bytes) differs from git index-pack's (%d bytes)", len(ours), len(theirs))
			}
			testenv.RunGit(t, dst, "update-ref", "refs/heads/main", testenv.RunGit(t, dir, "rev-parse", "main"))
			testenv.RunGit(t, dst, "fsck", "--full", "--strict")
		})
	}
}

func TestIndexThinBundlePack(t *testing.T) {
	dir := t.TempDir()
	testenv.RunGit(t, dir, "init", "-q", "-b", "main", ".")
	big := strings.Repeat("a fairly long line of text that deltas well\n", 2000)
	for i, content := range []string{big, big + "one more line\n"} {
		os.WriteFile(filepath.Join(dir, "big.txt"), []byte(content), 0o644)
		testenv.RunGit(t, dir, "add", ".")
		testenv.RunGit(t, dir, "commit", "-q", "-m", fmt.Sprint("c", i))
	}
	b := filepath.Join(t.TempDir(), "thin.bundle")
	testenv.RunGit(t, dir, "bundle", "create", "-q", b, "main~1..main")
	data, _ := os.ReadFile(b)
	i := bytes.Index(data, []byte("\n\nPACK"))
	dst := t.TempDir()
	testenv.RunGit(t, dst, "clone", "-q", "--bare", "--no-local", dir, ".")
	testenv.RunGit(t, dst, "update-ref", "-d", "refs/heads/main")
	testenv.RunGit(t, dst, "reflog", "expire", "--expire=now", "--all")
	repo, err := gitpack.Open(dst)
	if err != nil {
		t.Fatal(err)
	}
	defer repo.Close()
	if _, err := repo.IndexPack(bytes.NewReader(data[i+2:]), gitpack.IndexOptions{}); err == nil {
		t.Fatal("a thin pack was accepted without FixThin")
	}
	res, err := repo.IndexPack(bytes.NewReader(data[i+2:]), gitpack.IndexOptions{FixThin: true})
	if err != nil {
		t.Fatalf("IndexPack(thin): %v", err)
	}
	testenv.RunGit(t, dst, "verify-pack", res.IdxPath)
	testenv.RunGit(t, dst, "update-ref", "refs/heads/main", testenv.RunGit(t, dir, "rev-parse", "main"))
	testenv.RunGit(t, dst, "fsck", "--full", "--strict")
}

func TestResolveRevisionMatchesRevParse(t *testing.T) {
	dir := richRepo(t, "sha1")
	r := open(t, dir)
	for _, rev := range []string{"main", "main~1", "main^", "main^2", "v1-signed~1", "side^1~1", "HEAD~3"} {
		h, err := r.ResolveRevision(rev)
		if want := testenv.RunGit(t, dir, "rev-parse", rev); err != nil || h.String() != want {
			t.Errorf("%s: got %v (%v), git rev-parse says %s", rev, h, err, want)
		}
	}
	if _, err := r.ResolveRevision("main^9"); err == nil {
		t.Error("a missing parent resolved")
	}
}
