package redact

import "testing"

func TestHeader(t *testing.T) {
	cases := []struct{ name, value, want string }{
		{"Authorization", "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240101/us-east-1/s3/aws4_request, SignedHeaders=host;x-amz-date, Signature=5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7",
			"AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240101/us-east-1/s3/aws4_request, SignedHeaders=host;x-amz-date, Signature=REDACTED"},
		{"authorization", "SharedKey devstoreaccount1:c2lnbmF0dXJlIHRoYXQgaXMgc2VjcmV0", "SharedKey devstoreaccount1:REDACTED"},
		{"Authorization", "Bearer eyJhbGciOiJSUzI1NiJ9.payload.signature", "Bearer REDACTED"},
		{"Authorization", "opaque-container-token", "REDACTED"},
		{"Proxy-Authorization", "Basic dXNlcjpwYXNzd29yZA==", "Basic REDACTED"},
		{"X-Amz-Security-Token", "FwoGZXIvYXdzEJr//////////wEaDOpc8Q", "REDACTED"},
		{"x-amz-sso_bearer_token", "aoaAAAAAGW", "REDACTED"},
		{"X-Ms-Copy-Source-Authorization", "Bearer abc", "REDACTED"},
		{"X-Identity-Header", "f2a4c3", "REDACTED"},
		{"Set-Cookie", "session=abc", "REDACTED"},
		{"X-Ms-Copy-Source", "https://a.blob.core.windows.net/c/b?sv=2021&sig=abcdefgh", "https://a.blob.core.windows.net/c/b?sv=2021&sig=REDACTED"},
		{"Content-Type", "application/xml", "application/xml"},
		{"Etag", `"0x8D"`, `"0x8D"`},
	}
	for _, c := range cases {
		if got := Header(c.name, c.value); got != c.want {
			t.Errorf("Header(%s, %q) = %q, want %q", c.name, c.value, got, c.want)
		}
	}
}
