package httpstore

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"time"

	"git-remote-object-store/store"
)

// newHTTPClient returns the client a backend uses unless its configuration brings one:
// bounded connect and TLS timeouts (the wait for an answer and the flow of both bodies
// are watched per attempt by the Client itself, see attempt), no redirects (a redirect would replay a signature made for another URL;
// the backend reads the 301/307 itself, e.g. for S3 region discovery), and no
// transparent compression (byte ranges and content hashes must mean the stored bytes).
func newHTTPClient() *http.Client {
	dialer := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}
	tr := &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           dialer.DialContext,
		TLSHandshakeTimeout:   10 * time.Second,
		ExpectContinueTimeout: 1 * time.Second,
		IdleConnTimeout:       90 * time.Second,
		MaxIdleConnsPerHost:   32,
		DisableCompression:    true,
		ForceAttemptHTTP2:     true,
	}
	return &http.Client{
		Transport: tr,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
}

// The timeouts of one attempt. Each, when it fires, cancels that attempt only (with a
// *stallError as the cause) and the attempt is retried by the policy; the caller's own
// context, deadline or cancellation, stays the only final end. Variables so tests can
// shorten them.
var (
	// readIdleTimeout is how long a response body may deliver no byte, or a request body
	// be taken no byte by the connection (a server that stopped reading an upload),
	// before the attempt is abandoned: a stalled server must fail an attempt, not hang
	// git forever. Two minutes: long enough for a congested link or a busy server's
	// pause, short against git's patience.
	readIdleTimeout = 2 * time.Minute
	// answerTimeout is how long an attempt waits for the answer's header once its request
	// is sent (S3 answers CompleteMultipartUpload's header at once and streams whitespace
	// while it works, so no legitimate answer takes this long to start).
	answerTimeout = 60 * time.Second
	// maxResumes bounds how many times one Get body is resumed by a ranged Get after its
	// connection failed (see resumingBody).
	maxResumes = 10
)

// stallError is why an attempt was abandoned by its own watch.
type stallError struct {
	what string // "upload stalled: no byte taken", "no answer", "download stalled: no byte received"
	d    time.Duration
}

func (e *stallError) Error() string { return fmt.Sprintf("%s for %v", e.what, e.d) }
func (e *stallError) Timeout() bool { return true }

// attempt is the watch over one request and its answer: a timer that cancels the
// attempt's context with a *stallError when the request body makes no progress for
// readIdleTimeout, when the answer does not start within answerTimeout of the request
// being sent, or when the response body delivers nothing for readIdleTimeout.
type attempt struct {
	actx   context.Context
	cancel context.CancelCauseFunc
	mu     sync.Mutex
	timer  *time.Timer
	cause  *stallError // what the timer reports when it fires
}

func newAttempt(actx context.Context, cancel context.CancelCauseFunc, first *stallError) *attempt {
	a := &attempt{actx: actx, cancel: cancel, cause: first}
	a.timer = time.AfterFunc(first.d, a.fire)
	return a
}

func (a *attempt) fire() {
	a.mu.Lock()
	c := a.cause
	a.mu.Unlock()
	a.cancel(c)
}

// arm restarts the timer as a watch for cause.
func (a *attempt) arm(cause *stallError) {
	a.mu.Lock()
	a.cause = cause
	a.mu.Unlock()
	a.timer.Reset(cause.d)
}

func (a *attempt) stop() { a.timer.Stop() }

// ctx is the attempt's context, whose cause tells a stall from other failures.
func (a *attempt) ctx() context.Context { return a.actx }

func uploadStall() *stallError { return &stallError{"upload stalled: no byte taken", readIdleTimeout} }
func noAnswer() *stallError    { return &stallError{"no answer", answerTimeout} }
func downloadStall() *stallError {
	return &stallError{"download stalled: no byte received", readIdleTimeout}
}

// watchedUpload is a request body whose every read re-arms the attempt's upload watch;
// at its end the watch becomes the wait for the answer.
type watchedUpload struct {
	r *bytes.Reader
	a *attempt
}

func (u *watchedUpload) Read(p []byte) (int, error) {
	n, err := u.r.Read(p)
	if err == io.EOF {
		u.a.arm(noAnswer())
	} else {
		u.a.arm(uploadStall())
	}
	return n, err
}

func (u *watchedUpload) Close() error { return nil }

// watchBody wraps resp.Body so that a read re-arms the attempt's download watch; Close
// stops it and releases the attempt's context.
func watchBody(resp *http.Response, a *attempt) {
	a.arm(downloadStall())
	resp.Body = &watchedBody{rc: resp.Body, a: a}
}

type watchedBody struct {
	rc io.ReadCloser
	a  *attempt
}

func (w *watchedBody) Read(p []byte) (int, error) {
	n, err := w.rc.Read(p)
	w.a.arm(downloadStall())
	return n, err
}

func (w *watchedBody) Close() error {
	w.a.stop()
	err := w.rc.Close()
	w.a.cancel(context.Canceled)
	return err
}

// transportError classifies a request that got no answer (err from the HTTP client, or
// a read of the body cut short) on attempt ctx, whose parent is the caller's context:
// the caller's own end is final; an attempt's own timeout, a connection reset, refused
// or closed without an answer, is a network failure worth another attempt.
func transportError(parent, ctx context.Context, op, key string, err error) *store.Error {
	e := &store.Error{Op: op, Key: key, Err: err}
	if parent.Err() != nil {
		return e
	}
	var se *stallError
	if errors.As(context.Cause(ctx), &se) {
		e.Err, e.Retryable = se, true
		return e
	}
	e.Retryable = store.IsRetryable(err) || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, io.EOF)
	return e
}

// drain reads a little of a body before closing it, so the connection can be reused.
func drain(rc io.ReadCloser) {
	io.Copy(io.Discard, io.LimitReader(rc, 64<<10))
	rc.Close()
}
