package azblob

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"time"

	"git-remote-object-store/store"
	"git-remote-object-store/store/internal/httpstore"
)

var _ store.Resumer = (*Store)(nil)

// parseUploadID returns the block-id prefix of a resumable upload: its id is that prefix
// in hex, and part n is the block blockID(prefix, n), the shape Put's block ids have.
func parseUploadID(key, id string) ([]byte, error) {
	b, err := hex.DecodeString(id)
	if err != nil || len(b) != uploadIDBytes {
		return nil, &store.Error{Op: "upload", Key: key, Err: fmt.Errorf("%w: upload id %q is not one of this store's", store.ErrNotFound, id)}
	}
	return b, nil
}

// PartSize implements store.Resumer: the configured block size.
func (s *Store) PartSize() int64 { return s.cfg.BlockSize }

// UploadScope implements store.Resumer: the account endpoint (no user info, query or
// fragment, so never a SAS) and the container.
func (s *Store) UploadScope() string {
	return "azblob " + httpstore.EndpointScope(s.cfg.Endpoint) + " container " + s.cfg.Container
}

// StartUpload implements store.Resumer. Azure keeps no record of an upload apart from
// its blocks, so this only draws the id.
func (s *Store) StartUpload(ctx context.Context, key string) (string, error) {
	b := make([]byte, uploadIDBytes)
	rand.Read(b)
	return hex.EncodeToString(b), nil
}

// UploadPart implements store.Resumer with Put Block (Content-MD5 checked by Azure).
func (s *Store) UploadPart(ctx context.Context, key, id string, n int, data []byte) (store.Part, error) {
	prefix, err := parseUploadID(key, id)
	if err != nil {
		return store.Part{}, err
	}
	if n < 1 || n > 50000 {
		return store.Part{}, &store.Error{Op: "put block", Key: key, Err: fmt.Errorf("part number %d is outside 1..50000", n)}
	}
	bid := blockID(prefix, n)
	if err := s.putBlock(ctx, key, bid, data); err != nil {
		return store.Part{}, err
	}
	return store.Part{Number: n, Size: int64(len(data)), ETag: bid}, nil
}

// ListParts implements store.Resumer with Get Block List (uncommitted): this upload's
// blocks, by part number. No block of it left (never staged, committed, dropped or
// expired) is ErrNotFound.
func (s *Store) ListParts(ctx context.Context, key, id string) ([]store.Part, error) {
	prefix, err := parseUploadID(key, id)
	if err != nil {
		return nil, err
	}
	list, _, err := s.getBlockList(ctx, key, "uncommitted")
	if err != nil {
		return nil, err
	}
	var out []store.Part
	for _, b := range list.Uncommitted {
		if n, ok := blockNumber(prefix, b.Name); ok {
			out = append(out, store.Part{Number: n, Size: b.Size, ETag: b.Name})
		}
	}
	if len(out) == 0 {
		return nil, &store.Error{Op: "get block list", Key: key, Err: store.ErrNotFound, Message: "no block of upload " + id + " is staged"}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Number < out[j].Number })
	return out, nil
}

// CompleteUpload implements store.Resumer with Put Block List, which carries the
// condition (so the blob appears whole or not at all) and drops every uncommitted block
// it does not name. A conditional commit that "lost" after a retry is recognised as our
// own when the committed block list is exactly ours (the blob has no Content-MD5 to
// compare: an upload's parts are not hashed as a whole).
func (s *Store) CompleteUpload(ctx context.Context, key, id string, parts []store.Part, c store.Cond) (store.Info, error) {
	prefix, err := parseUploadID(key, id)
	if err != nil {
		return store.Info{}, err
	}
	total, err := httpstore.PartsTotal("put block list", key, parts)
	if err != nil {
		return store.Info{}, err
	}
	ids := make([]string, len(parts))
	for i, p := range parts {
		ids[i] = blockID(prefix, p.Number)
	}
	in, attempts, err := s.commitBlocks(ctx, key, ids, httpstore.CondHeader(c), total)
	return s.http.Settle(ctx, key, in, err, attempts, c, func(store.Info, http.Header) bool {
		ours, err := s.committedIs(ctx, key, prefix, parts)
		return err == nil && ours
	})
}

// committedIs reports whether key's committed blocks are exactly parts of this upload.
func (s *Store) committedIs(ctx context.Context, key string, prefix []byte, parts []store.Part) (bool, error) {
	list, _, err := s.getBlockList(ctx, key, "committed")
	if err != nil {
		return false, err
	}
	if len(list.Committed) != len(parts) {
		return false, nil
	}
	for i, b := range list.Committed {
		if b.Name != blockID(prefix, parts[i].Number) || b.Size != parts[i].Size {
			return false, nil
		}
	}
	return true, nil
}

// AbortUpload implements store.Resumer. Azure has no call that drops uncommitted blocks
// alone: Delete Blob on a name that has only uncommitted blocks removes them with the
// name, and it is used only when that is all there is and all of it is this upload's
// (no committed blob, no other upload's blocks). The delete is conditional on the blob
// not being modified since a second before the block list was read, so a blob committed
// meanwhile fails it and stays. Otherwise the blocks are left: the next commit of the
// blob drops them, and Azure discards uncommitted blocks a week after the last one.
func (s *Store) AbortUpload(ctx context.Context, key, id string) error {
	prefix, err := parseUploadID(key, id)
	if err != nil {
		return nil // not an upload of this store: nothing of it can exist
	}
	for try := 0; ; try++ {
		list, date, err := s.getBlockList(ctx, key, "uncommitted")
		if errors.Is(err, store.ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		ours, others := 0, 0
		for _, b := range list.Uncommitted {
			if _, ok := blockNumber(prefix, b.Name); ok {
				ours++
			} else {
				others++
			}
		}
		if ours == 0 || others > 0 || date.IsZero() {
			return nil
		}
		if _, err := s.Head(ctx, key); !errors.Is(err, store.ErrNotFound) {
			return store.IgnoreNotFound(err) // a committed blob: leave its stray blocks
		}
		h := http.Header{}
		h.Set("If-Unmodified-Since", date.Add(-time.Second).UTC().Format(http.TimeFormat))
		_, err = s.http.Do(ctx, &httpstore.Request{Op: "abort upload", Method: "DELETE", Key: key, Header: h}, nil)
		if errors.Is(err, store.ErrPrecondition) && try == 0 {
			// A block was staged within the last second (ours, just now, most likely):
			// let the clock move past it and look again.
			select {
			case <-time.After(1100 * time.Millisecond):
			case <-ctx.Done():
				return ctx.Err()
			}
			continue
		}
		if errors.Is(err, store.ErrPrecondition) {
			return nil // modified since: someone is writing it, leave it
		}
		return store.IgnoreNotFound(err)
	}
}
