package gitpack_test

import (
	"archive/zip"
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"git-remote-object-store/gitpack"
	"git-remote-object-store/gitpack/object"
	"git-remote-object-store/internal/testenv"
)

// TestWriteZipMatchesGitArchive builds repositories whose .gitattributes leave files out
// and expand placeholders, and compares our zip with `git archive --format=zip` of the
// same commit: the same entries in the same order, with the same modes and contents.
func TestWriteZipMatchesGitArchive(t *testing.T) {
	subst := "v=$Format:%H %h %T %t %P %p$\n" +
		"a=$Format:%an <%ae> %al|%ad|%aD|%ai|%aI|%at|%as$\n" +
		"c=$Format:%cn <%ce>|%cd|%cD|%ci|%cI|%ct|%cs$\n" +
		"s=$Format:%s|%n|%%|%x41|%+s|% s|%-s|%q|%+q|100%$\n" +
		"b=$Format:%b$|$Format:%e$|$Format:$|$Format:%Cred%C(bold)%Creset$\n" +
		"unterminated $Format:%H\n"
	cases := []struct {
		name   string
		files  map[string]string
		info   string // .git/info/attributes
		config []string
		msg    string
		dates  [2]string // author, committer
	}{
		{
			name: "files",
			files: map[string]string{
				".gitattributes": "*.log export-ignore\n/secret.txt export-ignore\ndocs/internal.md export-ignore\n" +
					"\"with space.txt\" export-ignore\nfile[0-9].bin export-ignore\n?.x export-ignore\n" +
					"!neg.txt export-ignore\nbad.txt export-ignore b@d\nval.txt export-ignore=yes\n",
				"a.log": "x", "sub/b.log": "x", "secret.txt": "x", "sub/secret.txt": "kept: anchored",
				"docs/internal.md": "x", "docs/public.md": "y", "sub/docs/internal.md": "kept",
				"with space.txt": "x", "file1.bin": "x", "fileA.bin": "kept", "q.x": "x", "qq.x": "kept",
				"neg.txt": "kept", "bad.txt": "kept", "val.txt": "kept", "readme": "r",
			},
		},
		{
			name: "directories",
			files: map[string]string{
				".gitattributes": "build/ export-ignore\nvendor export-ignore\ntmp/** export-ignore\nlib/gen/ export-ignore\n",
				"build/out.o":    "x", "src/build/deep.o": "x", "vendor/v.go": "x", "src/vendor/x": "x",
				"tmp/a/b": "x", "tmp/c": "x", "lib/gen/g.go": "x", "lib/keep.go": "k", "gen/kept.go": "k",
			},
		},
		{
			name: "nested",
			files: map[string]string{
				".gitattributes":     "*.md export-ignore\n*.txt export-ignore\n.gitattributes export-ignore\n",
				"top.md":             "x",
				"sub/.gitattributes": "*.md -export-ignore\nx/y.c export-ignore\n/z.c export-ignore\n*.txt !export-ignore\n",
				"sub/a.md":           "kept: deeper file wins", "sub/x/y.c": "x", "x/y.c": "kept: anchored to sub",
				"sub/z.c": "x", "sub/deeper/z.c": "kept", "sub/deeper/n.md": "kept", "sub/t.txt": "kept",
				"other/o.md": "x", "other/t.txt": "x",
			},
		},
		{
			name: "double star and negation",
			files: map[string]string{
				".gitattributes": "**/gen/*.go export-ignore\na/**/z export-ignore\n**/*.tmp export-ignore\n" +
					"*.dat export-ignore\nkeep.dat -export-ignore\nalso.dat export-ignore !export-ignore\n" +
					"deep/** export-ignore\ndeep/keep/** -export-ignore\nx**y export-ignore\n",
				"gen/a.go": "x", "p/q/gen/b.go": "x", "p/gen/sub/c.go": "kept", "a/z": "x", "a/b/c/z": "x",
				"b/a/z": "kept", "t.tmp": "x", "p/t.tmp": "x", "one.dat": "x", "keep.dat": "kept",
				"also.dat": "kept", "deep/d": "x", "deep/keep/k": "kept", "xay": "x", "x/y": "kept",
			},
		},
		{
			name: "info attributes and ignorecase",
			files: map[string]string{
				".gitattributes": "*.LOG export-ignore\n",
				"a.log":          "x", "b.info": "x", "c.txt": "c",
			},
			info:   "*.info export-ignore\n",
			config: []string{"core.ignorecase", "true"},
		},
		{
			name: "export-subst",
			files: map[string]string{
				".gitattributes":     "*.in export-subst\nraw.in -export-subst\n",
				"version.in":         subst,
				"raw.in":             subst,
				"plain.txt":          subst,
				"sub/.gitattributes": "v.txt export-subst\n",
				"sub/v.txt":          "built from $Format:%h$ on $Format:%cd$\n",
				"nl.in":              "before\n\n$Format:%-b$after\n",
			},
			msg:   "Übersicht: a subject\nwrapped on two lines  \n\n\nThe body.\n\nMore body.\n",
			dates: [2]string{"1700000000 +0530", "1700003600 -0800"},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			testenv.RunGit(t, dir, "init", "-q", "-b", "main", ".")
			for i := 0; i+1 < len(c.config); i += 2 {
				testenv.RunGit(t, dir, "config", c.config[i], c.config[i+1])
			}
			for name, content := range c.files {
				p := filepath.Join(dir, name)
				os.MkdirAll(filepath.Dir(p), 0o755)
				if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			os.WriteFile(filepath.Join(dir, "run.sh"), []byte("#!/bin/sh\n"), 0o755)
			os.Symlink("run.sh", filepath.Join(dir, "link.in"))
			testenv.RunGit(t, dir, "add", "-A")
			// A submodule: git archive writes it as an empty directory.
			testenv.RunGit(t, dir, "update-index", "--add", "--cacheinfo",
				"160000,"+strings.Repeat("1", 40)+",mods/sub")
			if c.info != "" {
				os.WriteFile(filepath.Join(dir, ".git", "info", "attributes"), []byte(c.info), 0o644)
			}
			msg := c.msg
			if msg == "" {
				msg = "commit\n"
			}
			cmd := testenv.GitCmd(t, dir, "commit", "-q", "-F", "-")
			cmd.Stdin = strings.NewReader(msg)
			if c.dates[0] != "" {
				cmd.Env = append(cmd.Env, "GIT_AUTHOR_NAME=Zoë Ærø-Łukasz", "GIT_AUTHOR_EMAIL=zoe@example.org",
					"GIT_AUTHOR_DATE="+c.dates[0], "GIT_COMMITTER_DATE="+c.dates[1])
			}
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("git commit: %v\n%s", err, out)
			}
			compareWithGitArchive(t, dir, "main")
		})
	}
}

// TestWriteZipOfHistory: the placeholders of a merge (two parents) and of a commit
// reached through an annotated tag; a submodule, an empty tree and an empty subtree.
func TestWriteZipOfHistory(t *testing.T) {
	dir := richRepo(t, "sha1")
	os.WriteFile(filepath.Join(dir, ".gitattributes"), []byte("*.in export-subst\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "v.in"), []byte("$Format:%H %h %p %t %s$\n"), 0o644)
	testenv.RunGit(t, dir, "add", "-A")
	testenv.RunGit(t, dir, "commit", "-q", "-m", "subst")
	testenv.RunGit(t, dir, "checkout", "-q", "-b", "other", "main~1")
	testenv.RunGit(t, dir, "merge", "-q", "--no-ff", "-m", "merge it", "main")
	testenv.RunGit(t, dir, "tag", "-a", "-m", "t", "vt", "other")
	// An empty subtree (git never writes one, but a tree may hold it): not archived.
	empty := testenv.RunGit(t, dir, "hash-object", "-t", "tree", "-w", "--stdin")
	blob := testenv.RunGitInput(t, dir, []byte("f\n"), "hash-object", "-w", "--stdin")
	tree := testenv.RunGitInput(t, dir, []byte("040000 tree "+empty+"\tnothing\n100644 blob "+blob+"\tf\n"), "mktree")
	testenv.RunGit(t, dir, "update-ref", "refs/heads/hollow", testenv.RunGit(t, dir, "commit-tree", "-m", "hollow", tree))
	for _, rev := range []string{"other", "vt", "main", "side", "empty", "hollow"} {
		compareWithGitArchive(t, dir, rev)
	}
}

// compareWithGitArchive compares WriteZip of rev with git archive's zip.
func compareWithGitArchive(t *testing.T, dir, rev string) {
	t.Helper()
	cmd := testenv.GitCmd(t, dir, "archive", "--format=zip", rev)
	theirs, err := cmd.Output()
	if err != nil {
		t.Fatalf("git archive %s: %v", rev, err)
	}
	r := open(t, dir)
	h, err := object.ParseHash(testenv.RunGit(t, dir, "rev-parse", rev))
	if err != nil {
		t.Fatal(err)
	}
	var ours bytes.Buffer
	if err := gitpack.WriteZip(r, h, &ours); err != nil {
		t.Fatalf("WriteZip %s: %v", rev, err)
	}
	if diff := cmp.Diff(zipEntries(t, theirs), zipEntries(t, ours.Bytes())); diff != "" {
		t.Errorf("WriteZip of %s differs from git archive (-git +ours):\n%s", rev, diff)
	}
}

// zipEntries lists each entry of a zip archive, in order, as "name mode content".
func zipEntries(t *testing.T, data []byte) []string {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatalf("not a zip: %v", err)
	}
	var out []string
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatalf("%s: %v", f.Name, err)
		}
		out = append(out, fmt.Sprintf("%s %v %q", f.Name, f.Mode(), b))
	}
	return out
}
