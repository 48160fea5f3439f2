package store_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"git-remote-object-store/store"
)

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
	old := store.ReadIdleTimeout
	store.ReadIdleTimeout = 200 * time.Millisecond
	defer func() { store.ReadIdleTimeout = old }()

	ctx, cancel := store.WatchedContext(t.Context())
	req, _ := http.NewRequestWithContext(ctx, "GET", srv.URL, nil)
	resp, err := store.HTTPClient().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	store.WatchBody(resp, cancel)
	defer resp.Body.Close()
	start := time.Now()
	_, err = io.ReadAll(resp.Body)
	if err == nil {
		t.Fatal("a stalled body read succeeded")
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Fatalf("the stalled read took %v", d)
	}
}
