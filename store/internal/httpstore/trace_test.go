package httpstore

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"git-remote-object-store/store"
)

func TestVerbosity(t *testing.T) {
	cases := []struct {
		ours, awslabs string
		want          int
	}{
		{"", "", 0}, {"0", "1", 0}, {"1", "", 1}, {"true", "", 1}, {"2", "", 2}, {"", "1", 1},
		{"", "2", 2}, {"", "false", 0}, {"yes", "", 1}, {"3", "", 3}, {"12", "", 1},
	}
	for _, c := range cases {
		env := map[string]string{"GIT_REMOTE_OBJECT_STORE_VERBOSE": c.ours, "GIT_REMOTE_S3_VERBOSE": c.awslabs}
		if got := Verbosity(func(k string) string { return env[k] }); got != c.want {
			t.Errorf("Verbosity(%q, %q) = %d, want %d", c.ours, c.awslabs, got, c.want)
		}
	}
}

// TestTraceCountsRetries: a request answered 503 then 200 is traced twice, the second
// named as a retry; a request that got no answer is traced with its error; a bearer
// token set by Sign appears only masked.
func TestTraceCountsRetries(t *testing.T) {
	t.Setenv("GIT_REMOTE_OBJECT_STORE_VERBOSE", "2")
	const token = "eyJ0eXAiOiJKV1QiLCJhbGciOi.secret-bearer-token"
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) == 1 {
			w.WriteHeader(503)
			return
		}
		w.Write([]byte("body"))
	}))
	defer srv.Close()
	var trace bytes.Buffer
	defer TraceTo(&trace)()
	c := testClient(srv)
	c.policy = store.Policy{Attempts: 3, Sleep: func(context.Context, time.Duration) error { return nil }}
	c.Sign = func(_ context.Context, req *http.Request, _ *Request) error {
		req.Header.Set("Authorization", "Bearer "+token)
		return nil
	}
	c.Classify = func(_ *Request, resp *http.Response, e *store.Error) error {
		e.Retryable = resp.StatusCode >= 500
		return nil
	}
	if _, err := c.Do(t.Context(), &Request{Op: "get", Method: "GET", Key: "a/b"}, nil); err != nil {
		t.Fatal(err)
	}
	srv.Close()
	c.policy = store.Policy{Attempts: 1}
	if _, err := c.Do(t.Context(), &Request{Op: "list", Method: "GET", Bucket: true}, nil); err == nil {
		t.Fatal("a closed server answered")
	}
	out := trace.String()
	for _, want := range []string{
		"object-store: GET a/b -> 503, 0 bytes sent, ",
		"object-store: GET a/b -> 200, 0 bytes sent, 4 received, ",
		", retry 1\n",
		"object-store: GET bucket (list) -> error (",
		"> Authorization: Bearer REDACTED\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("trace lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, token) || strings.Contains(out, "secret-bearer") {
		t.Errorf("trace holds the token:\n%s", out)
	}
}
