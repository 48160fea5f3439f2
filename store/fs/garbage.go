package fs

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"git-remote-object-store/store"
)

var _ store.Janitor = (*Store)(nil)

// ListGarbage implements store.Janitor: the upload files in <root>/.gros/tmp (named
// tempPrefix + random) last written before olderThan, left by a process that died
// between creating one and renaming it into place. A temporary file does not record the
// key it was for, so each is reported without a key, and only for prefix "". A missing
// root or state directory is no garbage; nothing is created while listing.
func (s *Store) ListGarbage(ctx context.Context, prefix string, olderThan time.Time, fn func(store.Garbage) error) error {
	if prefix != "" {
		return nil
	}
	dir := filepath.Join(s.root, stateDir, "tmp")
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return &store.Error{Op: "list garbage", Key: stateDir + "/tmp", Err: err}
	}
	for _, e := range entries {
		if err := ctx.Err(); err != nil {
			return err
		}
		if !strings.HasPrefix(e.Name(), tempPrefix) || !e.Type().IsRegular() {
			continue
		}
		fi, err := e.Info()
		if errors.Is(err, os.ErrNotExist) {
			continue // renamed into place or removed meanwhile
		}
		if err != nil {
			return &store.Error{Op: "list garbage", Key: stateDir + "/tmp/" + e.Name(), Err: err}
		}
		if !fi.ModTime().Before(olderThan) {
			continue // possibly an upload in progress
		}
		g := store.Garbage{Kind: store.GarbageTemp, Size: fi.Size(), Time: fi.ModTime().UTC(), ID: e.Name()}
		if err := fn(g); err != nil {
			return err
		}
	}
	return nil
}

// RemoveGarbage implements store.Janitor: it deletes one temporary file. Only a plain
// name with the upload prefix is accepted, so nothing outside .gros/tmp can be named.
func (s *Store) RemoveGarbage(ctx context.Context, g store.Garbage) error {
	name := g.ID
	if g.Kind != store.GarbageTemp || !strings.HasPrefix(name, tempPrefix) || strings.ContainsAny(name, `/\`+"\x00") ||
		name != filepath.Base(name) {
		return &store.Error{Op: "remove garbage", Key: name, Err: fmt.Errorf("not a temporary file of this store: %v", g)}
	}
	err := os.Remove(filepath.Join(s.root, stateDir, "tmp", name))
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return &store.Error{Op: "remove garbage", Key: stateDir + "/tmp/" + name, Err: err}
	}
	return nil
}
