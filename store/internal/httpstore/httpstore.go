// Package httpstore is the request/response skeleton the two HTTP backends, store/s3 and
// store/azblob, share: S3 and Azure Blob Storage answer the same questions in the same
// shape and differ in names (headers, XML, error codes) and in how a request is signed.
//
// A backend describes itself with a Backend (where a request goes, how it is signed, how
// a failed answer is classified) and gets a Client, which builds each request, sends it
// with the retry policy, watches the response body for stalls, turns every answer of
// status 300 or more into a *store.Error, and does the object calls both clouds answer
// alike (Objects: Head, Get, Delete, and Put choosing between one request and parts).
// Helpers for what both backends' writes share (the first part of a body, the parallel
// parts, the conditional headers, recognising a retried write's own earlier success)
// complete it.
//
// Being under store/internal, it can be imported only by the packages below store; the
// two HTTP backends are its only users.
package httpstore

import (
	"bytes"
	"cmp"
	"context"
	"crypto/md5"
	"encoding/base64"
	"io"
	"maps"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"git-remote-object-store/internal/uriencode"
	"git-remote-object-store/store"
)

// Request is one call before it is built and signed.
type Request struct {
	Op     string // what failed, in errors: "get", "put block", "list multipart uploads", …
	Method string
	// Key is the object the call is about. For a call on the bucket or container itself
	// (Bucket), it is only what a transport error names (a listing's prefix), or "".
	Key    string
	Bucket bool // a call on the bucket or container, not on an object
	Query  []uriencode.Param
	Header http.Header
	Body   []byte // nil: no body; never a stream, so every attempt can send it again
	// BodyMD5 sends Content-MD5, so the server refuses a body damaged on the way.
	BodyMD5 bool
	// BodySHA256, when set, is the SHA-256 of Body, worked out by the caller already, for
	// a backend that signs it.
	BodySHA256 *[32]byte
}

// Backend is what differs between the clouds. Every function is required except Again.
type Backend struct {
	// Name is the bucket or container: what an error names when the call has no key.
	Name string
	// RangeHeader is the header a ranged Get sets: "Range" (S3), "X-Ms-Range" (Azure).
	RangeHeader string
	// XMLLimit bounds the XML answer DoXML reads.
	XMLLimit int64
	// Target returns a new URL for r, with a decoded Path; the Client encodes the path
	// and the query (uriencode) itself.
	Target func(r *Request) *url.URL
	// Sign authorises req, which carries r's headers, body and Content-MD5 already. Its
	// error is returned as it is, so it should be a *store.Error naming r.Op and r.Key.
	Sign func(ctx context.Context, req *http.Request, r *Request) error
	// Classify reads a failed answer (status 300 or more) into e, which the Client has
	// filled with the operation, key and status: the service's code, message and
	// request id, the sentinel (store.ErrNotFound, store.ErrPrecondition), retryability,
	// a hint. It returns nil, or another error to return instead of e (S3 wraps e to
	// name the bucket's region).
	Classify func(r *Request, resp *http.Response, e *store.Error) error
	// Again, when set, is asked after a failed attempt whether to send the request once
	// more at once, built and signed afresh, outside the retry policy (S3 has just learnt
	// the bucket's region from a redirect).
	Again func(err error) bool
}

// Client sends a Backend's requests.
type Client struct {
	Backend
	http    *http.Client
	policy  store.Policy
	verbose int // trace level (Verbosity), read once when the client is made
}

// defaultPolicy is the retry policy of a backend whose configuration names none: 5
// attempts, 200 ms doubling to 10 s.
var defaultPolicy = store.Policy{Attempts: 5, Base: 200 * time.Millisecond, Max: 10 * time.Second}

// New returns the Client of b, sending with hc (nil: a new client, see newHTTPClient) and
// retrying with policy (nil: 5 attempts, 200 ms doubling to 10 s).
func New(b Backend, hc *http.Client, policy *store.Policy) *Client {
	c := &Client{Backend: b, http: hc, policy: defaultPolicy, verbose: Verbosity(os.Getenv)}
	if c.http == nil {
		c.http = newHTTPClient()
	}
	if policy != nil {
		c.policy = *policy
	}
	return c
}

// ParseEndpoint parses a backend's endpoint (a trailing '/' dropped); ok is false unless
// it is http(s)://host[...].
func ParseEndpoint(raw string) (u *url.URL, ok bool) {
	u, err := url.Parse(strings.TrimSuffix(raw, "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, false
	}
	return u, true
}

// EndpointScope is raw without user info, query or fragment: an endpoint fit to be
// written down (a resumable upload's scope) without a credential that may ride in it.
func EndpointScope(raw string) string {
	if u, err := url.Parse(raw); err == nil {
		u.User, u.RawQuery, u.Fragment = nil, "", ""
		return u.String()
	}
	return raw
}

// send makes one attempt at r (and, when Again says so, one more). The caller closes the
// body of a response it gets; a failed answer is an error, its body already drained.
// try is the retry policy's count (0 the first), for the trace.
func (c *Client) send(ctx context.Context, r *Request, try int) (*http.Response, error) {
	resp, err := c.sendOnce(ctx, r, try)
	if err != nil && c.Again != nil && c.Again(err) {
		return c.sendOnce(ctx, r, try)
	}
	return resp, err
}

func (c *Client) sendOnce(ctx context.Context, r *Request, try int) (*http.Response, error) {
	// The attempt's own context is cancelled, with a *stallError as its cause, when its
	// request body, its answer or its response body stalls (see attempt).
	actx, cancel := context.WithCancelCause(ctx)
	req, err := http.NewRequestWithContext(actx, r.Method, "", nil)
	if err != nil {
		cancel(nil)
		return nil, &store.Error{Op: r.Op, Key: r.Key, Err: err}
	}
	u := c.Target(r)
	u.RawPath = uriencode.Path(u.Path)
	u.RawQuery = uriencode.Query(r.Query)
	req.URL, req.Host = u, u.Host
	maps.Copy(req.Header, r.Header)
	if r.BodyMD5 && r.Body != nil {
		m := md5.Sum(r.Body)
		req.Header.Set("Content-MD5", base64.StdEncoding.EncodeToString(m[:]))
	}
	var a *attempt // made after signing, which may wait for credentials
	if r.Body != nil {
		req.ContentLength = int64(len(r.Body))
		req.Body, req.GetBody = http.NoBody, func() (io.ReadCloser, error) { return http.NoBody, nil }
		if len(r.Body) > 0 {
			req.GetBody = func() (io.ReadCloser, error) {
				return &watchedUpload{r: bytes.NewReader(r.Body), a: a}, nil
			}
		}
	}
	if err := c.Sign(ctx, req, r); err != nil {
		cancel(nil)
		return nil, err
	}
	if len(r.Body) > 0 {
		a = newAttempt(actx, cancel, uploadStall())
		req.Body, _ = req.GetBody()
	} else {
		a = newAttempt(actx, cancel, noAnswer())
	}
	tr := c.newTracer(r, req, try)
	store.CountRequest(int64(len(r.Body)), try > 0)
	resp, err := c.http.Do(req)
	if err != nil {
		a.stop()
		e := transportError(ctx, actx, r.Op, cmp.Or(r.Key, c.Name), err)
		cancel(nil)
		tr.failed(e)
		return nil, e
	}
	watchBody(resp, a)
	resp.Body = &countedBody{resp.Body}
	tr.answered(resp)
	if resp.StatusCode >= 300 {
		defer drain(resp.Body)
		return nil, c.classify(r, resp)
	}
	return resp, nil
}

// classify makes a failed answer a *store.Error through the backend's Classify.
func (c *Client) classify(r *Request, resp *http.Response) error {
	e := &store.Error{Op: r.Op, Key: r.Key, Status: resp.StatusCode}
	if r.Bucket || r.Key == "" {
		e.Key = c.Name
	}
	if err := c.Classify(r, resp, e); err != nil {
		return err
	}
	if e.Code == "" && e.Message == "" && e.Err == nil {
		e.Message = resp.Status // nothing better to say than the status line
	}
	return e
}

// Do runs r with the retry policy, hands each successful answer to onResp (which may
// still fail it, and is then retried like a failed answer when its error is retryable)
// and drains the answer afterwards. attempts tells a conditional write whether an
// earlier attempt's outcome is unknown (see Settle).
func (c *Client) Do(ctx context.Context, r *Request, onResp func(*http.Response) error) (attempts int, err error) {
	err = c.policy.Do(ctx, func(n int) error {
		attempts = n + 1
		resp, err := c.send(ctx, r, n)
		if err != nil {
			return err
		}
		defer drain(resp.Body)
		if onResp != nil {
			return onResp(resp)
		}
		return nil
	})
	return attempts, err
}

// DoXML runs r like Do and decodes the answer's XML body (at most c.XMLLimit bytes) into
// a fresh T on every attempt. The answer's header comes with it (Azure's Date, say).
func DoXML[T any](ctx context.Context, c *Client, r *Request) (v T, h http.Header, err error) {
	_, err = c.Do(ctx, r, func(resp *http.Response) error {
		v, h = *new(T), resp.Header
		return DecodeXML(resp.Body, c.XMLLimit, &v)
	})
	return v, h, err
}

// head reads key's Info and answer header (Settle's look at a write's outcome).
func (c *Client) head(ctx context.Context, key string) (in store.Info, h http.Header, err error) {
	_, err = c.Do(ctx, &Request{Op: "head", Method: "HEAD", Key: key}, func(resp *http.Response) error {
		in, h = InfoFromHeader(key, resp.Header, resp.ContentLength), resp.Header
		return nil
	})
	return in, h, err
}

// countedBody adds what is read of an answer's body to the process's received bytes
// (store.CountReceived), for the trace's summary.
type countedBody struct{ io.ReadCloser }

func (b *countedBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	store.CountReceived(int64(n))
	return n, err
}
