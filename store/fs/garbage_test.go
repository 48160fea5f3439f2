package fs_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"git-remote-object-store/store"
	"git-remote-object-store/store/fs"
	"git-remote-object-store/store/storetest"
)

func TestGarbage(t *testing.T) {
	storetest.RunGarbage(t, func(t *testing.T) store.Store {
		s, err := fs.New(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		return s
	}, leaveTempFile)
}

// leaveTempFile leaves what a Put killed before its rename leaves: an upload file in
// .gros/tmp (the key is not recorded there).
func leaveTempFile(_ context.Context, st store.Store, _ string) error {
	dir := filepath.Join(st.(*fs.Store).Root(), ".gros", "tmp")
	if err := os.MkdirAll(dir, 0o777); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, "put-")
	if err != nil {
		return err
	}
	f.WriteString("half an upload\n")
	return f.Close()
}

// TestGarbageByAge: the cutoff is compared with the file's modification time; files
// that are not uploads, and a bucket that was never written, are no garbage, and
// listing creates nothing.
func TestGarbageByAge(t *testing.T) {
	root := filepath.Join(t.TempDir(), "bucket")
	s, err := fs.New(root)
	if err != nil {
		t.Fatal(err)
	}
	count := func(olderThan time.Time) int {
		n := 0
		if err := s.ListGarbage(t.Context(), "", olderThan, func(store.Garbage) error { n++; return nil }); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if n := count(time.Now().Add(time.Hour)); n != 0 {
		t.Fatalf("a missing bucket has %d leftovers", n)
	}
	if _, err := os.Stat(root); !os.IsNotExist(err) {
		t.Fatalf("listing garbage created the bucket directory (%v)", err)
	}
	tmp := filepath.Join(root, ".gros", "tmp")
	os.MkdirAll(tmp, 0o777)
	old := filepath.Join(tmp, "put-old")
	os.WriteFile(old, []byte("x"), 0o666)
	os.WriteFile(filepath.Join(tmp, "other-file"), []byte("x"), 0o666)
	os.Mkdir(filepath.Join(tmp, "put-dir"), 0o777)
	twoDays := time.Now().Add(-48 * time.Hour)
	os.Chtimes(old, twoDays, twoDays)
	if n := count(time.Now().Add(-24 * time.Hour)); n != 1 {
		t.Fatalf("a two-day-old upload file against a one-day cutoff: %d leftovers, want 1", n)
	}
	if n := count(time.Now().Add(-72 * time.Hour)); n != 0 {
		t.Fatalf("against a three-day cutoff: %d leftovers, want 0", n)
	}
	if n := 0; s.ListGarbage(t.Context(), "x/", time.Now(), func(store.Garbage) error { n++; return nil }) != nil || n != 0 {
		t.Fatalf("a temporary file was listed under a prefix")
	}
	if err := s.RemoveGarbage(t.Context(), store.Garbage{Kind: store.GarbageTemp, ID: "other-file"}); err == nil {
		t.Fatal("RemoveGarbage removed a file that is not an upload")
	}
	if err := s.RemoveGarbage(t.Context(), store.Garbage{Kind: store.GarbageTemp, ID: "put-../../x"}); err == nil {
		t.Fatal("RemoveGarbage accepted a path")
	}
}
