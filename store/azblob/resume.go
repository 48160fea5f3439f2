package azblob

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"time"

	"git-remote-object-store/sigv4"
	"git-remote-object-store/store"
)

var _ store.Resumer = (*Store)(nil)

// An Azure upload exists only as the uncommitted blocks staged on its blob. Its id is 16
// random bytes in hex; part n is the block whose id is those bytes followed by n as a
// big-endian uint64 (base64, 32 characters), the same shape Put's block ids have, so the
// two never clash on length (Azure wants one length per blob) and another process can
// tell this upload's blocks from any other's.
const uploadIDBytes = 16

func parseUploadID(key, id string) ([]byte, error) {
	b, err := hex.DecodeString(id)
	if err != nil || len(b) != uploadIDBytes {
		return nil, &store.Error{Op: "upload", Key: key, Err: fmt.Errorf("%w: upload id %q is not one of this store's", store.ErrNotFound, id)}
	}
	return b, nil
}

func resumeBlockID(prefix []byte, n int) string {
	return base64.StdEncoding.EncodeToString(binary.BigEndian.AppendUint64(bytes.Clone(prefix), uint64(n)))
}

// blockNumber returns the part number of block id when it belongs to the upload prefix.
func blockNumber(prefix []byte, id string) (int, bool) {
	raw, err := base64.StdEncoding.DecodeString(id)
	if err != nil || len(raw) != len(prefix)+8 || !bytes.Equal(raw[:len(prefix)], prefix) {
		return 0, false
	}
	n := binary.BigEndian.Uint64(raw[len(prefix):])
	if n < 1 || n > 50000 {
		return 0, false
	}
	return int(n), true
}

// PartSize implements store.Resumer: the configured block size.
func (s *Store) PartSize() int64 { return s.cfg.BlockSize }

// UploadScope implements store.Resumer: the account endpoint (no user info, query or
// fragment, so never a SAS) and the container.
func (s *Store) UploadScope() string {
	ep := s.cfg.Endpoint
	if u, err := url.Parse(ep); err == nil {
		u.User, u.RawQuery, u.Fragment = nil, "", ""
		ep = u.String()
	}
	return "azblob " + ep + " container " + s.cfg.Container
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
	bid := resumeBlockID(prefix, n)
	_, err = s.do(ctx, &request{op: "put block", method: "PUT", key: key, body: data, bodyMD5: true,
		query: []sigv4.Param{{Name: "comp", Value: "block"}, {Name: "blockid", Value: bid}}}, nil)
	if err != nil {
		return store.Part{}, err
	}
	return store.Part{Number: n, Size: int64(len(data)), ETag: bid}, nil
}

// blockEntries is a Get Block List answer.
type blockEntries struct {
	Committed   []blockEntry `xml:"CommittedBlocks>Block"`
	Uncommitted []blockEntry `xml:"UncommittedBlocks>Block"`
}

type blockEntry struct {
	Name string `xml:"Name"`
	Size int64  `xml:"Size"`
}

// getBlockList reads key's block list of the given type (committed, uncommitted) and
// the server's clock from the answer's Date header.
func (s *Store) getBlockList(ctx context.Context, key, which string) (blockEntries, time.Time, error) {
	var list blockEntries
	var date time.Time
	_, err := s.do(ctx, &request{op: "get block list", method: "GET", key: key,
		query: []sigv4.Param{{Name: "comp", Value: "blocklist"}, {Name: "blocklisttype", Value: which}}},
		func(resp *http.Response) error {
			list = blockEntries{}
			date, _ = http.ParseTime(resp.Header.Get("Date"))
			data, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
			if err != nil {
				return err
			}
			return xml.Unmarshal(data, &list)
		})
	return list, date, err
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
// own when the committed block list is exactly ours.
func (s *Store) CompleteUpload(ctx context.Context, key, id string, parts []store.Part, c store.Cond) (store.Info, error) {
	prefix, err := parseUploadID(key, id)
	if err != nil {
		return store.Info{}, err
	}
	if len(parts) == 0 {
		return store.Info{}, &store.Error{Op: "put block list", Key: key, Err: errors.New("no parts")}
	}
	var list bytes.Buffer
	var total int64
	list.WriteString(`<?xml version="1.0" encoding="utf-8"?><BlockList>`)
	for i, p := range parts {
		if i > 0 && p.Number <= parts[i-1].Number {
			return store.Info{}, &store.Error{Op: "put block list", Key: key, Err: fmt.Errorf("parts out of order at part %d", p.Number)}
		}
		list.WriteString("<Latest>" + resumeBlockID(prefix, p.Number) + "</Latest>")
		total += p.Size
	}
	list.WriteString("</BlockList>")
	var in store.Info
	attempts, err := s.do(ctx, &request{op: "put block list", method: "PUT", key: key, header: condHeaders(c), body: list.Bytes(),
		query: []sigv4.Param{{Name: "comp", Value: "blocklist"}}}, func(resp *http.Response) error {
		in = store.InfoFromHeader(key, resp.Header, total)
		return nil
	})
	if err != nil && attempts > 1 && (c.IfNoneMatch || c.IfMatch != "") && errors.Is(err, store.ErrPrecondition) {
		if ours, herr := s.committedIs(ctx, key, prefix, parts); herr == nil && ours {
			return s.Head(ctx, key)
		}
	}
	if err != nil {
		return store.Info{}, err
	}
	return in, nil
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
		if b.Name != resumeBlockID(prefix, parts[i].Number) || b.Size != parts[i].Size {
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
		_, err = s.do(ctx, &request{op: "abort upload", method: "DELETE", key: key, header: h}, nil)
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
