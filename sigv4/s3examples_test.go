package sigv4

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// The worked examples of the S3 API reference (signature-v4 header and query auth).
func TestS3DocExamples(t *testing.T) {
	creds := Credentials{AccessKeyID: "AKIAIOSFODNN7EXAMPLE", SecretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"}
	now := time.Date(2013, 5, 24, 0, 0, 0, 0, time.UTC)
	mk := func(method, path, query string, h map[string]string) *http.Request {
		u := &url.URL{Scheme: "https", Host: "examplebucket.s3.amazonaws.com", Path: path, RawPath: EncodePath(path), RawQuery: query}
		req := &http.Request{Method: method, URL: u, Host: u.Host, Header: http.Header{}}
		for k, v := range h {
			req.Header.Set(k, v)
		}
		return req
	}
	cases := []struct {
		name    string
		req     *http.Request
		payload string
		sig     string
	}{
		{"GET object with range", mk("GET", "/test.txt", "", map[string]string{"Range": "bytes=0-9"}), EmptySHA256,
			"f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"},
		{"PUT object", mk("PUT", "/test$file.text", "", map[string]string{"Date": "Fri, 24 May 2013 00:00:00 GMT", "X-Amz-Storage-Class": "REDUCED_REDUNDANCY"}),
			"44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072", "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd"},
		{"GET bucket lifecycle", mk("GET", "/", "lifecycle", nil), EmptySHA256, "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543"},
		{"list objects", mk("GET", "/", "max-keys=2&prefix=J", nil), EmptySHA256, "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			Sign(c.req, creds, "us-east-1", "s3", now, c.payload)
			if got := c.req.Header.Get("Authorization"); !strings.HasSuffix(got, "Signature="+c.sig) {
				t.Fatalf("Authorization %q, want signature %s", got, c.sig)
			}
		})
	}
	t.Run("presigned GET", func(t *testing.T) {
		u := Presign(mk("GET", "/test.txt", "", nil), creds, "us-east-1", "s3", now, 86400*time.Second, UnsignedPayload)
		if !strings.HasSuffix(u, "&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404") {
			t.Fatalf("presigned URL %s", u)
		}
	})
}
