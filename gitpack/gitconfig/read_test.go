package gitconfig_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"git-remote-object-store/gitpack/gitconfig"
	"git-remote-object-store/internal/testenv"
)

func TestConfigMatchesGit(t *testing.T) {
	testenv.Git(t) // skip before any work when there is no git
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "inc"), []byte("[included]\n\tkey = from include\n"), 0o644)
	text := `# comment
[core]
	repositoryformatversion = 0
	Bare = false ; trailing comment
[remote "origin"]
	url = s3+https://bucket.s3.us-west-2.amazonaws.com/repo?engine=packchain
	fetch = +refs/heads/*:refs/remotes/origin/*
[Section "Sub Section"]
	quoted = "  spaced  value  "
	escapes = a\tb\\c\"d
	inner = one   two # three
	continued = first \
second
	flag
[legacy.Sub]
	k = v
[include]
	path = inc
`
	path := filepath.Join(dir, "config")
	os.WriteFile(path, []byte(text), 0o644)
	c, err := gitconfig.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var ours []string
	for _, e := range c.Entries {
		key := e.Section
		if e.Subsection != "" {
			key += "." + e.Subsection
		}
		key += "." + e.Key
		if e.NoValue {
			ours = append(ours, key)
		} else {
			ours = append(ours, key+"="+e.Value)
		}
	}
	want := testenv.RunGit(t, dir, "config", "--file", path, "--includes", "--list")
	if got := strings.Join(ours, "\n"); got != want {
		t.Fatalf("ours:\n%s\n\ngit config --list:\n%s", got, want)
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte("[core]\n\tbare = false\n[remote \"origin\"]\n\turl = \"a\\\"b\" # c\n[x.y]\nk=v\\\n w\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := gitconfig.Parse(data, t.TempDir())
		if err != nil {
			return
		}
		for _, e := range c.Entries {
			if e.Section == "" || e.Key == "" {
				t.Fatalf("accepted an entry without section or key: %+v", e)
			}
		}
	})
}
