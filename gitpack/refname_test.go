package gitpack_test

import (
	"os/exec"
	"testing"

	"git-remote-object-store/gitpack"
	"git-remote-object-store/internal/testenv"
)

// TestCheckRefNameMatchesGit compares our verdict with `git check-ref-format` for
// edge cases and generated names.
func TestCheckRefNameMatchesGit(t *testing.T) {
	gitBin := testenv.Git(t)
	names := []string{
		"refs/heads/main", "refs/heads/feature/x", "refs/tags/v1.0", "refs/heads/a..b", "refs/heads/.hidden",
		"refs/heads/x.lock", "refs/heads/x/", "/refs/heads/x", "refs//heads", "refs/heads/a b", "refs/heads/a~b",
		"refs/heads/a^b", "refs/heads/a:b", "refs/heads/a?b", "refs/heads/a*b", "refs/heads/a[b", `refs/heads/a\b`,
		"refs/heads/a@{b", "refs/heads/@", "@", "refs/heads/x.", "refs/heads/ünï", "refs/heads/a\x7fb", "refs/heads/a\tb",
		"main", "refs/heads/-dash", "refs/heads/a.lock/b", "refs/heads/.", "refs/heads/..", "refs/heads/a/.b",
		"refs/heads/a@b", "refs/heads/{x}", "refs/heads/a,b", "refs/heads/a#b", "refs/heads/LOCK#", "refs/heads/a..",
	}
	chars := " !\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~aZ09"
	for i := 0; i < len(chars); i++ {
		names = append(names, "refs/heads/x"+string(chars[i])+"y", "refs/heads/"+string(chars[i]), "refs/heads/x"+string(chars[i]))
	}
	for _, n := range names {
		gitOK := exec.Command(gitBin, "check-ref-format", n).Run() == nil
		ourOK := gitpack.CheckRefName(n) == nil
		if gitOK != ourOK {
			t.Errorf("%q: git says valid=%v, we say %v", n, gitOK, ourOK)
		}
	}
}

func FuzzCheckRefName(f *testing.F) {
	f.Add("refs/heads/main")
	f.Add("refs/heads/a..b")
	f.Fuzz(func(t *testing.T, name string) {
		if gitpack.CheckRefName(name) != nil {
			return
		}
		// A name we accept can never escape a key prefix or confuse the bucket layout.
		for _, bad := range []string{"..", "//", "\x00", "\n", " "} {
			if contains(name, bad) {
				t.Fatalf("accepted %q containing %q", name, bad)
			}
		}
	})
}

func contains(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return true
		}
	}
	return false
}
