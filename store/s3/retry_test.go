package s3

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"git-remote-object-store/store"
)

// lossyS3 stores single-part PUTs but "loses" the answer of the first one (500 after the
// write landed), then applies If-None-Match honestly: the retry sees 412. A unit-test
// fake for the retry logic; the real conditional semantics are covered on versitygw.
type lossyS3 struct {
	mu      sync.Mutex
	objects map[string][]byte
	puts    int
}

func (f *lossyS3) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	key := r.URL.Path
	switch r.Method {
	case "PUT":
		f.puts++
		if _, exists := f.objects[key]; exists && r.Header.Get("If-None-Match") == "*" {
			w.WriteHeader(412)
			io.WriteString(w, "<Error><Code>PreconditionFailed</Code></Error>")
			return
		}
		body, _ := io.ReadAll(r.Body)
		f.objects[key] = body
		if f.puts == 1 {
			w.WriteHeader(500)
			io.WriteString(w, "<Error><Code>InternalError</Code></Error>")
			return
		}
		sum := md5.Sum(body)
		w.Header().Set("ETag", `"`+hex.EncodeToString(sum[:])+`"`)
	case "HEAD":
		body, ok := f.objects[key]
		if !ok {
			w.WriteHeader(404)
			return
		}
		sum := md5.Sum(body)
		w.Header().Set("ETag", `"`+hex.EncodeToString(sum[:])+`"`)
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	}
}

func TestRetriedCreateThatLandedIsNotALostRace(t *testing.T) {
	fake := &lossyS3{objects: map[string][]byte{}}
	srv := httptest.NewServer(fake)
	defer srv.Close()
	policy := store.Policy{Attempts: 3, Sleep: func(context.Context, time.Duration) error { return nil }}
	st, _ := New(Config{Endpoint: srv.URL, Bucket: "b", PathStyle: true, Credentials: Static{AccessKeyID: "a", SecretAccessKey: "s"}, Policy: &policy})
	in, err := st.Put(t.Context(), "lock", strings.NewReader("mine"), 4, store.Cond{IfNoneMatch: true})
	if err != nil {
		t.Fatalf("our own landed create was reported as %v", err)
	}
	if fake.puts != 2 || in.ETag == "" {
		t.Fatalf("%d PUTs, info %+v", fake.puts, in)
	}
	// Somebody else's object under the key: a real loss.
	fake.puts = 10
	fake.objects["/b/other"] = []byte("theirs")
	if _, err := st.Put(t.Context(), "other", strings.NewReader("mine"), 4, store.Cond{IfNoneMatch: true}); !errors.Is(err, store.ErrPrecondition) {
		t.Fatalf("a real lost race: %v, want ErrPrecondition", err)
	}
}
