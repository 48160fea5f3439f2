package faultproxy

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// upstream serves GET with a 1000-byte body and counts the PUT bodies it received whole.
func upstream(t *testing.T) (*httptest.Server, *atomic.Int64, []byte) {
	body := bytes.Repeat([]byte("0123456789"), 100)
	var puts atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Host == "" || r.Header.Get("X-Test") != "yes" {
			w.WriteHeader(400)
			return
		}
		switch r.Method {
		case "PUT":
			n, err := io.Copy(io.Discard, r.Body)
			if err != nil || n != r.ContentLength {
				w.WriteHeader(400)
				return
			}
			puts.Add(1)
			w.Header().Set("ETag", `"put"`)
		default:
			w.Header().Set("Content-Length", "1000")
			w.Header().Set("ETag", `"e"`)
			w.Write(body)
		}
	}))
	t.Cleanup(srv.Close)
	return srv, &puts, body
}

func start(t *testing.T, target string) *Proxy {
	p, err := New(target, 1)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	return p
}

func do(t *testing.T, method, url string, body []byte) (*http.Response, []byte, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, _ := http.NewRequestWithContext(t.Context(), method, url, rd)
	req.Header.Set("X-Test", "yes")
	c := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	resp, err := c.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	got, err := io.ReadAll(resp.Body)
	return resp, got, err
}

func TestForwardUntouched(t *testing.T) {
	srv, puts, want := upstream(t)
	p := start(t, srv.URL)
	resp, got, err := do(t, "GET", p.URL+"/b/k%20x?a=1", nil)
	if err != nil || resp.StatusCode != 200 || !bytes.Equal(got, want) || resp.Header.Get("ETag") != `"e"` {
		t.Fatalf("GET: %v %v %d bytes", err, resp, len(got))
	}
	if resp, _, err := do(t, "PUT", p.URL+"/b/k", make([]byte, 300<<10)); err != nil || resp.StatusCode != 200 || puts.Load() != 1 {
		t.Fatalf("PUT: %v %v %d", err, resp, puts.Load())
	}
	if p.Requests() != 2 || len(p.Events()) != 0 {
		t.Fatalf("requests %d, events %v", p.Requests(), p.Events())
	}
}

func TestResetAndTruncate(t *testing.T) {
	srv, _, want := upstream(t)
	p := start(t, srv.URL)
	p.Add(Rule{Method: "GET", Requests: []int{1}, Fault: Reset(100)}, Rule{Method: "GET", Requests: []int{2}, Fault: Truncate(300)})
	_, got, err := do(t, "GET", p.URL+"/k", nil)
	if !errors.Is(err, syscall.ECONNRESET) || !bytes.Equal(got, want[:100]) {
		t.Fatalf("reset: %v, %d bytes", err, len(got))
	}
	_, got, err = do(t, "GET", p.URL+"/k", nil)
	if !errors.Is(err, io.ErrUnexpectedEOF) || !bytes.Equal(got, want[:300]) {
		t.Fatalf("truncate: %v, %d bytes", err, len(got))
	}
	if _, got, err = do(t, "GET", p.URL+"/k", nil); err != nil || !bytes.Equal(got, want) {
		t.Fatalf("third GET: %v", err)
	}
	if ev := p.Events(); len(ev) != 2 || ev[0].N != 1 || ev[1].N != 2 || !strings.Contains(ev[1].Fault, "truncate") {
		t.Fatalf("events %+v", ev)
	}
}

func TestStatusFaults(t *testing.T) {
	srv, puts, _ := upstream(t)
	p := start(t, srv.URL)
	p.Add(Rule{Requests: []int{1}, Fault: S3Error(503, "SlowDown")},
		Rule{Requests: []int{2}, Fault: AzureError(503, "ServerBusy")},
		Rule{Requests: []int{3}, Fault: Status(500, nil, "")})
	resp, body, err := do(t, "PUT", p.URL+"/k", make([]byte, 1<<20))
	if err != nil || resp.StatusCode != 503 || !strings.Contains(string(body), "<Code>SlowDown</Code>") {
		t.Fatalf("SlowDown: %v %v %s", err, resp, body)
	}
	resp, _, err = do(t, "GET", p.URL+"/k", nil)
	if err != nil || resp.StatusCode != 503 || resp.Header.Get("X-Ms-Error-Code") != "ServerBusy" {
		t.Fatalf("ServerBusy: %v %v", err, resp)
	}
	if resp, _, err = do(t, "GET", p.URL+"/k", nil); err != nil || resp.StatusCode != 500 {
		t.Fatalf("500: %v %v", err, resp)
	}
	if puts.Load() != 0 {
		t.Fatal("an error answer forwarded the write")
	}
}

// A fraction with a seed fires on the same requests every run.
func TestFractionDeterministic(t *testing.T) {
	srv, _, _ := upstream(t)
	pattern := func() string {
		p := start(t, srv.URL)
		p.Add(Rule{Fraction: 0.5, Fault: Status(503, nil, "")})
		var b strings.Builder
		for range 20 {
			resp, _, err := do(t, "GET", p.URL+"/k", nil)
			if err != nil {
				t.Fatal(err)
			}
			b.WriteString(map[bool]string{true: "x", false: "."}[resp.StatusCode == 503])
		}
		return b.String()
	}
	a, b := pattern(), pattern()
	if a != b || !strings.Contains(a, "x") || !strings.Contains(a, ".") {
		t.Fatalf("patterns %s and %s", a, b)
	}
}

// A lost answer: the write happened, the client saw a reset.
func TestLoseResponse(t *testing.T) {
	srv, puts, _ := upstream(t)
	p := start(t, srv.URL)
	p.Add(Rule{Method: "PUT", Limit: 1, Fault: LoseResponse()})
	if _, _, err := do(t, "PUT", p.URL+"/k", []byte("data")); err == nil {
		t.Fatal("the lost answer arrived")
	}
	if puts.Load() != 1 {
		t.Fatalf("%d writes performed", puts.Load())
	}
	if resp, _, err := do(t, "PUT", p.URL+"/k", []byte("data")); err != nil || resp.StatusCode != 200 || puts.Load() != 2 {
		t.Fatalf("second PUT (over the limit): %v %v", err, resp)
	}
}

// Stalls delay the request body or the answer by about their length.
func TestStalls(t *testing.T) {
	srv, puts, want := upstream(t)
	p := start(t, srv.URL)
	p.Add(Rule{Method: "PUT", Fault: StallRequest(1000, 300*time.Millisecond)},
		Rule{Method: "GET", Requests: []int{1}, Fault: StallResponse(-1, 300*time.Millisecond)},
		Rule{Method: "GET", Requests: []int{2}, Fault: StallResponse(10, 300*time.Millisecond)})
	for _, c := range []struct {
		method string
		body   []byte
	}{{"PUT", make([]byte, 1<<20)}, {"GET", nil}, {"GET", nil}} {
		start := time.Now()
		resp, got, err := do(t, c.method, p.URL+"/k", c.body)
		if err != nil || resp.StatusCode != 200 || (c.method == "GET" && !bytes.Equal(got, want)) {
			t.Fatalf("%s: %v %v", c.method, err, resp)
		}
		if d := time.Since(start); d < 250*time.Millisecond {
			t.Fatalf("%s was not stalled (%v)", c.method, d)
		}
	}
	if puts.Load() != 1 {
		t.Fatal("the stalled PUT did not arrive whole")
	}
}

// A client that gives up on a stalled answer frees the proxy, and Close ends stalls.
func TestStallEndsOnClose(t *testing.T) {
	srv, _, _ := upstream(t)
	p, err := New(srv.URL, 0)
	if err != nil {
		t.Fatal(err)
	}
	p.Add(Rule{Fault: StallRequest(0, time.Hour)})
	done := make(chan error, 1)
	go func() { _, _, err := do(t, "PUT", p.URL+"/k", make([]byte, 8<<20)); done <- err }()
	time.Sleep(200 * time.Millisecond)
	start := time.Now()
	p.Close()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Close left the stalled request hanging")
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("Close took %v", d)
	}
}

func TestNewRefusesBadTarget(t *testing.T) {
	if _, err := New("127.0.0.1:9", 0); err == nil {
		t.Fatal("accepted a target without a scheme")
	}
}
