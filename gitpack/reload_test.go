package gitpack

import (
	"os"
	"path/filepath"
	"testing"

	"git-remote-object-store/gitpack/object"
)

// TestReload: git clone rewrites the new repository's config with the remote's object
// format after the helper opened it; Reload picks that up, and a config it cannot use
// leaves the repository as it was.
func TestReload(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "r.git")
	if _, err := InitBare(dir, object.SHA1); err != nil {
		t.Fatal(err)
	}
	r, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	write := func(s string) {
		if err := os.WriteFile(filepath.Join(dir, "config"), []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("[core]\n\trepositoryformatversion = 1\n\tbare = true\n[extensions]\n\tobjectformat = sha256\n")
	if err := r.Reload(); err != nil || r.Format() != object.SHA256 {
		t.Fatalf("after reload: %v, format %v", err, r.Format())
	}
	write("[core]\n\trepositoryformatversion = 1\n[extensions]\n\tobjectformat = sha512\n")
	if err := r.Reload(); err == nil || r.Format() != object.SHA256 {
		t.Fatalf("reload of an unusable config: %v, format %v", err, r.Format())
	}
}
