package httpstore

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"git-remote-object-store/store"
)

// TestTrafficCountsEveryAttempt: each attempt is one request in the process's totals,
// a repeated one is counted as retried, and the bodies sent and received (also a failed
// answer's) are added up, whether or not the trace is on.
func TestTrafficCountsEveryAttempt(t *testing.T) {
	t.Setenv("GIT_REMOTE_OBJECT_STORE_VERBOSE", "")
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		if calls.Add(1) == 1 {
			w.WriteHeader(503)
			w.Write([]byte("busy"))
			return
		}
		w.Write([]byte("twelve bytes"))
	}))
	defer srv.Close()
	c := testClient(srv)
	c.policy = store.Policy{Attempts: 3, Sleep: func(context.Context, time.Duration) error { return nil }}
	c.Classify = func(_ *Request, resp *http.Response, e *store.Error) error {
		e.Retryable = resp.StatusCode >= 500
		return nil
	}
	before := store.TrafficSoFar()
	_, err := c.Do(t.Context(), &Request{Op: "put", Method: "PUT", Key: "k", Body: []byte("0123456789")}, func(resp *http.Response) error {
		_, err := io.Copy(io.Discard, resp.Body)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	after := store.TrafficSoFar()
	got := store.Traffic{Requests: after.Requests - before.Requests, Retried: after.Retried - before.Retried,
		Sent: after.Sent - before.Sent, Received: after.Received - before.Received}
	if want := (store.Traffic{Requests: 2, Retried: 1, Sent: 20, Received: 4 + 12}); got != want {
		t.Fatalf("counted %+v, want %+v", got, want)
	}
}
