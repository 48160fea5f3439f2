package httpstore

import (
	"context"
	"io"
	"net"
	"net/http"
	"time"
)

// newHTTPClient returns the client a backend uses unless its configuration brings one:
// bounded connect, TLS and response-header timeouts (a stalled server fails instead of
// hanging git), no redirects (a redirect would replay a signature made for another URL;
// the backend reads the 301/307 itself, e.g. for S3 region discovery), and no
// transparent compression (byte ranges and content hashes must mean the stored bytes).
func newHTTPClient() *http.Client {
	dialer := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}
	tr := &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           dialer.DialContext,
		TLSHandshakeTimeout:   10 * time.Second,
		ResponseHeaderTimeout: 60 * time.Second,
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

// readIdleTimeout is how long a response body may deliver no byte before the request is
// abandoned: a stalled server must fail a fetch, not hang git forever. The client's
// timeouts end at the response header, so the body needs a watch of its own.
var readIdleTimeout = 2 * time.Minute

// watchBody wraps resp.Body so that a read re-arms an idle timer which, when it fires,
// cancels the request's context (cancel) and so fails the read; Close releases the
// context.
func watchBody(resp *http.Response, cancel context.CancelFunc) {
	w := &watchedBody{rc: resp.Body, cancel: cancel}
	w.timer = time.AfterFunc(readIdleTimeout, cancel)
	resp.Body = w
}

type watchedBody struct {
	rc     io.ReadCloser
	cancel context.CancelFunc
	timer  *time.Timer
}

func (w *watchedBody) Read(p []byte) (int, error) {
	n, err := w.rc.Read(p)
	w.timer.Reset(readIdleTimeout)
	return n, err
}

func (w *watchedBody) Close() error {
	w.timer.Stop()
	err := w.rc.Close()
	w.cancel()
	return err
}

// drain reads a little of a body before closing it, so the connection can be reused.
func drain(rc io.ReadCloser) {
	io.Copy(io.Discard, io.LimitReader(rc, 64<<10))
	rc.Close()
}
