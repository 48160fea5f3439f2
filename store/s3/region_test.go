package s3

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"git-remote-object-store/store/internal/httpstore"
)

// TestRegionDiscovery: a bucket in another region answers 301 with x-amz-bucket-region;
// the store re-signs for that region and succeeds. (An in-process fake server: AWS's
// redirect cannot be produced by versitygw.)
func TestRegionDiscovery(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		auth := r.Header.Get("Authorization")
		if !strings.Contains(auth, "/eu-west-1/s3/aws4_request") {
			w.Header().Set("X-Amz-Bucket-Region", "eu-west-1")
			w.WriteHeader(http.StatusMovedPermanently)
			w.Write([]byte(`<Error><Code>PermanentRedirect</Code><Message>wrong endpoint</Message></Error>`))
			return
		}
		w.Header().Set("ETag", `"abc"`)
		w.Header().Set("Content-Length", "3")
		w.WriteHeader(200)
	}))
	defer srv.Close()
	st, err := New(Config{Endpoint: srv.URL, Bucket: "b", PathStyle: true, Credentials: Static{AccessKeyID: "a", SecretAccessKey: "s"}})
	if err != nil {
		t.Fatal(err)
	}
	in, err := st.Head(t.Context(), "k")
	if err != nil || in.ETag != "abc" {
		t.Fatalf("Head after redirect: %+v, %v", in, err)
	}
	if calls.Load() != 2 || st.region() != "eu-west-1" {
		t.Fatalf("%d calls, region %s", calls.Load(), st.region())
	}
	// Now it stays in the new region: one call.
	calls.Store(0)
	st.Head(t.Context(), "k")
	if calls.Load() != 1 {
		t.Fatalf("%d calls after discovery", calls.Load())
	}
}

func TestRegionalHostFollowsRegion(t *testing.T) {
	st, _ := New(Config{Endpoint: "https://s3.us-east-1.amazonaws.com", Bucket: "b", Credentials: Static{AccessKeyID: "a", SecretAccessKey: "s"}})
	if !st.switchRegion("ap-south-1") || st.target(&httpstore.Request{Key: "k"}).Host != "b.s3.ap-south-1.amazonaws.com" {
		t.Fatalf("host after switch: %s", st.target(&httpstore.Request{Key: "k"}).Host)
	}
	if st.switchRegion("ap-south-1") {
		t.Fatal("switching to the current region must report no change")
	}
}
