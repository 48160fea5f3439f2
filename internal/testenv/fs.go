package testenv

import (
	"testing"

	"git-remote-object-store/store"
	"git-remote-object-store/store/fs"
)

// FSStore returns a fresh local-directory store in a temporary directory.
func FSStore(t testing.TB) store.Store {
	t.Helper()
	s, err := fs.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return s
}
