//go:build unix

package fs_test

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"git-remote-object-store/store"
	"git-remote-object-store/store/fs"
)

// Files and directories follow the umask, so a second user of a shared group can read
// (and with a group-writable umask, write) the bucket.
func TestModesFollowUmask(t *testing.T) {
	old := syscall.Umask(0o002)
	defer syscall.Umask(old)
	s, _ := fs.New(filepath.Join(t.TempDir(), "repo"))
	if _, err := s.Put(t.Context(), "refs/heads/main/x.bundle", strings.NewReader("b"), 1, store.Cond{}); err != nil {
		t.Fatal(err)
	}
	for p, want := range map[string]os.FileMode{
		"":                         0o775 | os.ModeDir,
		"refs/heads":               0o775 | os.ModeDir,
		"refs/heads/main/x.bundle": 0o664,
		".gros/lock":               0o664,
	} {
		fi, err := os.Stat(filepath.Join(s.Root(), p))
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode() != want {
			t.Errorf("%s has mode %v, want %v", p, fi.Mode(), want)
		}
	}
}
