package gitconfig_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"git-remote-object-store/gitpack/gitconfig"
	"git-remote-object-store/internal/testenv"
)

func TestSetConfigKeepsEverythingElse(t *testing.T) {
	gitBin := testenv.Git(t)
	path := filepath.Join(t.TempDir(), "config")
	orig := "# top comment\n[core]\n\tbare = false ; keep me\n[remote \"origin\"]\n\turl = fs+file:///x\n# trailing\n"
	os.WriteFile(path, []byte(orig), 0o644)
	edits := []struct{ sec, sub, key, val string }{
		{"lfs", "customtransfer.object-store", "path", "/usr/local/bin/git-remote-object-store"},
		{"lfs", "customtransfer.object-store", "args", `lfs-agent "fs+file:///x"; #odd`},
		{"remote", "origin", "url", "s3+https://b.s3.us-west-2.amazonaws.com/r"},
		{"remote", "origin", "lfsurl", "  spaced  "},
		{"core", "", "filemode", "true"},
	}
	for _, e := range edits {
		if err := gitconfig.Set(path, e.sec, e.sub, e.key, e.val); err != nil {
			t.Fatal(err)
		}
	}
	for _, e := range edits {
		name := e.sec + "." + e.key
		if e.sub != "" {
			name = e.sec + "." + e.sub + "." + e.key
		}
		out, err := exec.Command(gitBin, "config", "--file", path, "--get", name).Output()
		if err != nil || strings.TrimSuffix(string(out), "\n") != e.val {
			t.Errorf("git config --get %s = %q (%v), want %q", name, out, err, e.val)
		}
	}
	data, _ := os.ReadFile(path)
	for _, keep := range []string{"# top comment", "; keep me", "# trailing"} {
		if !strings.Contains(string(data), keep) {
			t.Fatalf("lost %q:\n%s", keep, data)
		}
	}
	if err := gitconfig.Unset(path, "remote", "origin", "lfsurl"); err != nil {
		t.Fatal(err)
	}
	if err := exec.Command(gitBin, "config", "--file", path, "--get", "remote.origin.lfsurl").Run(); err == nil {
		t.Fatal("Unset left the key")
	}
}

// TestSetKeepsFileMode: rewriting a config keeps the file's mode, as git does (it
// gives its lock file the old file's mode before renaming it over): a 0600 config (it
// may hold credentials) is not loosened to 0644, and a 0640 one keeps its group bit.
// Compared with git config itself on a copy.
func TestSetKeepsFileMode(t *testing.T) {
	gitBin := testenv.Git(t)
	for _, mode := range []os.FileMode{0o600, 0o640, 0o664} {
		dir := t.TempDir()
		ours, theirs := filepath.Join(dir, "ours"), filepath.Join(dir, "theirs")
		for _, p := range []string{ours, theirs} {
			if err := os.WriteFile(p, []byte("[core]\n\tbare = false\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(p, mode); err != nil { // not subject to the umask
				t.Fatal(err)
			}
		}
		if err := gitconfig.Set(ours, "lfs", "customtransfer.object-store", "path", "/x"); err != nil {
			t.Fatal(err)
		}
		if err := gitconfig.Unset(ours, "core", "", "bare"); err != nil {
			t.Fatal(err)
		}
		if out, err := exec.Command(gitBin, "config", "--file", theirs, "lfs.customtransfer.object-store.path", "/x").CombinedOutput(); err != nil {
			t.Fatalf("git config: %v\n%s", err, out)
		}
		for _, p := range []string{ours, theirs} {
			st, err := os.Stat(p)
			if err != nil {
				t.Fatal(err)
			}
			if got := st.Mode().Perm(); got != mode {
				t.Errorf("%s: mode %04o after Set, want %04o", filepath.Base(p), got, mode)
			}
		}
	}
}
