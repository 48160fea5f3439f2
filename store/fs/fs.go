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
	"strings"
	"syscall"

	"git-remote-object-store/store"
)

// ErrBadKey: a key that could escape the root or is not a valid object name.
var ErrBadKey = errors.New("fs: invalid key")

const stateDir = ".gros"

// Store is a directory used as a bucket.
type Store struct {
	root string
}

var _ store.Store = (*Store)(nil)

// New opens (creating if needed) the directory root as a bucket.
func New(root string) (*Store, error) {
	abs, err := filepath.Abs(root)
	if err != nil {
		return nil, fmt.Errorf("fs: %w", err)
	}
	for _, d := range []string{abs, filepath.Join(abs, stateDir, "tmp")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, fmt.Errorf("fs: create %s: %w", d, err)
		}
	}
	return &Store{root: abs}, nil
}

// Root is the bucket directory.
func (s *Store) Root() string { return s.root }

// CheckKey reports whether key is a valid object key: '/'-separated non-empty segments,
// none "." or "..", no NUL or backslash, not absolute, not in the backend's state dir.
func CheckKey(key string) error {
	if key == "" || strings.HasPrefix(key, "/") || strings.ContainsAny(key, "\x00\\") {
		return fmt.Errorf("%w: %q", ErrBadKey, key)
	}
	for i, seg := range strings.Split(key, "/") {
		if seg == "" || seg == "." || seg == ".." || (i == 0 && strings.HasPrefix(seg, stateDir)) {
			return fmt.Errorf("%w: %q", ErrBadKey, key)
		}
	}
	return nil
}

func (s *Store) path(op, key string) (string, error) {
	if err := CheckKey(key); err != nil {
		return "", &store.Error{Op: op, Key: key, Err: err}
	}
	return filepath.Join(s.root, filepath.FromSlash(key)), nil
}

// etagAttr holds the SHA-256 of an object's content, set on the temporary file before
// the rename so content and tag land together.
const etagAttr = "user.gros.sha256"

// etag is the object's content hash when the file carries one (every object this
// backend wrote, on file systems with user xattrs); otherwise a hash of its identity
// (size, modification time, inode), which still changes with every write.
func etag(path string, fi os.FileInfo) string {
	buf := make([]byte, 64)
	if n, err := syscall.Getxattr(path, etagAttr, buf); err == nil && n == 64 {
		return string(buf[:32])
	}
	var ino uint64
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		ino = st.Ino
	}
	sum := sha256.Sum256(fmt.Appendf(nil, "%d:%d:%d", fi.Size(), fi.ModTime().UnixNano(), ino))
	return hex.EncodeToString(sum[:16])
}

func info(key, path string, fi os.FileInfo) store.Info {
	return store.Info{Key: key, Size: fi.Size(), ETag: etag(path, fi), LastModified: fi.ModTime().UTC()}
}

// stat returns the object's Info, or ErrNotFound (a directory is a prefix, not an object).
func (s *Store) stat(op, key, p string) (store.Info, error) {
	fi, err := os.Stat(p)
	if err != nil || !fi.Mode().IsRegular() {
		if err == nil || errors.Is(err, os.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) {
			return store.Info{}, &store.Error{Op: op, Key: key, Err: store.ErrNotFound}
		}
		return store.Info{}, &store.Error{Op: op, Key: key, Err: err}
	}
	return info(key, p, fi), nil
}

// Head implements store.Store.
func (s *Store) Head(ctx context.Context, key string) (store.Info, error) {
	p, err := s.path("head", key)
	if err != nil {
		return store.Info{}, err
	}
	return s.stat("head", key, p)
}

// Get implements store.Store.
func (s *Store) Get(ctx context.Context, key string, r *store.Range) (io.ReadCloser, store.Info, error) {
	p, err := s.path("get", key)
	if err != nil {
		return nil, store.Info{}, err
	}
	f, err := os.Open(p)
	if errors.Is(err, os.ErrNotExist) {
		// Decided by the open itself: a stat after it could already see the object that
		// a concurrent writer put back, and report this failed open as something else.
		return nil, store.Info{}, &store.Error{Op: "get", Key: key, Err: store.ErrNotFound}
	}
	if err != nil {
		_, serr := s.stat("get", key, p)
		if serr == nil {
			serr = &store.Error{Op: "get", Key: key, Err: err}
		}
		return nil, store.Info{}, serr
	}
	fi, err := f.Stat()
	if err != nil || !fi.Mode().IsRegular() {
		f.Close()
		return nil, store.Info{}, &store.Error{Op: "get", Key: key, Err: store.ErrNotFound}
	}
	in := info(key, p, fi)
	if r == nil {
		return f, in, nil
	}
	if r.Offset < 0 || r.Offset > fi.Size() {
		f.Close()
		return nil, store.Info{}, &store.Error{Op: "get", Key: key,
			Message: fmt.Sprintf("range starts at %d, object has %d bytes", r.Offset, fi.Size())}
	}
	if _, err := f.Seek(r.Offset, io.SeekStart); err != nil {
		f.Close()
		return nil, store.Info{}, &store.Error{Op: "get", Key: key, Err: err}
	}
	n := fi.Size() - r.Offset
	if r.Length >= 0 && r.Length < n {
		n = r.Length
	}
	return struct {
		io.Reader
		io.Closer
	}{io.LimitReader(f, n), f}, in, nil
}
