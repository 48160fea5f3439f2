package fs

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"syscall"

	"git-remote-object-store/store"
)

// Put implements store.Store: the body goes to a temporary file (fsynced), then, holding
// the cross-process lock, the condition is checked and the file renamed into place.
func (s *Store) Put(ctx context.Context, key string, body io.Reader, size int64, c store.Cond) (store.Info, error) {
	return s.PutMeta(ctx, key, body, size, c, store.Meta{})
}

// PutMeta implements store.MetaPutter. A directory has nowhere to keep HTTP metadata, so
// it is accepted and dropped: only the CodePipeline zip mirror sets any, and CodePipeline
// does not read local directories.
func (s *Store) PutMeta(ctx context.Context, key string, body io.Reader, size int64, c store.Cond, _ store.Meta) (store.Info, error) {
	p, err := s.path("put", key)
	if err != nil {
		return store.Info{}, err
	}
	if err := s.ensureRoot("put", key); err != nil {
		return store.Info{}, err
	}
	tmp, in, err := s.writeTemp(ctx, body, size)
	if err != nil {
		return store.Info{}, &store.Error{Op: "put", Key: key, Err: err}
	}
	in.Key = key
	defer os.Remove(tmp) // a no-op once renamed
	err = s.locked("put", key, func() error {
		if err := s.checkCase("put", key); err != nil {
			return err
		}
		if err := s.checkCond(key, p, c); err != nil {
			return err
		}
		if err := os.MkdirAll(filepath.Dir(p), 0o777); err != nil {
			return &store.Error{Op: "put", Key: key, Err: err, Hint: "a key and a prefix of the same name cannot coexist in a directory"}
		}
		if err := replaceFile(tmp, p); err != nil {
			return &store.Error{Op: "put", Key: key, Err: err}
		}
		syncDir(filepath.Dir(p))
		return nil
	})
	if err != nil {
		return store.Info{}, err
	}
	return in, nil
}

// checkCond runs under the lock, so the version it reads is the one the rename replaces.
func (s *Store) checkCond(key, p string, c store.Cond) error {
	if !c.IfNoneMatch && c.IfMatch == "" {
		return nil
	}
	f, cur, err := s.openInfo("put", key, p)
	if err == nil {
		f.Close()
	}
	switch {
	case err != nil && !errors.Is(err, store.ErrNotFound):
		return err
	case c.IfNoneMatch && err == nil:
		return &store.Error{Op: "put", Key: key, Code: "AlreadyExists", Err: store.ErrPrecondition}
	case c.IfMatch != "" && err != nil:
		return &store.Error{Op: "put", Key: key, Code: "IfMatchOnMissingKey", Err: store.ErrNotFound}
	case c.IfMatch != "" && cur.ETag != c.IfMatch:
		return &store.Error{Op: "put", Key: key, Code: "ETagMismatch", Err: store.ErrPrecondition}
	}
	return nil
}

// tempPrefix names upload files in <root>/.gros/tmp; gc and doctor recognise leftovers by it.
const tempPrefix = "put-"

// createTemp is os.CreateTemp with the umask's mode instead of 0600, so the object it
// becomes is readable by whoever the directory's owner meant to share it with.
func (s *Store) createTemp() (*os.File, error) {
	dir := filepath.Join(s.root, stateDir, "tmp")
	for range 100 {
		var b [12]byte
		rand.Read(b[:])
		f, err := os.OpenFile(filepath.Join(dir, tempPrefix+hex.EncodeToString(b[:])), os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o666)
		if !errors.Is(err, os.ErrExist) {
			return f, err
		}
	}
	return nil, fmt.Errorf("no free temporary name in %s", dir)
}

// writeTemp copies body into a new temporary file, checking ctx between reads so a
// cancelled upload stops promptly and leaves nothing behind. The Info it returns is read
// from the file before it is closed; the rename keeps all of it (content, xattr, inode).
func (s *Store) writeTemp(ctx context.Context, body io.Reader, size int64) (string, store.Info, error) {
	f, err := s.createTemp()
	if err != nil {
		return "", store.Info{}, err
	}
	name := f.Name()
	sum := sha256.New()
	n, err := io.Copy(io.MultiWriter(f, sum), ctxReader{ctx, body})
	if err == nil && size >= 0 && n != size {
		err = fmt.Errorf("body has %d bytes, %d were announced", n, size)
	}
	var in store.Info
	if err == nil {
		setTag(f, tagValue(sum.Sum(nil)))
		err = f.Sync()
	}
	if err == nil {
		var fi os.FileInfo
		if fi, err = f.Stat(); err == nil {
			in = store.Info{Size: fi.Size(), ETag: fileETag(f, fi), LastModified: fi.ModTime().UTC()}
		}
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(name)
		return "", store.Info{}, err
	}
	return name, in, nil
}

type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

// Delete implements store.Store; empty parent directories are removed too, so a deleted
// ref leaves no trace and no key/prefix clash for later keys.
func (s *Store) Delete(ctx context.Context, key string) error {
	p, err := s.path("delete", key)
	if err != nil {
		return err
	}
	if _, err := os.Stat(filepath.Join(s.root, stateDir)); errors.Is(err, os.ErrNotExist) {
		if _, err := os.Lstat(p); errors.Is(err, os.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) {
			return s.checkRoot("delete", key) // nothing was ever written here: nothing to delete
		}
	}
	return s.locked("delete", key, func() error {
		// Else deleting "a/main" would remove "a/Main", another key's object.
		if err := s.checkCase("delete", key); err != nil {
			return err
		}
		err := os.Remove(p)
		if err != nil && !errors.Is(err, os.ErrNotExist) && !errors.Is(err, syscall.ENOTDIR) {
			return &store.Error{Op: "delete", Key: key, Err: err}
		}
		for d := filepath.Dir(p); d != s.root && len(d) > len(s.root); d = filepath.Dir(d) {
			if os.Remove(d) != nil { // not empty (or gone): stop climbing
				break
			}
		}
		return nil
	})
}

// locked runs fn holding the bucket's write lock, an exclusive OS lock on
// <root>/.gros/lock: every check-and-rename and every delete happens under it, which is
// what makes a conditional write one atomic step across processes.
func (s *Store) locked(op, key string, fn func() error) error {
	// The os errors name the path; a *store.Error names the operation and key.
	if err := os.MkdirAll(filepath.Join(s.root, stateDir), 0o777); err != nil {
		return &store.Error{Op: op, Key: key, Err: err}
	}
	f, err := os.OpenFile(filepath.Join(s.root, stateDir, "lock"), os.O_CREATE|os.O_RDWR, 0o666)
	if err != nil {
		return &store.Error{Op: op, Key: key, Err: err}
	}
	defer f.Close()
	if err := lockFile(f); err != nil {
		return &store.Error{Op: op, Key: key, Err: fmt.Errorf("lock %s: %w", f.Name(), err)}
	}
	defer unlockFile(f)
	return fn()
}

func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
}
