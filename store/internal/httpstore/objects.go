package httpstore

import (
	"context"
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
// answer is retried, one while reading the body surfaces to the caller.
func (o Objects) Get(ctx context.Context, key string, rg *store.Range) (io.ReadCloser, store.Info, error) {
	h := http.Header{}
	if rg != nil {
		if rg.Offset < 0 {
			return nil, store.Info{}, &store.Error{Op: "get", Key: key, Message: "negative range offset"}
		}
		v, empty := rangeHeader(rg)
		if empty {
			return io.NopCloser(strings.NewReader("")), store.Info{Key: key}, nil
		}
		h.Set(o.c.RangeHeader, v)
	}
	var resp *http.Response
	err := o.c.policy.Do(ctx, func(int) error {
		var err error
		resp, err = o.c.send(ctx, &Request{Op: "get", Method: "GET", Key: key, Header: h})
		return err
	})
	if err != nil {
		return nil, store.Info{}, err
	}
	return resp.Body, infoFromResponse(key, resp), nil
}

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
