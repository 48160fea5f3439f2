package fs

import (
	"context"
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
	tmp, err := s.writeTemp(ctx, body, size)
	if err != nil {
		return store.Info{}, &store.Error{Op: "put", Key: key, Err: err}
	}
	defer os.Remove(tmp) // a no-op once renamed
	var in store.Info
	err = s.locked(func() error {
		if err := s.checkCond(key, p, c); err != nil {
			return err
		}
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return &store.Error{Op: "put", Key: key, Err: err, Hint: "a key and a prefix of the same name cannot coexist in a directory"}
		}
		if err := os.Rename(tmp, p); err != nil {
			return &store.Error{Op: "put", Key: key, Err: err}
		}
		syncDir(filepath.Dir(p))
		fi, err := os.Stat(p)
		if err != nil {
			return &store.Error{Op: "put", Key: key, Err: err}
		}
		in = info(key, p, fi)
		return nil
	})
	return in, err
}

func (s *Store) checkCond(key, p string, c store.Cond) error {
	if !c.IfNoneMatch && c.IfMatch == "" {
		return nil
	}
	cur, err := s.stat("put", key, p)
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

// writeTemp copies body into a new temporary file, checking ctx between reads so a
// cancelled upload stops promptly and leaves nothing behind.
func (s *Store) writeTemp(ctx context.Context, body io.Reader, size int64) (string, error) {
	f, err := os.CreateTemp(filepath.Join(s.root, stateDir, "tmp"), "put-*")
	if err != nil {
		return "", err
	}
	name := f.Name()
	sum := sha256.New()
	n, err := io.Copy(io.MultiWriter(f, sum), ctxReader{ctx, body})
	if err == nil && size >= 0 && n != size {
		err = fmt.Errorf("body has %d bytes, %d were announced", n, size)
	}
	if err == nil {
		// Best effort: without user xattrs the ETag falls back to the file's identity.
		syscall.Setxattr(name, etagAttr, []byte(hex.EncodeToString(sum.Sum(nil))), 0)
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(name)
		return "", err
	}
	return name, nil
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
	return s.locked(func() error {
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

// locked runs fn holding an exclusive flock(2) on <root>/.gros/lock. The kernel drops
// the lock when the holder dies, so a crash never leaves the bucket locked.
func (s *Store) locked(fn func() error) error {
	f, err := os.OpenFile(filepath.Join(s.root, stateDir, "lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return fmt.Errorf("fs: open lock: %w", err)
	}
	defer f.Close()
	if err := flock(f); err != nil {
		return fmt.Errorf("fs: lock: %w", err)
	}
	defer syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
	return fn()
}

func flock(f *os.File) error {
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX)
		if err != syscall.EINTR {
			return err
		}
	}
}

func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
}
