package azblob

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"git-remote-object-store/store"
	"git-remote-object-store/store/internal/httpstore"
)

var _ store.Janitor = (*Store)(nil)

// ListGarbage implements store.Janitor: blobs below prefix that exist only as
// uncommitted blocks (List Blobs with include=uncommittedblobs; a zero-length entry
// whose Get Blob Properties says 404 has no committed version), last modified before
// olderThan, each with the bytes its blocks hold (Get Block List). A committed blob that
// also carries uncommitted blocks (an overwrite that died) is not reported: dropping
// those blocks would mean re-committing the blob, and Azure discards them by itself a
// week after the last Put Block.
func (s *Store) ListGarbage(ctx context.Context, prefix string, olderThan time.Time, fn func(store.Garbage) error) error {
	return s.listBlobs(ctx, "list uncommitted blobs", prefix, "uncommittedblobs", func(b blobEntry) error {
		if b.Properties.ContentLength != 0 {
			return nil // a committed blob
		}
		t, err := time.Parse(time.RFC1123, cmp.Or(b.Properties.LastModified, b.Properties.CreationTime))
		if err != nil || !t.Before(olderThan) {
			return nil // too young, or no date to judge by: never guess "abandoned"
		}
		size, err := s.uncommittedSize(ctx, b.Name)
		if errors.Is(err, errCommitted) || errors.Is(err, store.ErrNotFound) {
			return nil // an empty committed blob, or gone meanwhile
		}
		if err != nil {
			return err
		}
		return fn(store.Garbage{Kind: store.GarbageBlocks, Key: b.Name, Size: size, Time: t.UTC(), ID: httpstore.Unquote(b.Properties.Etag)})
	})
}

var errCommitted = errors.New("the blob has a committed version")

// uncommittedSize tells whether key exists only as uncommitted blocks (errCommitted when
// a committed blob answers Get Blob Properties, ErrNotFound when no block is left) and
// sums the sizes of those blocks.
func (s *Store) uncommittedSize(ctx context.Context, key string) (int64, error) {
	if err := s.committed(ctx, key); err != nil {
		return 0, err
	}
	list, _, err := s.getBlockList(ctx, key, "uncommitted")
	if err != nil {
		return 0, err
	}
	if len(list.Uncommitted) == 0 {
		return 0, &store.Error{Op: "get block list", Key: key, Err: store.ErrNotFound}
	}
	var total int64
	for _, b := range list.Uncommitted {
		total += b.Size
	}
	return total, nil
}

// committed returns errCommitted when key has a committed version, nil when Get Blob
// Properties says 404 (which it does for a blob that has only uncommitted blocks).
func (s *Store) committed(ctx context.Context, key string) error {
	_, err := s.Head(ctx, key)
	switch {
	case err == nil:
		return errCommitted
	case errors.Is(err, store.ErrNotFound):
		return nil
	}
	return err
}

// RemoveGarbage implements store.Janitor. Azure has no call that drops uncommitted blocks
// alone; Delete Blob on a name that has only uncommitted blocks removes them with the
// name. So the name is first checked to have no committed version, and the delete is
// conditional on not having been modified since the time the leftover was listed with:
// a blob committed in between is newer, fails the delete (412) and stays.
func (s *Store) RemoveGarbage(ctx context.Context, g store.Garbage) error {
	const op = "delete uncommitted blocks"
	if g.Kind != store.GarbageBlocks || g.Key == "" || g.Time.IsZero() {
		return &store.Error{Op: op, Key: g.Key, Err: fmt.Errorf("not an uncommitted blob of this store: %v", g)}
	}
	err := s.committed(ctx, g.Key)
	if errors.Is(err, errCommitted) {
		return nil // committed since it was listed: no longer garbage, and never ours to delete
	}
	if err != nil {
		return err
	}
	h := http.Header{}
	h.Set("If-Unmodified-Since", g.Time.UTC().Format(http.TimeFormat))
	_, err = s.http.Do(ctx, &httpstore.Request{Op: op, Method: "DELETE", Key: g.Key, Header: h}, nil)
	if errors.Is(err, store.ErrPrecondition) {
		if cerr := s.committed(ctx, g.Key); errors.Is(cerr, errCommitted) {
			return nil
		}
		if se, ok := err.(*store.Error); ok {
			se.Hint = "blocks were staged on it since it was listed, so an upload may be alive; it was left alone (Azure drops uncommitted blocks a week after the last one)"
		}
	}
	return store.IgnoreNotFound(err)
}
