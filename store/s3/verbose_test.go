package s3_test

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"git-remote-object-store/store/internal/httpstore"
	"git-remote-object-store/store/s3"
	"git-remote-object-store/store/storetest"
)

// seen is what a fake server received that is secret: every Authorization's signature
// and every security token.
type seen struct {
	mu      sync.Mutex
	secrets []string
}

func (s *seen) add(v ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, x := range v {
		if x != "" {
			s.secrets = append(s.secrets, x)
		}
	}
}

// fakeBucket answers the object calls well enough for a trace: PUT stores, GET and HEAD
// read, DELETE deletes.
func fakeBucket(s *seen) http.Handler {
	var mu sync.Mutex
	objects := map[string][]byte{}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, sig, _ := strings.Cut(r.Header.Get("Authorization"), "Signature=")
		s.add(sig, r.Header.Get("X-Amz-Security-Token"))
		mu.Lock()
		defer mu.Unlock()
		switch body, ok := objects[r.URL.Path]; r.Method {
		case "PUT":
			b, _ := io.ReadAll(r.Body)
			objects[r.URL.Path] = b
			w.Header().Set("ETag", `"etag1"`)
		case "HEAD", "GET":
			if !ok {
				w.WriteHeader(404)
				return
			}
			w.Header().Set("ETag", `"etag1"`)
			w.Write(body)
		case "DELETE":
			delete(objects, r.URL.Path)
			w.WriteHeader(204)
		}
	})
}

// TestVerboseTraceHidesSecrets runs every object call with the trace on, at both levels,
// with temporary credentials, and checks the trace says what happened and holds neither
// the secret key, nor the session token, nor any signature the server received.
func TestVerboseTraceHidesSecrets(t *testing.T) {
	const secret, token = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "FwoGZXIvYXdzEJr//////////wEaDOpc8Q/session+token=="
	for _, level := range []string{"1", "2"} {
		for _, name := range []string{"GIT_REMOTE_OBJECT_STORE_VERBOSE", "GIT_REMOTE_S3_VERBOSE"} {
			t.Run(name+"="+level, func(t *testing.T) {
				t.Setenv("GIT_REMOTE_OBJECT_STORE_VERBOSE", "")
				t.Setenv("GIT_REMOTE_S3_VERBOSE", "")
				t.Setenv(name, level)
				var got seen
				srv := httptest.NewServer(fakeBucket(&got))
				defer srv.Close()
				var trace bytes.Buffer
				defer httpstore.TraceTo(&trace)()
				st, err := s3.New(s3.Config{Endpoint: srv.URL, Bucket: "bkt", PathStyle: true,
					Credentials: s3.Static{AccessKeyID: "AKIDEXAMPLE", SecretAccessKey: secret, SessionToken: token}})
				if err != nil {
					t.Fatal(err)
				}
				storetest.Exercise(t, st, "refs/heads/main/abc.bundle", "hello")
				out := trace.String()
				for _, want := range []string{
					"PUT refs/heads/main/abc.bundle -> 200, 5 bytes sent, 0 received,",
					"GET refs/heads/main/abc.bundle -> 200, 0 bytes sent, 5 received,",
					"HEAD missing -> 404, 0 bytes sent,",
					"DELETE refs/heads/main/abc.bundle -> 204,",
				} {
					if !strings.Contains(out, want) {
						t.Errorf("trace lacks %q:\n%s", want, out)
					}
				}
				if level == "2" {
					for _, want := range []string{"> Authorization: AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/", "Signature=REDACTED", "> X-Amz-Security-Token: REDACTED", "< Etag: \"etag1\""} {
						if !strings.Contains(out, want) {
							t.Errorf("level 2 trace lacks %q:\n%s", want, out)
						}
					}
				} else if strings.Contains(out, "Authorization") {
					t.Errorf("level 1 shows headers:\n%s", out)
				}
				got.add(secret, token)
				if len(got.secrets) < 6 {
					t.Fatalf("the server saw only %d secrets; the test checks nothing", len(got.secrets))
				}
				for _, s := range got.secrets {
					if strings.Contains(out, s) {
						t.Errorf("trace holds the secret %q:\n%s", s, out)
					}
				}
			})
		}
	}
}

func TestNoTraceByDefault(t *testing.T) {
	t.Setenv("GIT_REMOTE_OBJECT_STORE_VERBOSE", "")
	t.Setenv("GIT_REMOTE_S3_VERBOSE", "0")
	var got seen
	srv := httptest.NewServer(fakeBucket(&got))
	defer srv.Close()
	var trace bytes.Buffer
	defer httpstore.TraceTo(&trace)()
	st, _ := s3.New(s3.Config{Endpoint: srv.URL, Bucket: "bkt", PathStyle: true, Credentials: s3.Static{AccessKeyID: "a", SecretAccessKey: "s"}})
	st.Head(t.Context(), "x")
	if trace.Len() != 0 {
		t.Fatalf("traced without being asked: %s", trace.String())
	}
}
