package gitpack_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"git-remote-object-store/gitpack"
	"git-remote-object-store/internal/testenv"
)

func TestConfigMatchesGit(t *testing.T) {
	gitBin := testenv.Git(t)
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
	c, err := gitpack.ReadConfigFile(path)
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
	cmd := exec.Command(gitBin, "config", "--file", path, "--includes", "--list")
	cmd.Env = append(os.Environ(), "GIT_CONFIG_NOSYSTEM=1")
	out, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	if got, want := strings.Join(ours, "\n"), strings.TrimSpace(string(out)); got != want {
		t.Fatalf("ours:\n%s\n\ngit config --list:\n%s", got, want)
	}
}
