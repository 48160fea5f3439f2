package fs

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"git-remote-object-store/store"
)

// List implements store.Store. Keys are collected and sorted before fn sees any, because
// a directory walk is not key order ("a-b" sorts before "a/b" but a walk visits the
// directory "a" first). Only names are held, never contents.
func (s *Store) List(ctx context.Context, prefix string, fn func(store.Info) error) error {
	// Start at the deepest directory the prefix names fully.
	start := s.root
	if i := strings.LastIndex(prefix, "/"); i >= 0 {
		dir := prefix[:i]
		if CheckKey(dir) != nil {
			return nil // no valid key can have this prefix
		}
		start = filepath.Join(s.root, filepath.FromSlash(dir))
	}
	var keys []string
	err := filepath.WalkDir(start, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, os.ErrNotExist) {
				if p == start {
					return s.checkRoot("list", prefix)
				}
				return nil
			}
			return err
		}
		if cerr := ctx.Err(); cerr != nil {
			return cerr
		}
		rel, _ := filepath.Rel(s.root, p)
		key := filepath.ToSlash(rel)
		if d.IsDir() {
			if p != s.root && (key == stateDir || !couldMatch(key+"/", prefix)) {
				return filepath.SkipDir
			}
			return nil
		}
		if d.Type().IsRegular() && strings.HasPrefix(key, prefix) && CheckKey(key) == nil {
			keys = append(keys, key)
		}
		return nil
	})
	var se *store.Error
	if errors.As(err, &se) {
		return err // checkRoot's, which names the listing already
	}
	if err != nil {
		return &store.Error{Op: "list", Key: prefix, Err: err}
	}
	sort.Strings(keys)
	for _, key := range keys {
		f, in, err := s.openInfo("list", key, filepath.Join(s.root, filepath.FromSlash(key)))
		if errors.Is(err, store.ErrNotFound) {
			continue // deleted while we listed
		}
		if err != nil {
			return err
		}
		f.Close()
		if err := fn(in); err != nil {
			return err
		}
	}
	return nil
}

// couldMatch reports whether keys below directory dir ("x/y/") can start with prefix.
func couldMatch(dir, prefix string) bool {
	return strings.HasPrefix(dir, prefix) || strings.HasPrefix(prefix, dir)
}
