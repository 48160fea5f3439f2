package bundle

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"git-remote-object-store/engine"
	"git-remote-object-store/gitpack"
	"git-remote-object-store/gitpack/object"
	"git-remote-object-store/internal/testenv"
	"git-remote-object-store/store"
	"git-remote-object-store/store/fs"
)

// TestRivalLockRefusesCreation: a ref is not created while a push holds the lock of a ref
// that cannot live beside it (above or below it), since that push may land first; a lock
// older than the lock TTL (a push that died) does not count.
func TestRivalLockRefusesCreation(t *testing.T) {
	src := t.TempDir()
	testenv.RunGit(t, src, "init", "-q", "-b", "main")
	testenv.RunGit(t, src, "-c", "user.name=T", "-c", "user.email=t@e", "commit", "-q", "--allow-empty", "-m", "one")
	tip, _ := object.ParseHash(strings.TrimSpace(testenv.RunGit(t, src, "rev-parse", "HEAD")))
	repo, err := gitpack.Open(filepath.Join(src, ".git"))
	if err != nil {
		t.Fatal(err)
	}
	defer repo.Close()
	for _, c := range []struct{ locked, pushed string }{
		{"refs/heads/release", "refs/heads/release/1.0"},
		{"refs/heads/release/1.0", "refs/heads/release"},
		{"refs/heads/a/b/c", "refs/heads/a/b"},
	} {
		root := t.TempDir()
		st, err := fs.New(root)
		if err != nil {
			t.Fatal(err)
		}
		lockKey := c.locked + "/" + lockName
		if _, err := st.Put(t.Context(), lockKey, strings.NewReader("another push"), 12, store.Cond{}); err != nil {
			t.Fatal(err)
		}
		e := New(engine.Config{Store: st, Repo: repo, LockTTL: time.Minute})
		push := func() error {
			res, err := e.Push(t.Context(), []engine.Update{{Src: tip, Dst: c.pushed}}, engine.Options{})
			if err != nil {
				return err
			}
			return res[0].Err
		}
		want := "'" + c.locked + "' is being pushed; cannot create '" + c.pushed + "' beside it"
		if err := push(); err == nil || !strings.Contains(err.Error(), want) {
			t.Fatalf("push %s while %s is locked: %v, want %q", c.pushed, c.locked, err, want)
		}
		old := time.Now().Add(-2 * time.Minute)
		if err := os.Chtimes(filepath.Join(root, filepath.FromSlash(lockKey)), old, old); err != nil {
			t.Fatal(err)
		}
		if err := push(); err != nil {
			t.Fatalf("push %s beside a stale lock of %s: %v", c.pushed, c.locked, err)
		}
	}
}
