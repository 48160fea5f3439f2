package azblob

import (
	"bytes"
	"context"
	"crypto/md5"
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"io"
	"net/http"
	"strings"
	"sync"

	"git-remote-object-store/sigv4"
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
	return s.policy.GetRangeHTTP(ctx, key, rg, "X-Ms-Range", func(h http.Header) (*http.Response, error) {
		return s.send(ctx, &request{op: "get", method: "GET", key: key, header: h})
	})
}

// Delete implements store.Store; a missing blob is not an error (Azure says 404).
func (s *Store) Delete(ctx context.Context, key string) error {
	_, err := s.do(ctx, &request{op: "delete", method: "DELETE", key: key}, nil)
	return store.IgnoreNotFound(err)
}

// Put implements store.Store.
func (s *Store) Put(ctx context.Context, key string, body io.Reader, size int64, c store.Cond) (store.Info, error) {
	return s.PutMeta(ctx, key, body, size, c, store.Meta{})
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
		h.Set("X-Ms-Blob-Content-Type", m.ContentType)
	}
	if m.ContentDisposition != "" {
		h.Set("X-Ms-Blob-Content-Disposition", m.ContentDisposition)
	}
	for k, v := range m.User {
		h.Set("X-Ms-Meta-"+strings.ReplaceAll(k, "-", "_"), v) // Azure metadata names are C identifiers
	}
}

// PutMeta implements store.MetaPutter.
func (s *Store) PutMeta(ctx context.Context, key string, body io.Reader, size int64, c store.Cond, m store.Meta) (store.Info, error) {
	first := make([]byte, s.cfg.BlockSize)
	if size >= 0 && size <= s.cfg.BlockSize {
		first = first[:size]
	}
	n, err := io.ReadFull(body, first)
	if err != nil && err != io.ErrUnexpectedEOF && !(err == io.EOF && n == 0) {
		return store.Info{}, &store.Error{Op: "put", Key: key, Err: fmt.Errorf("read body: %w", err)}
	}
	if int64(n) < s.cfg.BlockSize || size >= 0 && size <= s.cfg.BlockSize {
		if size >= 0 && int64(n) != size {
			return store.Info{}, &store.Error{Op: "put", Key: key, Err: fmt.Errorf("body has %d bytes, %d were announced", n, size)}
		}
		return s.putBlob(ctx, key, first[:n], c, m)
	}
	return s.putBlocks(ctx, key, first, body, size, c, m)
}

func (s *Store) putBlob(ctx context.Context, key string, data []byte, c store.Cond, m store.Meta) (store.Info, error) {
	h := condHeaders(c)
	metaHeaders(h, m)
	h.Set("X-Ms-Blob-Type", "BlockBlob")
	var in store.Info
	attempts, err := s.do(ctx, &request{op: "put", method: "PUT", key: key, header: h, body: data, bodyMD5: true},
		func(resp *http.Response) error {
			in = store.InfoFromHeader(key, resp.Header, int64(len(data)))
			return nil
		})
	sum := md5.Sum(data)
	return s.settle(ctx, key, in, err, attempts, c, sum[:])
}

// settle recognises a conditional write that "lost" to an earlier attempt of its own:
// the blob's Content-MD5 is the MD5 of our bytes.
func (s *Store) settle(ctx context.Context, key string, in store.Info, err error, attempts int, c store.Cond, ourMD5 []byte) (store.Info, error) {
	if err == nil {
		return in, nil
	}
	if attempts > 1 && (c.IfNoneMatch || c.IfMatch != "") && errors.Is(err, store.ErrPrecondition) {
		var md5h string
		h, herr := func() (store.Info, error) {
			var in store.Info
			_, err := s.do(ctx, &request{op: "head", method: "HEAD", key: key}, func(resp *http.Response) error {
				in = store.InfoFromHeader(key, resp.Header, resp.ContentLength)
				md5h = resp.Header.Get("Content-MD5")
				return nil
			})
			return in, err
		}()
		if herr == nil && md5h == base64.StdEncoding.EncodeToString(ourMD5) {
			return h, nil
		}
	}
	return store.Info{}, err
}

// putBlocks stages blocks (ids: a random per-upload prefix and a big-endian counter, so
// all ids have one length) and commits them with the condition and the whole blob's MD5.
func (s *Store) putBlocks(ctx context.Context, key string, first []byte, body io.Reader, size int64, c store.Cond, m store.Meta) (store.Info, error) {
	prefix := make([]byte, 16)
	rand.Read(prefix)
	whole := md5.New()
	hashed := &hashingReader{r: body, h: whole}
	whole.Write(first)
	blockID := func(n int) string {
		id := binary.BigEndian.AppendUint64(bytes.Clone(prefix), uint64(n))
		return base64.StdEncoding.EncodeToString(id)
	}
	var mu sync.Mutex
	count := 0
	total, err := store.SendParts(ctx, hashed, first, s.cfg.BlockSize, s.cfg.Concurrency, 50000, func(ctx context.Context, n int, data []byte) error {
		_, err := s.do(ctx, &request{op: "put block", method: "PUT", key: key, body: data, bodyMD5: true,
			query: []sigv4.Param{{Name: "comp", Value: "block"}, {Name: "blockid", Value: blockID(n)}}}, nil)
		mu.Lock()
		count = max(count, n)
		mu.Unlock()
		return err
	})
	if err == nil && size >= 0 && total != size {
		err = fmt.Errorf("body has %d bytes, %d were announced", total, size)
	}
	if err != nil {
		if _, ok := err.(*store.Error); !ok {
			err = &store.Error{Op: "put", Key: key, Err: err}
		}
		return store.Info{}, err // staged blocks are never committed; Azure drops them
	}
	var list bytes.Buffer
	list.WriteString(`<?xml version="1.0" encoding="utf-8"?><BlockList>`)
	for n := 1; n <= count; n++ {
		list.WriteString("<Latest>" + blockID(n) + "</Latest>")
	}
	list.WriteString("</BlockList>")
	h := condHeaders(c)
	metaHeaders(h, m)
	sum := whole.Sum(nil)
	h.Set("X-Ms-Blob-Content-Md5", base64.StdEncoding.EncodeToString(sum))
	var in store.Info
	attempts, err := s.do(ctx, &request{op: "put block list", method: "PUT", key: key, header: h, body: list.Bytes(),
		query: []sigv4.Param{{Name: "comp", Value: "blocklist"}}}, func(resp *http.Response) error {
		in = store.InfoFromHeader(key, resp.Header, total)
		return nil
	})
	return s.settle(ctx, key, in, err, attempts, c, sum)
}

// hashingReader feeds the bytes it reads to h (parts are read sequentially by SendParts).
type hashingReader struct {
	r io.Reader
	h hash.Hash
}

func (hr *hashingReader) Read(p []byte) (int, error) {
	n, err := hr.r.Read(p)
	hr.h.Write(p[:n])
	return n, err
}
