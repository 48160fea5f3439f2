package gitpack

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Discover finds the git directory the way git does for a command run in dir: $GIT_DIR
// if set, else the first ".git" found walking up, where a ".git" file (a submodule or a
// worktree) holds "gitdir: <path>".
func Discover(dir string) (string, error) {
	if d := os.Getenv("GIT_DIR"); d != "" {
		if !filepath.IsAbs(d) {
			d = filepath.Join(dir, d)
		}
		return d, nil
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	for d := abs; ; {
		p := filepath.Join(d, ".git")
		if st, err := os.Stat(p); err == nil {
			if st.IsDir() {
				return p, nil
			}
			data, err := os.ReadFile(p)
			if err != nil {
				return "", err
			}
			target, ok := strings.CutPrefix(strings.TrimSpace(string(data)), "gitdir:")
			if !ok {
				return "", fmt.Errorf("%s: not a gitdir file", p)
			}
			target = strings.TrimSpace(target)
			if !filepath.IsAbs(target) {
				target = filepath.Join(d, target)
			}
			return filepath.Clean(target), nil
		}
		if _, err := os.Stat(filepath.Join(d, "objects")); err == nil && filepath.Base(d) != ".git" {
			if _, err := os.Stat(filepath.Join(d, "HEAD")); err == nil {
				return d, nil // a bare repository
			}
		}
		parent := filepath.Dir(d)
		if parent == d {
			return "", fmt.Errorf("not a git repository (nor any parent up to /): %s", abs)
		}
		d = parent
	}
}
