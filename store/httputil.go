package store

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// The helpers below are what the HTTP backends share: the answers of S3 and Azure differ
// in names, not in shape.

// RangeHeader renders r as an HTTP byte range ("bytes=a-b" or "bytes=a-"); empty is true
// for a zero-length range, which needs no request at all.
func RangeHeader(r *Range) (value string, empty bool) {
	if r.Length == 0 {
		return "", true
	}
	if r.Length < 0 {
		return fmt.Sprintf("bytes=%d-", r.Offset), false
	}
	return fmt.Sprintf("bytes=%d-%d", r.Offset, r.Offset+r.Length-1), false
}

// InfoFromResponse reads an object's Info from a GET or HEAD answer: the whole object's
// size (from Content-Range for a ranged GET), the unquoted ETag, Last-Modified.
func InfoFromResponse(key string, resp *http.Response) Info {
	size := resp.ContentLength
	if cr := resp.Header.Get("Content-Range"); cr != "" {
		if _, total, ok := strings.Cut(cr, "/"); ok {
			if n, err := strconv.ParseInt(total, 10, 64); err == nil {
				size = n
			}
		}
	}
	return InfoFromHeader(key, resp.Header, size)
}

// InfoFromHeader reads ETag and Last-Modified from h.
func InfoFromHeader(key string, h http.Header, size int64) Info {
	in := Info{Key: key, Size: size, ETag: Unquote(h.Get("ETag"))}
	if t, err := http.ParseTime(h.Get("Last-Modified")); err == nil {
		in.LastModified = t.UTC()
	}
	return in
}

// Drain reads a little of a body before closing it, so the connection can be reused.
func Drain(rc io.ReadCloser) {
	io.Copy(io.Discard, io.LimitReader(rc, 64<<10))
	rc.Close()
}

// DoHTTP runs send with p's retries, handing each successful response to onResp (which may
// still fail it) and draining it afterwards. attempts tells a conditional write whether
// an earlier attempt's outcome is unknown.
func (p Policy) DoHTTP(ctx context.Context, send func() (*http.Response, error), onResp func(*http.Response) error) (attempts int, err error) {
	err = p.Do(ctx, func(n int) error {
		attempts = n + 1
		resp, err := send()
		if err != nil {
			return err
		}
		defer Drain(resp.Body)
		if onResp != nil {
			return onResp(resp)
		}
		return nil
	})
	return attempts, err
}

// GetHTTP runs send with retries until a response arrives, and returns it undrained
// (its body is the object being read).
func (p Policy) GetHTTP(ctx context.Context, send func() (*http.Response, error)) (*http.Response, error) {
	var resp *http.Response
	err := p.Do(ctx, func(int) error {
		var err error
		resp, err = send()
		return err
	})
	return resp, err
}

// ClockSkew describes how far now is from a server's Date header, when that is more
// than a few minutes; "" otherwise.
func ClockSkew(now time.Time, h http.Header) string {
	t, err := http.ParseTime(h.Get("Date"))
	if err != nil {
		return ""
	}
	if skew := now.Sub(t); skew > 5*time.Minute || skew < -5*time.Minute {
		return fmt.Sprintf("this machine's clock is %s off the server's; fix the clock (NTP)", skew.Round(time.Second))
	}
	return ""
}

// Unquote strips the quotes of an entity tag (headers quote it; Azure listings do not).
func Unquote(etag string) string { return strings.Trim(etag, `"`) }

// ReadIdleTimeout is how long a response body may deliver no byte before the request is
// abandoned (a stalled server must fail a fetch, not hang git forever).
var ReadIdleTimeout = 2 * time.Minute

// WatchedContext derives the context a request is sent with, and WatchBody arms it:
// if the response body then stays silent for ReadIdleTimeout, the request is cancelled
// and the read fails.
func WatchedContext(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithCancel(ctx)
}

// WatchBody wraps resp.Body so that every read re-arms the idle timer and Close releases
// the request's context.
func WatchBody(resp *http.Response, cancel context.CancelFunc) {
	w := &watchedBody{rc: resp.Body, cancel: cancel}
	w.timer = time.AfterFunc(ReadIdleTimeout, cancel)
	resp.Body = w
}

type watchedBody struct {
	rc     io.ReadCloser
	cancel context.CancelFunc
	timer  *time.Timer
}

func (w *watchedBody) Read(p []byte) (int, error) {
	n, err := w.rc.Read(p)
	w.timer.Reset(ReadIdleTimeout)
	return n, err
}

func (w *watchedBody) Close() error {
	w.timer.Stop()
	err := w.rc.Close()
	w.cancel()
	return err
}

// HeadHTTP is Head for a backend whose do runs one request with retries and hands the
// response to onResp.
func HeadHTTP(key string, do func(onResp func(*http.Response) error) error) (Info, error) {
	var in Info
	err := do(func(resp *http.Response) error {
		in = InfoFromHeader(key, resp.Header, resp.ContentLength)
		return nil
	})
	return in, err
}

// GetRangeHTTP is Get for a backend: it validates the range, answers an empty range
// without a request, puts the range in header (each cloud names it differently), and
// retries send until a response arrives. The body is streamed; a transient failure
// before the first byte is retried, one after it surfaces to the caller.
func (p Policy) GetRangeHTTP(ctx context.Context, key string, rg *Range, header string, send func(h http.Header) (*http.Response, error)) (io.ReadCloser, Info, error) {
	h := http.Header{}
	if rg != nil {
		if rg.Offset < 0 {
			return nil, Info{}, &Error{Op: "get", Key: key, Message: "negative range offset"}
		}
		v, empty := RangeHeader(rg)
		if empty {
			return io.NopCloser(strings.NewReader("")), Info{Key: key}, nil
		}
		h.Set(header, v)
	}
	resp, err := p.GetHTTP(ctx, func() (*http.Response, error) { return send(h) })
	if err != nil {
		return nil, Info{}, err
	}
	return resp.Body, InfoFromResponse(key, resp), nil
}

// IgnoreNotFound makes a delete of a missing key a success, as the Store contract says.
func IgnoreNotFound(err error) error {
	if errors.Is(err, ErrNotFound) {
		return nil
	}
	return err
}
