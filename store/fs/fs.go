package fs

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"

	"git-remote-object-store/store"
)

// ErrBadKey: a key that could escape the root or is not a valid object name.
var ErrBadKey = errors.New("invalid key")

const stateDir = ".gros"

// Store is a directory used as a bucket.
type Store struct {
	root string
	// fold caches foldsCase's probe of the file system.
	fold struct {
		mu         sync.Mutex
		known, yes bool
	}
}

var _ store.Store = (*Store)(nil)

// ErrNoRoot: the bucket directory is missing and so is its parent, which is what an
// unmounted disk or a mistyped path looks like. Nothing is created for it.
var ErrNoRoot = errors.New("remote directory does not exist")

// New opens the directory root as a bucket. Nothing is created until the first write,
// so reading a mistyped path leaves no trace; a root whose parent exists but which does
// not yet exist itself is an empty bucket.
func New(root string) (*Store, error) {
	abs, err := filepath.Abs(root)
	if err != nil {
		return nil, fmt.Errorf("remote directory %s: %w", root, err)
	}
	return &Store{root: abs}, nil
}

// checkRoot is called when a path below the root was missing: it tells an empty bucket
// (root, or at least its parent, present) from one that cannot be there at all.
func (s *Store) checkRoot(op, key string) error {
	if _, err := os.Stat(s.root); err == nil || !errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if _, err := os.Stat(filepath.Dir(s.root)); errors.Is(err, os.ErrNotExist) {
		return &store.Error{Op: op, Key: key, Err: ErrNoRoot,
			Remote: fmt.Sprintf("remote directory %s does not exist, nor its parent", s.root),
			Hint:   "check the path in the remote URL, and that the disk or share holding it is mounted"}
	}
	return nil
}

// ensureRoot creates the bucket directory and the backend's state directories before a
// write. The root is created only when its parent exists (see ErrNoRoot); modes follow
// the umask, so a group-writable umask gives a bucket a team can share.
func (s *Store) ensureRoot(op, key string) error {
	if err := s.checkRoot(op, key); err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Join(s.root, stateDir, "tmp"), 0o777); err != nil {
		return &store.Error{Op: op, Key: key, Err: err}
	}
	return nil
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
	if CheckKey(key) != nil {
		return "", &store.Error{Op: op, Key: key, Err: ErrBadKey} // the key is named once
	}
	if checkWindowsNames {
		if err := portableKey(key); err != nil {
			return "", &store.Error{Op: op, Key: key, Err: err,
				Hint: "the directory backend stores each key as a file; rename the ref, or keep this remote on Linux or macOS"}
		}
	}
	return filepath.Join(s.root, filepath.FromSlash(key)), nil
}

// openError classifies a failed open of key's file.
func (s *Store) openError(op, key string, err error) error {
	if errors.Is(err, os.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) {
		// Decided by the open itself: a stat after it could already see the object
		// that a concurrent writer put back.
		if rerr := s.checkRoot(op, key); rerr != nil {
			return rerr
		}
		return &store.Error{Op: op, Key: key, Err: store.ErrNotFound}
	}
	return &store.Error{Op: op, Key: key, Err: err}
}

// Head implements store.Store. It opens the file rather than stat the path, so size,
// time and ETag all describe one version even while a writer replaces it.
func (s *Store) Head(ctx context.Context, key string) (store.Info, error) {
	p, err := s.path("head", key)
	if err != nil {
		return store.Info{}, err
	}
	f, in, err := s.openInfo("head", key, p)
	if err != nil {
		return store.Info{}, err
	}
	f.Close()
	return in, nil
}

// Get implements store.Store.
func (s *Store) Get(ctx context.Context, key string, r *store.Range) (io.ReadCloser, store.Info, error) {
	p, err := s.path("get", key)
	if err != nil {
		return nil, store.Info{}, err
	}
	f, in, err := s.openInfo("get", key, p)
	if err != nil {
		return nil, store.Info{}, err
	}
	if r == nil {
		return f, in, nil
	}
	if r.Offset < 0 || r.Offset > in.Size {
		f.Close()
		return nil, store.Info{}, &store.Error{Op: "get", Key: key,
			Message: fmt.Sprintf("range starts at %d, object has %d bytes", r.Offset, in.Size)}
	}
	if _, err := f.Seek(r.Offset, io.SeekStart); err != nil {
		f.Close()
		return nil, store.Info{}, &store.Error{Op: "get", Key: key, Err: err}
	}
	n := in.Size - r.Offset
	if r.Length >= 0 && r.Length < n {
		n = r.Length
	}
	return struct {
		io.Reader
		io.Closer
	}{io.LimitReader(f, n), f}, in, nil
}
