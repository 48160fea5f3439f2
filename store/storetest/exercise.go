package storetest

import (
	"io"
	"strings"
	"testing"

	"git-remote-object-store/store"
)

// Exercise puts body at key, reads it back, asks for a missing key and deletes key: one
// request of each kind a remote makes, for tests that watch what goes over the wire (the
// request trace, its redaction) rather than what the store keeps.
func Exercise(t *testing.T, st store.Store, key, body string) {
	t.Helper()
	ctx := t.Context()
	if _, err := st.Put(ctx, key, strings.NewReader(body), int64(len(body)), store.Cond{}); err != nil {
		t.Fatal(err)
	}
	rc, _, err := st.Get(ctx, key, nil)
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(rc)
	rc.Close()
	if err != nil || string(got) != body {
		t.Fatalf("get %s: %q, %v; want %q", key, got, err, body)
	}
	if _, err := st.Head(ctx, "missing"); !store.IsNotFound(err) {
		t.Fatalf("head of a missing key: %v", err)
	}
	if err := st.Delete(ctx, key); err != nil {
		t.Fatal(err)
	}
}
