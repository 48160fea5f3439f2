// Package faultproxy is a reverse proxy on 127.0.0.1 in front of a real object-store
// server (versitygw, Azurite) that injects the network's misbehaviour on request: a
// connection reset after some bytes of an answer, a stalled upload or download, an error
// answer (500, 503, S3's SlowDown, Azure's ServerBusy), a body cut short, or a write
// performed whose answer is lost. Tests only; standard library only.
//
// Faults are chosen by Rules: a rule matches requests (by method, by a predicate) and
// fires on the k-th of the requests it matches (Requests, 1-based), on a seeded random
// fraction of them, or on all of them, at most Limit times. The first rule that fires
// decides a request's fault (every rule that matches a request counts it, so each rule's
// Requests are numbered among its own matches); requests no rule fires on are forwarded
// untouched. Given explicit request numbers, or a seed and requests sent one at a time, a
// run is deterministic.
//
// Requests are forwarded with their Host header and request URI as sent, so a signature
// the client made for the proxy's address is checked by the server against the same
// bytes.
package faultproxy

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"time"
)

// Fault is what the proxy does to one request instead of forwarding it faithfully. Make
// one with Reset, Truncate, StallRequest, StallResponse, Status, S3Error, AzureError or
// LoseResponse.
type Fault struct {
	kind   kind
	after  int64         // bytes of the body (request or response) before the fault
	d      time.Duration // a stall's length
	status int
	header http.Header
	body   string
}

type kind int

const (
	kindNone kind = iota
	kindReset
	kindTruncate
	kindStallRequest
	kindStallResponse
	kindStatus
	kindLose
)

func (f Fault) String() string {
	switch f.kind {
	case kindReset:
		return fmt.Sprintf("reset after %d response bytes", f.after)
	case kindTruncate:
		return fmt.Sprintf("truncate after %d response bytes", f.after)
	case kindStallRequest:
		return fmt.Sprintf("stall request body after %d bytes for %v", f.after, f.d)
	case kindStallResponse:
		if f.after < 0 {
			return fmt.Sprintf("stall before the answer for %v", f.d)
		}
		return fmt.Sprintf("stall response body after %d bytes for %v", f.after, f.d)
	case kindStatus:
		return fmt.Sprintf("answer %d", f.status)
	case kindLose:
		return "forward, then lose the answer"
	}
	return "none"
}

// Reset forwards the request and sends the answer's status line, header and the first n
// bytes of its body, then resets the connection (TCP RST). n 0 resets right after the
// header.
func Reset(n int64) Fault { return Fault{kind: kindReset, after: n} }

// Truncate is Reset with an orderly close (FIN) instead of a reset: the body is cut short
// after n bytes, as a server that dies mid-answer leaves it.
func Truncate(n int64) Fault { return Fault{kind: kindTruncate, after: n} }

// StallRequest stops reading the request body after n bytes for d (or until the proxy
// closes), then goes on forwarding it.
func StallRequest(n int64, d time.Duration) Fault {
	return Fault{kind: kindStallRequest, after: n, d: d}
}

// StallResponse forwards the request, then stops sending the answer for d after n bytes
// of its body; n < 0 stalls before the status line: a server that never answers.
func StallResponse(n int64, d time.Duration) Fault {
	return Fault{kind: kindStallResponse, after: n, d: d}
}

// Status answers status with header h and body, without forwarding the request (whose
// body is read and dropped first, so the client sees the answer and not a broken pipe).
func Status(status int, h http.Header, body string) Fault {
	return Fault{kind: kindStatus, status: status, header: h, body: body}
}

// S3Error answers status with S3's XML error document of code ("SlowDown", …).
func S3Error(status int, code string) Fault {
	h := http.Header{"Content-Type": {"application/xml"}}
	return Status(status, h, fmt.Sprintf(`<?xml version="1.0" encoding="UTF-8"?>`+
		`<Error><Code>%s</Code><Message>injected by faultproxy</Message><RequestId>faultproxy</RequestId></Error>`, code))
}

// AzureError answers status with Azure's x-ms-error-code header and XML error body of code
// ("ServerBusy", …).
func AzureError(status int, code string) Fault {
	h := http.Header{"Content-Type": {"application/xml"}, "X-Ms-Error-Code": {code}, "X-Ms-Request-Id": {"faultproxy"}}
	return Status(status, h, fmt.Sprintf(`<?xml version="1.0" encoding="utf-8"?>`+
		`<Error><Code>%s</Code><Message>injected by faultproxy</Message></Error>`, code))
}

// LoseResponse forwards the request, reads the server's whole answer (so a write is
// performed), then resets the client's connection without sending any of it.
func LoseResponse() Fault { return Fault{kind: kindLose} }

// Rule chooses the requests a Fault is applied to.
type Rule struct {
	Method string                   // "" matches every method
	Match  func(*http.Request) bool // nil matches every request
	// Requests are the numbers (1-based) among the requests this rule matches that it
	// fires on. Empty: every matching request, or a Fraction of them.
	Requests []int
	// Fraction, when Requests is empty and Fraction is in (0,1), fires on each matching
	// request with this probability, drawn from the proxy's seeded source.
	Fraction float64
	Limit    int // fire at most this many times; 0 is no limit
	Fault    Fault

	seen, fired int
}

// Event is one fault the proxy applied.
type Event struct {
	N      int    // the request's number among all the proxy saw, 1-based
	Method string // the request's method and URI
	URI    string
	Fault  string
}

// Proxy is a running fault proxy.
type Proxy struct {
	URL string // http://127.0.0.1:port, to use instead of the server's endpoint

	target *url.URL
	srv    *httptest.Server
	tr     *http.Transport
	closed chan struct{}

	mu     sync.Mutex
	rnd    *rand.Rand
	rules  []*Rule
	n      int
	events []Event
}

// New starts a proxy in front of target (scheme://host[:port]; any path is ignored, the
// request URI is forwarded as sent). seed feeds the Fraction draws.
func New(target string, seed uint64) (*Proxy, error) {
	u, err := url.Parse(target)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("faultproxy: target %q is not http(s)://host[:port]", target)
	}
	p := &Proxy{
		target: &url.URL{Scheme: u.Scheme, Host: u.Host},
		tr: &http.Transport{
			Proxy: nil, DisableCompression: true, MaxIdleConnsPerHost: 16,
			DialContext: (&net.Dialer{Timeout: 10 * time.Second}).DialContext,
		},
		closed: make(chan struct{}),
		rnd:    rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)),
	}
	p.srv = httptest.NewUnstartedServer(http.HandlerFunc(p.serve))
	// A small receive buffer, so that a stalled request body stalls the client's writes
	// after a few hundred KiB instead of after the kernel's many MiB of autotuning.
	p.srv.Config.ConnState = func(c net.Conn, s http.ConnState) {
		if s == http.StateNew {
			if tc, ok := c.(*net.TCPConn); ok {
				tc.SetReadBuffer(64 << 10)
			}
		}
	}
	p.srv.Start()
	p.URL = p.srv.URL
	return p, nil
}

// Close stops the proxy: stalls end, connections close.
func (p *Proxy) Close() {
	select {
	case <-p.closed:
		return
	default:
	}
	close(p.closed)
	p.srv.CloseClientConnections()
	p.srv.Close()
	p.tr.CloseIdleConnections()
}

// Add appends rules; they are consulted in the order added.
func (p *Proxy) Add(rules ...Rule) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for i := range rules {
		r := rules[i]
		p.rules = append(p.rules, &r)
	}
}

// Clear drops every rule: from now on requests are forwarded untouched. Events and the
// request count are kept.
func (p *Proxy) Clear() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.rules = nil
}

// Requests is how many requests the proxy has received.
func (p *Proxy) Requests() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.n
}

// Events are the faults applied so far, in order.
func (p *Proxy) Events() []Event {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]Event(nil), p.events...)
}

// choose numbers the request and returns the fault of the first rule that fires on it.
func (p *Proxy) choose(r *http.Request) Fault {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.n++
	var chosen *Rule
	for _, rule := range p.rules { // every matching rule counts the request
		if (rule.Method != "" && rule.Method != r.Method) || (rule.Match != nil && !rule.Match(r)) {
			continue
		}
		rule.seen++
		fire := false
		switch {
		case len(rule.Requests) > 0:
			for _, k := range rule.Requests {
				fire = fire || k == rule.seen
			}
		case rule.Fraction > 0 && rule.Fraction < 1:
			fire = p.rnd.Float64() < rule.Fraction
		default:
			fire = true
		}
		if fire && chosen == nil && (rule.Limit <= 0 || rule.fired < rule.Limit) {
			chosen = rule
		}
	}
	if chosen == nil {
		return Fault{}
	}
	chosen.fired++
	p.events = append(p.events, Event{N: p.n, Method: r.Method, URI: r.RequestURI, Fault: chosen.Fault.String()})
	return chosen.Fault
}

// hopHeaders are the hop-by-hop headers a proxy does not forward.
var hopHeaders = []string{"Connection", "Keep-Alive", "Proxy-Connection", "Proxy-Authenticate",
	"Proxy-Authorization", "Te", "Trailer", "Transfer-Encoding", "Upgrade"}

func (p *Proxy) serve(w http.ResponseWriter, r *http.Request) {
	f := p.choose(r)
	if f.kind == kindStatus {
		io.Copy(io.Discard, r.Body)
		for k, v := range f.header {
			w.Header()[k] = v
		}
		w.Header().Set("Content-Length", fmt.Sprint(len(f.body)))
		w.WriteHeader(f.status)
		if r.Method != "HEAD" {
			io.WriteString(w, f.body)
		}
		return
	}
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	go func() { // the proxy's Close ends the upstream request too
		select {
		case <-p.closed:
			cancel()
		case <-ctx.Done():
		}
	}()
	out, err := http.NewRequestWithContext(ctx, r.Method, p.target.String()+r.RequestURI, nil)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	out.Host = r.Host
	out.Header = r.Header.Clone()
	for _, h := range hopHeaders {
		out.Header.Del(h)
	}
	out.ContentLength = r.ContentLength
	if r.ContentLength != 0 {
		out.Body = r.Body
		if f.kind == kindStallRequest {
			out.Body = &stallReader{r: r.Body, after: f.after, d: f.d, p: p, ctx: ctx}
		}
	}
	if f.kind == kindStallResponse && f.after < 0 {
		if !p.sleep(r.Context(), f.d) {
			return
		}
	}
	resp, err := p.tr.RoundTrip(out)
	if err != nil {
		if f.kind == kindLose { // lost either way
			p.reset(w)
			return
		}
		http.Error(w, "faultproxy: "+err.Error(), http.StatusBadGateway)
		return
	}
	defer resp.Body.Close()
	for _, h := range hopHeaders {
		resp.Header.Del(h)
	}
	switch f.kind {
	case kindLose:
		io.Copy(io.Discard, resp.Body)
		p.reset(w)
		return
	case kindReset, kindTruncate:
		p.partial(w, r, resp, f)
		return
	}
	for k, v := range resp.Header {
		w.Header()[k] = v
	}
	w.WriteHeader(resp.StatusCode)
	if r.Method == "HEAD" {
		return
	}
	if f.kind == kindStallResponse && f.after >= 0 {
		if _, err := io.CopyN(w, resp.Body, f.after); err != nil {
			return
		}
		w.(http.Flusher).Flush()
		if !p.sleep(r.Context(), f.d) {
			return
		}
	}
	io.Copy(w, resp.Body)
}

// partial sends resp's head and f.after bytes of its body on the raw connection, then
// resets it (Reset) or closes it (Truncate).
func (p *Proxy) partial(w http.ResponseWriter, r *http.Request, resp *http.Response, f Fault) {
	conn, bw, err := w.(http.Hijacker).Hijack()
	if err != nil {
		return
	}
	fmt.Fprintf(bw, "HTTP/1.1 %s\r\n", resp.Status)
	h := resp.Header.Clone()
	if resp.ContentLength >= 0 {
		h.Set("Content-Length", fmt.Sprint(resp.ContentLength))
	}
	h.Set("Connection", "close")
	h.Write(bw)
	bw.WriteString("\r\n")
	if r.Method != "HEAD" {
		io.CopyN(bw, resp.Body, f.after)
	}
	bw.Flush()
	if f.kind == kindReset {
		abort(conn)
		return
	}
	conn.Close()
}

// reset resets the client's connection without an answer.
func (p *Proxy) reset(w http.ResponseWriter) {
	if conn, _, err := w.(http.Hijacker).Hijack(); err == nil {
		abort(conn)
	}
}

// abort closes conn with a TCP RST.
func abort(conn net.Conn) {
	if tc, ok := conn.(*net.TCPConn); ok {
		tc.SetLinger(0)
	}
	conn.Close()
}

// sleep waits d; false when the client went away or the proxy closed first.
func (p *Proxy) sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	case <-p.closed:
		return false
	}
}

// stallReader passes through after bytes, then stalls once for d.
type stallReader struct {
	r       io.ReadCloser
	after   int64
	d       time.Duration
	p       *Proxy
	ctx     context.Context
	n       int64
	stalled bool
}

func (s *stallReader) Read(b []byte) (int, error) {
	if !s.stalled && s.n >= s.after {
		s.stalled = true
		if !s.p.sleep(s.ctx, s.d) {
			return 0, fmt.Errorf("faultproxy: stall ended by close")
		}
	}
	if !s.stalled && int64(len(b)) > s.after-s.n {
		b = b[:s.after-s.n]
	}
	n, err := s.r.Read(b)
	s.n += int64(n)
	return n, err
}

func (s *stallReader) Close() error { return s.r.Close() }
