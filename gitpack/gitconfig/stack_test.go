package gitconfig_test

import (
	"os"
	"path/filepath"
	"testing"

	"git-remote-object-store/gitpack/gitconfig"
	"git-remote-object-store/internal/testenv"
)

// TestReadAllSeesWhatGitPassesDown: the settings of `git -c` reach a remote helper
// through GIT_CONFIG_PARAMETERS (as git quotes them, odd characters included) and win
// over the global, system and repository files, read in git's order.
func TestReadAllSeesWhatGitPassesDown(t *testing.T) {
	dir := t.TempDir()
	testenv.RunGit(t, dir, "init", "-q", ".")
	params := testenv.RunGit(t, dir, "-c", "alias.params=!printenv GIT_CONFIG_PARAMETERS",
		"-c", "transfer.fsckObjects=true", "-c", "fetch.fsck.badDate=ignore", "-c", "Remote.My Odd'Name!.URL=x'y z",
		"-c", "core.bare", "params")
	t.Logf("GIT_CONFIG_PARAMETERS=%s", params)
	global := filepath.Join(dir, "global")
	os.WriteFile(global, []byte("[transfer]\n\tfsckObjects = false\n[fetch]\n\tfsckObjects = yes\n"), 0o644)
	system := filepath.Join(dir, "system")
	os.WriteFile(system, []byte("[fetch]\n\tfsckObjects = no\n[user]\n\tname = sys\n"), 0o644)
	t.Setenv("GIT_CONFIG_PARAMETERS", params)
	t.Setenv("GIT_CONFIG_GLOBAL", global)
	t.Setenv("GIT_CONFIG_SYSTEM", system)
	t.Setenv("GIT_CONFIG_NOSYSTEM", "")
	t.Setenv("GIT_CONFIG_COUNT", "1")
	t.Setenv("GIT_CONFIG_KEY_0", "user.email")
	t.Setenv("GIT_CONFIG_VALUE_0", "e@example.com")
	c, err := gitconfig.ReadAll(filepath.Join(dir, ".git", "config"))
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []struct{ sec, sub, key, want string }{
		{"transfer", "", "fsckobjects", "true"},
		{"fetch", "", "fsckobjects", "yes"},
		{"fetch", "fsck", "baddate", "ignore"},
		{"remote", "My Odd'Name!", "url", "x'y z"},
		{"user", "", "name", "sys"},
		{"user", "", "email", "e@example.com"},
		{"core", "", "bare", "true"},
		{"core", "", "repositoryformatversion", "0"},
	} {
		if got := c.Get(w.sec, w.sub, w.key); got != w.want {
			t.Errorf("%s.%s.%s = %q, want %q", w.sec, w.sub, w.key, got, w.want)
		}
	}
	t.Setenv("GIT_CONFIG_PARAMETERS", "'unterminated")
	if _, err := gitconfig.ReadAll(""); err == nil {
		t.Error("a bogus GIT_CONFIG_PARAMETERS was accepted")
	}
	for v, want := range map[string]bool{"true": true, "Yes": true, "on": true, "1": true, "-2": true, "false": false, "off": false, "0": false, "": false} {
		if got, err := gitconfig.Bool(v, false); err != nil || got != want {
			t.Errorf("Bool(%q) = %v, %v", v, got, err)
		}
	}
	if _, err := gitconfig.Bool("maybe", false); err == nil {
		t.Error("Bool(maybe) accepted")
	}
}
