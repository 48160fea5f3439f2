package httpstore_test

// Issue 18, hostile network: each backend through internal/faultproxy in front of its real
// test server (versitygw, Azurite).

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"io"
	"net/url"
	"strings"
	"testing"
	"time"

	"git-remote-object-store/internal/faultproxy"
	"git-remote-object-store/internal/testenv"
	"git-remote-object-store/store"
	"git-remote-object-store/store/azblob"
	"git-remote-object-store/store/internal/httpstore"
	"git-remote-object-store/store/s3"
)

// fastPolicy retries at once, so a test's time is its faults'.
var fastPolicy = store.Policy{Attempts: 5, Base: 10 * time.Millisecond, Max: 50 * time.Millisecond}

// faultyStores returns, for each cloud, a store through a fresh fault proxy, the proxy,
// and a store talking to the server directly. partSize is the one-request limit and part
// size.
func faultyStores(t *testing.T, partSize int64) map[string]func(t *testing.T) (via store.Store, p *faultproxy.Proxy, direct store.Store) {
	return map[string]func(t *testing.T) (store.Store, *faultproxy.Proxy, store.Store){
		"s3": func(t *testing.T) (store.Store, *faultproxy.Proxy, store.Store) {
			cfg := testenv.S3Bucket(t)
			cfg.PartSize = partSize
			direct, err := s3.New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			p := proxy(t, cfg.Endpoint)
			cfg.Endpoint, cfg.Policy = p.URL, &fastPolicy
			via, err := s3.New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			return via, p, direct
		},
		"azblob": func(t *testing.T) (store.Store, *faultproxy.Proxy, store.Store) {
			cfg := testenv.AzureContainer(t)
			cfg.BlockSize = partSize
			direct, err := azblob.New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			p := proxy(t, cfg.Endpoint)
			u, _ := url.Parse(cfg.Endpoint)
			cfg.Endpoint, cfg.Policy = p.URL+u.Path, &fastPolicy
			via, err := azblob.New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			return via, p, direct
		},
	}
}

func proxy(t *testing.T, endpoint string) *faultproxy.Proxy {
	p, err := faultproxy.New(endpoint, 18)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	return p
}

func random(n int) []byte {
	b := make([]byte, n)
	rand.Read(b)
	return b
}

func put(t *testing.T, st store.Store, key string, data []byte) store.Info {
	t.Helper()
	in, err := st.Put(t.Context(), key, bytes.NewReader(data), int64(len(data)), store.Cond{})
	if err != nil {
		t.Fatal(err)
	}
	return in
}

func get(ctx context.Context, st store.Store, key string, rg *store.Range) ([]byte, error) {
	rc, _, err := st.Get(ctx, key, rg)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return io.ReadAll(rc)
}

// Row 1: a server that never answers costs one attempt's answer timeout, and the request
// is retried; only the caller's own deadline is final.
func TestFaultNoAnswerIsRetried(t *testing.T) {
	httpstore.SetTimeouts(t, 2*time.Second, 300*time.Millisecond, 10)
	for name, open := range faultyStores(t, 5<<20) {
		t.Run(name, func(t *testing.T) {
			via, p, direct := open(t)
			data := random(1000)
			put(t, direct, "k", data)
			p.Add(faultproxy.Rule{Method: "GET", Requests: []int{1}, Fault: faultproxy.StallResponse(-1, time.Minute)},
				faultproxy.Rule{Method: "PUT", Requests: []int{1}, Fault: faultproxy.StallResponse(-1, time.Minute)})
			ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
			defer cancel()
			start := time.Now()
			got, err := get(ctx, via, "k", nil)
			if err != nil || !bytes.Equal(got, data) {
				t.Fatalf("Get after an unanswered attempt: %v", err)
			}
			if _, err := via.Put(ctx, "k2", bytes.NewReader(data), int64(len(data)), store.Cond{IfNoneMatch: true}); err != nil {
				t.Fatalf("Put after an unanswered attempt: %v", err)
			}
			if d := time.Since(start); d > 10*time.Second {
				t.Fatalf("took %v", d)
			}
			if n := len(p.Events()); n != 2 {
				t.Fatalf("%d faults applied, want 2", n)
			}

			// The caller's deadline is final: no answer ever, a 1 s deadline.
			p.Add(faultproxy.Rule{Fault: faultproxy.StallResponse(-1, time.Minute)})
			dctx, dcancel := context.WithTimeout(t.Context(), time.Second)
			defer dcancel()
			start = time.Now()
			_, err = via.Head(dctx, "k")
			if !errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("Head past the caller's deadline: %v", err)
			}
			if d := time.Since(start); d > 3*time.Second {
				t.Fatalf("the caller's deadline was not respected: %v", d)
			}
		})
	}
}

// Row 2: a server that stops reading an upload: the stalled attempt (one request, or one
// part) is abandoned after the idle timeout and retried; the caller's deadline is final.
func TestFaultStalledUploadIsRetried(t *testing.T) {
	httpstore.SetTimeouts(t, 500*time.Millisecond, 5*time.Second, 10)
	for name, open := range faultyStores(t, 8<<20) {
		t.Run(name, func(t *testing.T) {
			via, p, direct := open(t)
			ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
			defer cancel()
			for _, c := range []struct {
				key  string
				size int
			}{{"one", 7 << 20}, {"parts", 20 << 20}} {
				p.Clear()
				before := len(p.Events())
				p.Add(faultproxy.Rule{Method: "PUT", Requests: []int{1}, Fault: faultproxy.StallRequest(64<<10, time.Minute)})
				data := random(c.size)
				start := time.Now()
				if _, err := via.Put(ctx, c.key, bytes.NewReader(data), int64(len(data)), store.Cond{IfNoneMatch: true}); err != nil {
					t.Fatalf("Put %s through a stalled upload: %v", c.key, err)
				}
				if d := time.Since(start); d > 15*time.Second {
					t.Fatalf("Put %s took %v", c.key, d)
				}
				if len(p.Events()) != before+1 {
					t.Fatalf("the stall was not applied: %v", p.Events())
				}
				if got, err := get(ctx, direct, c.key, nil); err != nil || !bytes.Equal(got, data) {
					t.Fatalf("stored %s: %v, %d bytes", c.key, err, len(got))
				}
			}

			// Every upload stalls: the caller's deadline ends the Put, and nothing is stored.
			p.Clear()
			p.Add(faultproxy.Rule{Method: "PUT", Fault: faultproxy.StallRequest(64<<10, time.Minute)})
			dctx, dcancel := context.WithTimeout(t.Context(), 2*time.Second)
			defer dcancel()
			start := time.Now()
			data := random(7 << 20)
			_, err := via.Put(dctx, "never", bytes.NewReader(data), int64(len(data)), store.Cond{})
			if err == nil || dctx.Err() == nil {
				t.Fatalf("Put with every upload stalled: %v", err)
			}
			if d := time.Since(start); d > 5*time.Second {
				t.Fatalf("the caller's deadline was not respected: %v", d)
			}
			if _, err := direct.Head(t.Context(), "never"); !store.IsNotFound(err) {
				t.Fatalf("a failed Put left an object: %v", err)
			}
		})
	}
}

// Row 3: a download whose connection is reset, cut short or stalled resumes with ranged
// Gets pinned to the ETag; a changed object is a clear error, and when resumes run out
// the error names the network's cause.
func TestFaultGetResumes(t *testing.T) {
	httpstore.SetTimeouts(t, 300*time.Millisecond, 5*time.Second, 3)
	for name, open := range faultyStores(t, 8<<20) {
		t.Run(name, func(t *testing.T) {
			via, p, direct := open(t)
			data := random(3 << 20)
			put(t, direct, "k", data)
			ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
			defer cancel()

			p.Add(faultproxy.Rule{Method: "GET", Requests: []int{1}, Fault: faultproxy.Reset(300 << 10)},
				faultproxy.Rule{Method: "GET", Requests: []int{2}, Fault: faultproxy.Truncate(500 << 10)},
				faultproxy.Rule{Method: "GET", Requests: []int{3}, Fault: faultproxy.StallResponse(100<<10, time.Minute)})
			got, err := get(ctx, via, "k", nil)
			if err != nil || !bytes.Equal(got, data) {
				t.Fatalf("Get through a reset, a truncation and a stall: %v, %d bytes", err, len(got))
			}
			if n := len(p.Events()); n != 3 {
				t.Fatalf("%d faults applied, want 3", n)
			}

			// A range resumes within itself.
			p.Clear()
			p.Add(faultproxy.Rule{Method: "GET", Requests: []int{1}, Fault: faultproxy.Reset(200 << 10)})
			got, err = get(ctx, via, "k", &store.Range{Offset: 1000, Length: 2 << 20})
			if err != nil || !bytes.Equal(got, data[1000:1000+2<<20]) {
				t.Fatalf("ranged Get through a reset: %v, %d bytes", err, len(got))
			}

			// The object is replaced before the read resumes: the error says so.
			p.Clear()
			p.Add(faultproxy.Rule{Method: "GET", Requests: []int{1}, Fault: faultproxy.StallResponse(100<<10, time.Minute)})
			rc, _, err := via.Get(ctx, "k", nil)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := io.ReadFull(rc, make([]byte, 50<<10)); err != nil {
				t.Fatal(err)
			}
			put(t, direct, "k", random(1000))
			_, err = io.ReadAll(rc)
			rc.Close()
			if !errors.Is(err, store.ErrPrecondition) || !strings.Contains(err.Error(), "changed while it was being read") {
				t.Fatalf("Get of an object replaced mid-read: %v", err)
			}

			// Every answer is reset: after the bounded resumes, the error is the network's.
			p.Clear()
			p.Add(faultproxy.Rule{Method: "GET", Fault: faultproxy.Reset(10 << 10)})
			put(t, direct, "k", data)
			_, err = get(ctx, via, "k", nil)
			var se *store.Error
			if !errors.As(err, &se) || se.Op != "get" || se.Key != "k" ||
				!strings.Contains(err.Error(), "connection lost after") || !strings.Contains(err.Error(), "resumed 3 times") ||
				!strings.Contains(err.Error(), "reset") {
				t.Fatalf("Get with every connection reset: %v", err)
			}
		})
	}
}

// A conditional write performed by the server whose answer is lost: the retry loses its
// condition to our own first attempt, and Settle recognises the object as ours.
func TestFaultLostAnswerOfConditionalPut(t *testing.T) {
	httpstore.SetTimeouts(t, 2*time.Second, 5*time.Second, 10)
	for name, open := range faultyStores(t, 5<<20) {
		t.Run(name, func(t *testing.T) {
			via, p, direct := open(t)
			ctx := t.Context()
			p.Add(faultproxy.Rule{Method: "PUT", Requests: []int{1, 2}, Fault: faultproxy.LoseResponse()})

			v1 := random(1000)
			in, err := via.Put(ctx, "k", bytes.NewReader(v1), int64(len(v1)), store.Cond{IfNoneMatch: true})
			if err != nil {
				t.Fatalf("create-only Put whose answer was lost: %v", err)
			}
			head, err := direct.Head(ctx, "k")
			if err != nil || head.ETag != in.ETag {
				t.Fatalf("Head %+v, Put %+v, %v", head, in, err)
			}

			v2 := random(2000)
			in2, err := via.Put(ctx, "k", bytes.NewReader(v2), int64(len(v2)), store.Cond{IfMatch: in.ETag})
			if err != nil {
				t.Fatalf("replace-only Put whose answer was lost: %v", err)
			}
			if got, err := get(ctx, direct, "k", nil); err != nil || !bytes.Equal(got, v2) || in2.ETag == in.ETag {
				t.Fatalf("after the replace: %v", err)
			}
			if n := len(p.Events()); n != 2 {
				t.Fatalf("%d answers lost, want 2", n)
			}

			// Someone else's write still loses the condition.
			if _, err := via.Put(ctx, "k", bytes.NewReader(v1), int64(len(v1)), store.Cond{IfNoneMatch: true}); !store.IsPrecondition(err) {
				t.Fatalf("create-only Put over another's object: %v", err)
			}
		})
	}
}

// An injected SlowDown / ServerBusy is retried.
func TestFaultBusyIsRetried(t *testing.T) {
	for name, open := range faultyStores(t, 5<<20) {
		t.Run(name, func(t *testing.T) {
			via, p, _ := open(t)
			f := faultproxy.S3Error(503, "SlowDown")
			if name == "azblob" {
				f = faultproxy.AzureError(503, "ServerBusy")
			}
			p.Add(faultproxy.Rule{Requests: []int{1, 2}, Fault: f})
			data := random(100)
			if _, err := via.Put(t.Context(), "k", bytes.NewReader(data), 100, store.Cond{IfNoneMatch: true}); err != nil {
				t.Fatal(err)
			}
		})
	}
}
