package s3

import (
	"strings"
	"testing"
)

// The scope goes into a file in the local repository: no credential may reach it.
func TestUploadScopeHasNoSecret(t *testing.T) {
	s, err := New(Config{Endpoint: "https://AKIDUSER:s3cr3t@s3.example.com:9000/?X-Amz-Signature=s3cr3t#frag", Bucket: "b",
		Credentials: Static{AccessKeyID: "AKIDUSER", SecretAccessKey: "s3cr3t"}})
	if err != nil {
		t.Fatal(err)
	}
	got := s.UploadScope()
	if strings.Contains(got, "s3cr3t") || strings.Contains(got, "AKIDUSER") || !strings.Contains(got, "s3.example.com:9000") || !strings.Contains(got, " b") {
		t.Fatalf("UploadScope() = %q", got)
	}
}
