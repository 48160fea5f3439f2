package httpstore

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"git-remote-object-store/store"
)

// testClient is a Client of srv with an unsigned backend that knows no error codes.
func testClient(srv *httptest.Server) *Client {
	base, _ := url.Parse(srv.URL)
	return New(Backend{
		Name:        "bucket",
		RangeHeader: "Range",
		XMLLimit:    1 << 20,
		Target: func(r *Request) *url.URL {
			u := *base
			u.Path = "/bucket/" + r.Key
			return &u
		},
		Sign:     func(context.Context, *http.Request, *Request) error { return nil },
		Classify: func(r *Request, resp *http.Response, e *store.Error) error { return nil },
	}, nil, &store.Policy{Attempts: 1})
}

// A server that sends headers and a few bytes, then goes silent: the read must fail
// after the idle timeout instead of hanging.
func TestStalledBodyFails(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "100")
		w.Write([]byte("partial"))
		w.(http.Flusher).Flush()
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(release)
	old := readIdleTimeout
	readIdleTimeout = 200 * time.Millisecond
	defer func() { readIdleTimeout = old }()

	rc, _, err := testClient(srv).Objects(Writes{}).Get(t.Context(), "k", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	start := time.Now()
	if _, err = io.ReadAll(rc); err == nil {
		t.Fatal("a stalled body read succeeded")
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Fatalf("the stalled read took %v", d)
	}
}

// The request goes where Target says, with path and query encoded once, the range in
// the backend's header, and the answer read into Info; a failed answer without a code
// is named by its status line and key.
func TestClientRequestAndAnswer(t *testing.T) {
	var got *http.Request
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r
		if strings.HasSuffix(r.URL.Path, "/missing") {
			w.WriteHeader(404)
			return
		}
		w.Header().Set("ETag", `"abc"`)
		w.Header().Set("Last-Modified", "Mon, 01 Jan 2024 00:00:00 GMT")
		w.Header().Set("Content-Range", "bytes 2-4/10")
		w.WriteHeader(206)
		io.WriteString(w, "cde")
	}))
	defer srv.Close()
	c := testClient(srv).Objects(Writes{})
	rc, in, err := c.Get(t.Context(), "a b/c#", &store.Range{Offset: 2, Length: 3})
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(rc)
	rc.Close()
	if string(body) != "cde" || in.Size != 10 || in.ETag != "abc" || in.LastModified.IsZero() {
		t.Fatalf("Get: %q %+v", body, in)
	}
	if got.URL.EscapedPath() != "/bucket/a%20b/c%23" || got.Header.Get("Range") != "bytes=2-4" {
		t.Fatalf("sent %s with Range %q", got.URL.EscapedPath(), got.Header.Get("Range"))
	}
	_, err = c.Head(t.Context(), "missing")
	var se *store.Error
	if !errors.As(err, &se) || se.Key != "missing" || se.Status != 404 || se.Message != "404 Not Found" {
		t.Fatalf("Head of a 404 without a code: %#v", err)
	}
	if rc, in, err := c.Get(t.Context(), "k", &store.Range{Offset: 5}); err != nil || in.Key != "k" || rc == nil {
		t.Fatalf("an empty range: %v %+v", err, in)
	}
}

func TestFirstPart(t *testing.T) {
	for _, c := range []struct {
		body      string
		size      int64
		whole     bool
		n         int
		wantError bool
	}{
		{"abc", 3, true, 3, false},
		{"abcdef", 3, true, 3, false},     // only the announced bytes are read
		{"ab", 3, true, 0, true},          // shorter than announced
		{"abc", -1, true, 3, false},       // shorter than a part
		{"abcd", -1, false, 4, false},     // a full part of unknown continuation: parts
		{"", -1, true, 0, false},          // empty
		{"abcdefgh", -1, false, 4, false}, // a full part: the rest follows in parts
		{"abcdefgh", 8, false, 4, false},
		{"abc", 8, true, 0, true},
	} {
		first, whole, err := firstPart("k", strings.NewReader(c.body), c.size, 4)
		if (err != nil) != c.wantError || err == nil && (whole != c.whole || len(first) != c.n) {
			t.Errorf("firstPart(%q, %d) = %q, %v, %v", c.body, c.size, first, whole, err)
		}
	}
}
