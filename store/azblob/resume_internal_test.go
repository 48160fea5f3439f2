package azblob

import (
	"strings"
	"testing"
)

// The scope goes into a file in the local repository: no credential may reach it.
func TestUploadScopeHasNoSecret(t *testing.T) {
	s, err := New(Config{Endpoint: "https://acct.blob.core.windows.net/?sv=2021&sig=s3cr3t", Container: "c", Auth: SAS{}})
	if err != nil {
		t.Fatal(err)
	}
	got := s.UploadScope()
	if strings.Contains(got, "s3cr3t") || strings.Contains(got, "sig=") || !strings.Contains(got, "acct.blob.core.windows.net") || !strings.Contains(got, " c") {
		t.Fatalf("UploadScope() = %q", got)
	}
}

// Block ids of a resumable upload have the same length as Put's, and are told apart
// from other uploads' by their prefix.
func TestResumeBlockIDs(t *testing.T) {
	a, b := make([]byte, uploadIDBytes), make([]byte, uploadIDBytes)
	b[0] = 1
	id := blockID(a, 7)
	if len(id) != 32 {
		t.Fatalf("block id %q has %d characters, want 32 (24 bytes, like Put's)", id, len(id))
	}
	if n, ok := blockNumber(a, id); !ok || n != 7 {
		t.Fatalf("blockNumber(own) = %d, %v", n, ok)
	}
	if _, ok := blockNumber(b, id); ok {
		t.Fatal("another upload's block was taken for ours")
	}
}
