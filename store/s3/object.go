package s3

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"

	"git-remote-object-store/store"
)

// Head implements store.Store.
func (s *Store) Head(ctx context.Context, key string) (store.Info, error) {
	return store.HeadHTTP(key, func(onResp func(*http.Response) error) error {
		_, err := s.do(ctx, &request{op: "head", method: "HEAD", key: key}, onResp)
		return err
	})
}

// Get implements store.Store.
func (s *Store) Get(ctx context.Context, key string, rg *store.Range) (io.ReadCloser, store.Info, error) {
	return s.policy.GetRangeHTTP(ctx, key, rg, "Range", func(h http.Header) (*http.Response, error) {
		return s.send(ctx, &request{op: "get", method: "GET", key: key, header: h})
	})
}

// Delete implements store.Store (S3 answers 204 for a missing key too).
func (s *Store) Delete(ctx context.Context, key string) error {
	_, err := s.do(ctx, &request{op: "delete", method: "DELETE", key: key}, nil)
	return store.IgnoreNotFound(err)
}

// Put implements store.Store.
func (s *Store) Put(ctx context.Context, key string, body io.Reader, size int64, c store.Cond) (store.Info, error) {
	return s.PutMeta(ctx, key, body, size, c, store.Meta{})
}

// PutMeta implements store.MetaPutter.
func (s *Store) PutMeta(ctx context.Context, key string, body io.Reader, size int64, c store.Cond, m store.Meta) (store.Info, error) {
	if size >= 0 && size <= s.cfg.PartSize {
		buf := make([]byte, size)
		if _, err := io.ReadFull(body, buf); err != nil {
			return store.Info{}, &store.Error{Op: "put", Key: key, Err: fmt.Errorf("read body: %w", err)}
		}
		return s.putSingle(ctx, key, buf, c, m)
	}
	first := make([]byte, s.cfg.PartSize)
	n, err := io.ReadFull(body, first)
	switch {
	case err == io.ErrUnexpectedEOF || err == io.EOF:
		if size >= 0 && int64(n) != size {
			return store.Info{}, &store.Error{Op: "put", Key: key, Err: fmt.Errorf("body has %d bytes, %d were announced", n, size)}
		}
		return s.putSingle(ctx, key, first[:n], c, m)
	case err != nil:
		return store.Info{}, &store.Error{Op: "put", Key: key, Err: fmt.Errorf("read body: %w", err)}
	}
	return s.putMultipart(ctx, key, first, body, size, c, m)
}

func condHeaders(c store.Cond) http.Header {
	h := http.Header{}
	if c.IfNoneMatch {
		h.Set("If-None-Match", "*")
	}
	if c.IfMatch != "" {
		h.Set("If-Match", `"`+c.IfMatch+`"`)
	}
	return h
}

func metaHeaders(h http.Header, m store.Meta) {
	if m.ContentType != "" {
		h.Set("Content-Type", m.ContentType)
	}
	if m.ContentDisposition != "" {
		h.Set("Content-Disposition", m.ContentDisposition)
	}
	for k, v := range m.User {
		h.Set("X-Amz-Meta-"+k, v)
	}
}

func (s *Store) putSingle(ctx context.Context, key string, data []byte, c store.Cond, m store.Meta) (store.Info, error) {
	h := condHeaders(c)
	metaHeaders(h, m)
	var in store.Info
	attempts, err := s.do(ctx, &request{op: "put", method: "PUT", key: key, header: h, body: data, bodyMD5: true}, func(resp *http.Response) error {
		in = store.InfoFromHeader(key, resp.Header, int64(len(data)))
		return nil
	})
	sum := md5.Sum(data)
	return s.settle(ctx, key, in, err, attempts, c, hex.EncodeToString(sum[:]), int64(len(data)))
}

// settle finishes a write: when a conditional write "lost" after an attempt whose outcome
// we never saw, the winner may be that attempt of ours; the object's ETag (the MD5 of our
// bytes, or of our parts) tells.
func (s *Store) settle(ctx context.Context, key string, in store.Info, err error, attempts int, c store.Cond, ourETag string, size int64) (store.Info, error) {
	if err == nil {
		return in, nil // LastModified is not in a PUT response; callers that need it Head
	}
	if attempts > 1 && (c.IfNoneMatch || c.IfMatch != "") && errors.Is(err, store.ErrPrecondition) {
		if h, herr := s.Head(ctx, key); herr == nil && h.ETag == ourETag && h.Size == size {
			return h, nil
		}
	}
	return store.Info{}, err
}
