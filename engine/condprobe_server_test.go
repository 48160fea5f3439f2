package engine_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"sync/atomic"
	"testing"
	"time"

	"git-remote-object-store/azauth"
	"git-remote-object-store/engine"
	"git-remote-object-store/internal/testenv"
	"git-remote-object-store/sigv4"
	"git-remote-object-store/store"
	"git-remote-object-store/store/azblob"
	"git-remote-object-store/store/s3"
)

// The probe passes on every real backend (fs, versitygw, Azurite), at the bucket root and
// below a prefix, and leaves nothing behind.
func TestConditionalWritesRealServers(t *testing.T) {
	for name, newStore := range testenv.Stores(t) {
		t.Run(name, func(t *testing.T) {
			st := newStore(t)
			for _, s := range []store.Store{st, store.Prefixed(st, "team/repo")} {
				if err := engine.CheckConditionalWrites(t.Context(), s); err != nil {
					t.Fatalf("probe on %s: %v", name, err)
				}
				if left := leftovers(t, s); len(left) != 0 {
					t.Fatalf("probe left %v behind", left)
				}
			}
		})
	}
}

// The same real servers with the conditions dropped before they reach the backend: the
// contract-level emulation of a server that ignores them. This covers every backend,
// including the streamed (size -1) path, which an HTTP proxy cannot single out.
func TestConditionalWritesRealServersIgnoringConditions(t *testing.T) {
	for name, newStore := range testenv.Stores(t) {
		for _, tc := range []struct {
			mode  string
			m     *misbehave
			check string
		}{
			{"If-None-Match", &misbehave{ignoreNoneMatch: true, ignoreNoneMatchUnsized: true}, engine.CheckCreateIfAbsent},
			{"If-Match", &misbehave{ignoreMatch: true}, engine.CheckReplaceIfMatch},
			{"streamed If-None-Match", &misbehave{ignoreNoneMatchUnsized: true}, engine.CheckCreateIfAbsentUnsized},
		} {
			t.Run(name+"/"+tc.mode, func(t *testing.T) {
				inner := newStore(t)
				m := tc.m
				m.Store = inner
				wantUnsafe(t, engine.CheckConditionalWrites(t.Context(), m), tc.check)
				if left := leftovers(t, inner); len(left) != 0 {
					t.Fatalf("probe left %v behind", left)
				}
			})
		}
	}
}

func wantUnsafe(t *testing.T, err error, check string) {
	t.Helper()
	var ue *engine.UnsafeStoreError
	if !errors.Is(err, engine.ErrUnsafeStore) || !errors.As(err, &ue) || ue.Check != check {
		t.Fatalf("probe = %v; want ErrUnsafeStore naming %q", err, check)
	}
	t.Log(err)
}

// conditionProxy is an HTTP reverse proxy in front of a real server that removes the
// conditional headers named in strip, so the server really receives unconditional writes
// and behaves exactly like one that ignores them. Both S3 (SigV4) and Azure (Shared Key)
// sign If-Match and If-None-Match, so removing them alone would only earn a 403: the
// proxy re-signs every request it forwards with resign, which holds the test server's
// credentials. With status409, it also answers 409 Conflict wherever the server said
// 412, keeping the server's body (a server that reports lost conditions as conflicts).
type conditionProxy struct {
	strip     []string
	status409 bool
	resign    func(*http.Request)
	stripped  atomic.Int32 // conditional headers removed
	rewritten atomic.Int32 // 412 answers turned into 409
}

func (p *conditionProxy) start(t *testing.T, target string) *url.URL {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	rp := &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(&url.URL{Scheme: u.Scheme, Host: u.Host})
			for _, h := range p.strip {
				if pr.Out.Header.Get(h) != "" {
					pr.Out.Header.Del(h)
					p.stripped.Add(1)
				}
			}
			pr.Out.Header.Del("Authorization")
			p.resign(pr.Out)
		},
		ModifyResponse: func(resp *http.Response) error {
			if p.status409 && resp.StatusCode == http.StatusPreconditionFailed {
				resp.StatusCode, resp.Status = http.StatusConflict, "409 Conflict"
				p.rewritten.Add(1)
			}
			return nil
		},
	}
	srv := httptest.NewServer(rp)
	t.Cleanup(srv.Close)
	pu, _ := url.Parse(srv.URL)
	return pu
}

func s3ThroughProxy(t *testing.T, p *conditionProxy) store.Store {
	t.Helper()
	c := testenv.S3(t)
	cfg := testenv.S3StoreConfig(t)
	p.resign = func(r *http.Request) {
		sigv4.Sign(r, sigv4.Credentials{AccessKeyID: c.AccessKey, SecretAccessKey: c.SecretKey}, c.Region, "s3", time.Now(), r.Header.Get("X-Amz-Content-Sha256"))
	}
	cfg.Endpoint = p.start(t, cfg.Endpoint).String()
	st, err := s3.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.CreateBucket(t.Context()); err != nil {
		t.Fatalf("create bucket through the proxy: %v", err)
	}
	return st
}

func azureThroughProxy(t *testing.T, p *conditionProxy) store.Store {
	t.Helper()
	c := testenv.Azure(t)
	key, err := azauth.NewSharedKey(c.Account, c.Key)
	if err != nil {
		t.Fatal(err)
	}
	p.resign = func(r *http.Request) { key.Sign(r, time.Now()) }
	cfg := testenv.AzureContainer(t) // created directly on Azurite
	direct, err := url.Parse(cfg.Endpoint)
	if err != nil {
		t.Fatal(err)
	}
	pu := p.start(t, direct.Scheme+"://"+direct.Host)
	pu.Path = direct.Path // the account, for path-style Azurite
	cfg.Endpoint = pu.String()
	st, err := azblob.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func TestConditionalWritesThroughStrippingProxy(t *testing.T) {
	backends := map[string]func(*testing.T, *conditionProxy) store.Store{"s3": s3ThroughProxy, "azblob": azureThroughProxy}
	for name, open := range backends {
		t.Run(name, func(t *testing.T) {
			// The proxy itself is faithful: re-signed, unstripped traffic passes the probe.
			t.Run("nothing stripped", func(t *testing.T) {
				p := &conditionProxy{}
				if err := engine.CheckConditionalWrites(t.Context(), open(t, p)); err != nil {
					t.Fatalf("probe through a proxy that strips nothing: %v", err)
				}
			})
			for _, tc := range []struct {
				name  string
				strip []string
				check string
			}{
				{"If-None-Match stripped", []string{"If-None-Match"}, engine.CheckCreateIfAbsent},
				{"If-Match stripped", []string{"If-Match"}, engine.CheckReplaceIfMatch},
				{"both stripped", []string{"If-None-Match", "If-Match"}, engine.CheckCreateIfAbsent},
			} {
				t.Run(tc.name, func(t *testing.T) {
					p := &conditionProxy{strip: tc.strip}
					st := open(t, p)
					wantUnsafe(t, engine.CheckConditionalWrites(t.Context(), st), tc.check)
					if p.stripped.Load() == 0 {
						t.Fatal("the proxy stripped nothing: the test proves nothing")
					}
					if left := leftovers(t, st); len(left) != 0 {
						t.Fatalf("probe left %v behind", left)
					}
				})
			}
		})
	}
}

// A server that answers 409 instead of 412 but still names the condition in its error
// body (S3 PreconditionFailed): the S3 backend recognises the code, so the probe passes.
func TestConditionalWritesS3Answers409(t *testing.T) {
	p := &conditionProxy{status409: true}
	st := s3ThroughProxy(t, p)
	if err := engine.CheckConditionalWrites(t.Context(), st); err != nil {
		t.Fatalf("probe through a 412→409 proxy: %v", err)
	}
	if p.rewritten.Load() == 0 {
		t.Fatal("the server answered no 412 for the proxy to turn into 409: the test proves nothing")
	}
}
