package httpstore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"

	"git-remote-object-store/store"
)

// What the two clouds' writes share: both send a body that fits one part as one request
// and a longer one (or one of unknown size) as parts committed by a final request that
// carries the write's condition.

// PutOne writes data as key's whole content in one PUT with the header h (the backend's:
// metadata, blob type) and the condition's, and settles the outcome with ours (see
// Settle).
func (c *Client) PutOne(ctx context.Context, key string, data []byte, h http.Header, cond store.Cond,
	ours func(store.Info, http.Header) bool) (store.Info, error) {
	all := CondHeader(cond)
	maps.Copy(all, h)
	var in store.Info
	attempts, err := c.Do(ctx, &Request{Op: "put", Method: "PUT", Key: key, Header: all, Body: data, BodyMD5: true},
		func(resp *http.Response) error {
			in = InfoFromHeader(key, resp.Header, int64(len(data)))
			return nil
		})
	return c.Settle(ctx, key, in, err, attempts, cond, ours)
}

// MetaNames are the headers a backend stores store.Meta under.
type MetaNames struct {
	ContentType, ContentDisposition string
	User                            func(name string) string // the header of user metadata name
}

// MetaHeader is m as the headers n names.
func MetaHeader(m store.Meta, n MetaNames) http.Header {
	h := http.Header{}
	if m.ContentType != "" {
		h.Set(n.ContentType, m.ContentType)
	}
	if m.ContentDisposition != "" {
		h.Set(n.ContentDisposition, m.ContentDisposition)
	}
	for k, v := range m.User {
		h.Set(n.User(k), v)
	}
	return h
}

// CondHeader is the header that makes a write conditional: If-None-Match: * to create
// only, If-Match with the quoted ETag to replace only that version.
func CondHeader(c store.Cond) http.Header {
	h := http.Header{}
	if c.IfNoneMatch {
		h.Set("If-None-Match", "*")
	}
	if c.IfMatch != "" {
		h.Set("If-Match", `"`+c.IfMatch+`"`)
	}
	return h
}

// firstPart reads the first part of a Put's body (size bytes, or -1 when unknown) to
// choose how to send it: whole is true when what was read is the whole body, to go up
// in one request; otherwise first is a full part of partSize bytes and the rest of body
// follows in parts. A body shorter than its announced size is an error here, so nothing
// is written.
func firstPart(key string, body io.Reader, size, partSize int64) (first []byte, whole bool, err error) {
	fits := size >= 0 && size <= partSize
	if fits {
		first = make([]byte, size)
	} else {
		first = make([]byte, partSize)
	}
	n, err := io.ReadFull(body, first)
	if err != nil && err != io.ErrUnexpectedEOF && err != io.EOF {
		return nil, false, &store.Error{Op: "put", Key: key, Err: fmt.Errorf("read body: %w", err)}
	}
	if fits || int64(n) < partSize {
		if size >= 0 && int64(n) != size {
			return nil, false, &store.Error{Op: "put", Key: key, Err: fmt.Errorf("body has %d bytes, %d were announced", n, size)}
		}
		return first[:n], true, nil
	}
	return first, false, nil
}

// PartsTotal checks the parts a resumable upload is completed with (some, in ascending
// order, as store.Resumer.CompleteUpload wants them) and returns their total size. op
// names the completing call in the error.
func PartsTotal(op, key string, parts []store.Part) (int64, error) {
	if len(parts) == 0 {
		return 0, &store.Error{Op: op, Key: key, Err: errors.New("no parts")}
	}
	var total int64
	for i, p := range parts {
		if i > 0 && p.Number <= parts[i-1].Number {
			return 0, &store.Error{Op: op, Key: key, Err: fmt.Errorf("parts out of order at part %d", p.Number)}
		}
		total += p.Size
	}
	return total, nil
}

// SendParts is store.SendParts for a Put of key whose first part firstPart read: it
// checks the total against the announced size (-1: unknown) and makes every failure a
// *store.Error of the put. maxParts is the cloud's limit (S3 10,000, Azure 50,000).
func SendParts(ctx context.Context, key string, body io.Reader, first []byte, size, partSize int64, concurrency, maxParts int,
	send func(ctx context.Context, n int, data []byte) error) (int64, error) {
	total, err := store.SendParts(ctx, body, first, partSize, concurrency, maxParts, send)
	if err == nil && size >= 0 && total != size {
		err = fmt.Errorf("body has %d bytes, %d were announced", total, size)
	}
	if err != nil {
		if _, ok := err.(*store.Error); !ok {
			err = &store.Error{Op: "put", Key: key, Err: err}
		}
		return 0, err
	}
	return total, nil
}

// Settle finishes a write of key that the service answered with in and err after
// attempts attempts. A conditional write that "lost" after an attempt whose outcome was
// never seen (a lost answer, a timeout) may have lost to that very attempt of ours: then
// the object Head finds is our write, which ours tells from its Info and header (S3: the
// ETag is the MD5 of our bytes; Azure: the Content-MD5 is), and the write succeeded.
func (c *Client) Settle(ctx context.Context, key string, in store.Info, err error, attempts int, cond store.Cond,
	ours func(store.Info, http.Header) bool) (store.Info, error) {
	if err == nil {
		return in, nil
	}
	if attempts > 1 && (cond.IfNoneMatch || cond.IfMatch != "") && errors.Is(err, store.ErrPrecondition) {
		if h, hdr, herr := c.head(ctx, key); herr == nil && ours(h, hdr) {
			return h, nil
		}
	}
	return store.Info{}, err
}
