package httpstore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"git-remote-object-store/store"
)

// Objects implements the methods of store.Store and store.MetaPutter that both clouds
// answer alike: all but List. A backend embeds the Objects its Client makes from the
// backend's two ways of writing, so its own code is List, the writes, and what they need.
type Objects struct {
	c *Client
	w Writes
}

// Writes are a backend's two ways of writing an object. Put chooses between them by the
// body's first part (see firstPart).
type Writes struct {
	PartSize int64 // the largest body One writes, and the size of every part but the last
	// One writes data, the whole body, in one request.
	One func(ctx context.Context, key string, data []byte, c store.Cond, m store.Meta) (store.Info, error)
	// Parts writes first (a full part) and the rest of body (size bytes in all, -1 when
	// unknown) in parts, committed with the condition c; nothing appears unless all of
	// it does.
	Parts func(ctx context.Context, key string, first []byte, body io.Reader, size int64, c store.Cond, m store.Meta) (store.Info, error)
}

// Objects returns the Objects of c that writes with w.
func (c *Client) Objects(w Writes) Objects { return Objects{c: c, w: w} }

// Head implements store.Store.
func (o Objects) Head(ctx context.Context, key string) (store.Info, error) {
	in, _, err := o.c.head(ctx, key)
	return in, err
}

// Get implements store.Store: the object, or the range rg of it. An empty range is
// answered without a request. The body is streamed: a transient failure before the
// answer is retried; a connection that fails while the body is read is resumed with a
// ranged Get pinned to the object's ETag (see resumingBody).
func (o Objects) Get(ctx context.Context, key string, rg *store.Range) (io.ReadCloser, store.Info, error) {
	h := http.Header{}
	var offset int64
	if rg != nil {
		if rg.Offset < 0 {
			return nil, store.Info{}, &store.Error{Op: "get", Key: key, Message: "negative range offset"}
		}
		v, empty := rangeHeader(rg)
		if empty {
			return io.NopCloser(strings.NewReader("")), store.Info{Key: key}, nil
		}
		h.Set(o.c.RangeHeader, v)
		offset = rg.Offset
	}
	resp, err := o.get(ctx, key, h)
	if err != nil {
		return nil, store.Info{}, err
	}
	in := infoFromResponse(key, resp)
	return &resumingBody{ctx: ctx, o: o, key: key, etag: in.ETag, rc: resp.Body, start: offset, want: resp.ContentLength}, in, nil
}

func (o Objects) get(ctx context.Context, key string, h http.Header) (resp *http.Response, err error) {
	err = o.c.policy.Do(ctx, func(n int) error {
		resp, err = o.c.send(ctx, &Request{Op: "get", Method: "GET", Key: key, Header: h}, n)
		return err
	})
	return resp, err
}

// resumingBody is a Get's body that survives its connection: when a read fails for a
// reason worth another attempt (a reset, a body cut short, a stall) while the caller's
// context is live, it asks for the rest with a ranged Get from the first byte not yet
// received, with If-Match on the ETag of the first answer, at most maxResumes times. An
// object replaced meanwhile is an error saying so (store.ErrPrecondition); a failure that
// cannot be resumed names the network's cause and how far the read got.
type resumingBody struct {
	ctx     context.Context
	o       Objects
	key     string
	etag    string // the first answer's, unquoted; "" cannot be resumed
	rc      io.ReadCloser
	start   int64 // the offset of the first byte asked for
	want    int64 // the body's length, -1 when the answer did not say
	got     int64
	resumes int
	err     error // sticky
}

func (b *resumingBody) Read(p []byte) (int, error) {
	for {
		if b.err != nil {
			return 0, b.err
		}
		n, err := b.rc.Read(p)
		b.got += int64(n)
		if err == io.EOF && b.want >= 0 && b.got < b.want {
			err = io.ErrUnexpectedEOF
		}
		if err == nil || err == io.EOF {
			return n, err
		}
		if rerr := b.resume(err); rerr != nil {
			b.err = rerr
			return n, rerr
		}
		if n > 0 {
			return n, nil
		}
	}
}

// resume replaces the failed body (failed with cause) by the rest of the object, or
// says why it cannot.
func (b *resumingBody) resume(cause error) error {
	if w, ok := b.rc.(*watchedBody); ok {
		var se *stallError
		if errors.As(context.Cause(w.a.ctx()), &se) {
			cause = se
		}
	}
	b.rc.Close()
	b.rc = io.NopCloser(strings.NewReader(""))
	lost := &store.Error{Op: "get", Key: b.key, Err: fmt.Errorf("connection lost after %d of %s bytes: %w", b.got, b.size(), cause)}
	var se *stallError
	if b.ctx.Err() != nil || (!errors.As(cause, &se) && !store.IsRetryable(cause)) {
		return lost
	}
	if b.etag == "" || b.resumes >= maxResumes {
		if b.resumes > 0 {
			lost.Err = fmt.Errorf("%w (resumed %d times)", lost.Err, b.resumes)
		}
		return lost
	}
	b.resumes++
	pos := b.start + b.got
	h := http.Header{}
	if b.want >= 0 {
		h.Set(b.o.c.RangeHeader, fmt.Sprintf("bytes=%d-%d", pos, b.start+b.want-1))
	} else {
		h.Set(b.o.c.RangeHeader, fmt.Sprintf("bytes=%d-", pos))
	}
	h.Set("If-Match", `"`+b.etag+`"`)
	resp, err := b.o.get(b.ctx, b.key, h)
	if err != nil {
		if errors.Is(err, store.ErrPrecondition) {
			return &store.Error{Op: "get", Key: b.key, Status: 412, Err: store.ErrPrecondition,
				Message: fmt.Sprintf("the object changed while it was being read (after %d of %s bytes, the connection was lost: %v)", b.got, b.size(), cause),
				Hint:    "read it again"}
		}
		return &store.Error{Op: "get", Key: b.key, Err: fmt.Errorf("connection lost after %d of %s bytes (%v), and resuming failed: %w", b.got, b.size(), cause, err)}
	}
	in := infoFromResponse(b.key, resp)
	if resp.StatusCode != http.StatusPartialContent || !strings.HasPrefix(resp.Header.Get("Content-Range"), fmt.Sprintf("bytes %d-", pos)) ||
		(in.ETag != "" && in.ETag != b.etag) {
		drain(resp.Body)
		return &store.Error{Op: "get", Key: b.key, Err: fmt.Errorf("connection lost after %d of %s bytes (%v), and the server did not resume at byte %d (HTTP %d, Content-Range %q)",
			b.got, b.size(), cause, pos, resp.StatusCode, resp.Header.Get("Content-Range"))}
	}
	b.rc = resp.Body
	return nil
}

func (b *resumingBody) size() string {
	if b.want < 0 {
		return "?"
	}
	return fmt.Sprint(b.want)
}

func (b *resumingBody) Close() error { return b.rc.Close() }

// Delete implements store.Store; a missing key is no error, as the store.Store contract
// says (S3 answers 204 for it anyway, Azure 404).
func (o Objects) Delete(ctx context.Context, key string) error {
	_, err := o.c.Do(ctx, &Request{Op: "delete", Method: "DELETE", Key: key}, nil)
	return store.IgnoreNotFound(err)
}

// Put implements store.Store.
func (o Objects) Put(ctx context.Context, key string, body io.Reader, size int64, c store.Cond) (store.Info, error) {
	return o.PutMeta(ctx, key, body, size, c, store.Meta{})
}

// PutMeta implements store.MetaPutter: a body that fits one part goes up in one request,
// a longer one (or one of unknown size) in parts.
func (o Objects) PutMeta(ctx context.Context, key string, body io.Reader, size int64, c store.Cond, m store.Meta) (store.Info, error) {
	first, whole, err := firstPart(key, body, size, o.w.PartSize)
	if err != nil {
		return store.Info{}, err
	}
	if whole {
		return o.w.One(ctx, key, first, c, m)
	}
	return o.w.Parts(ctx, key, first, body, size, c, m)
}
