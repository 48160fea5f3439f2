package storetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"testing"

	"git-remote-object-store/store"
)

// Options describe the backend under test.
type Options struct {
	// PartSize is the backend's multipart part (or block) size; the streaming check
	// bounds peak heap by a multiple of it. 0 means 16 MiB.
	PartSize int64
	// ListPageSize, when the backend was configured with a small listing page, is only
	// reported; set it small (e.g. 1000) so the 2,500-key check crosses pages.
	ListPageSize int
	// Short skips the big-body and many-key checks (for quick local runs).
	Short bool
}

// Run runs every check against stores made by newStore, which must return a fresh,
// empty store each time it is called.
func Run(t *testing.T, newStore func(t *testing.T) store.Store, opt Options) {
	if opt.PartSize == 0 {
		opt.PartSize = 16 << 20
	}
	checks := []struct {
		name string
		fn   func(t *testing.T, s store.Store, opt Options)
	}{
		{"RoundTrip", testRoundTrip},
		{"EmptyObject", testEmptyObject},
		{"AwkwardKeys", testAwkwardKeys},
		{"Overwrite", testOverwrite},
		{"NotFound", testNotFound},
		{"Ranges", testRanges},
		{"ReaderAt", testReaderAt},
		{"Conditions", testConditions},
		{"CreateRace", testCreateRace},
		{"CASRounds", testCASRounds},
		{"ReadModifyWrite", testReadModifyWrite},
		{"ListOrderAndPrefix", testListOrder},
		{"ListPagination", testListPagination},
		{"StreamUnknownSize", testStreamUnknownSize},
		{"KnownSizeAbovePart", testKnownSizeAbovePart},
		{"CancelledUpload", testCancelledUpload},
		{"ShortBody", testShortBody},
		{"Resume", testResume},
	}
	for _, c := range checks {
		t.Run(c.name, func(t *testing.T) {
			c.fn(t, newStore(t), opt)
		})
	}
}

func ctxT(t *testing.T) context.Context { return t.Context() }

func put(t *testing.T, s store.Store, key string, data []byte, c store.Cond) (store.Info, error) {
	t.Helper()
	return s.Put(ctxT(t), key, bytes.NewReader(data), int64(len(data)), c)
}

func mustPut(t *testing.T, s store.Store, key string, data []byte) store.Info {
	t.Helper()
	info, err := put(t, s, key, data, store.Cond{})
	if err != nil {
		t.Fatalf("Put(%q): %v", key, err)
	}
	return info
}

func mustGet(t *testing.T, s store.Store, key string, r *store.Range) ([]byte, store.Info) {
	t.Helper()
	rc, info, err := s.Get(ctxT(t), key, r)
	if err != nil {
		t.Fatalf("Get(%q, %v): %v", key, r, err)
	}
	defer rc.Close()
	data, err := io.ReadAll(rc)
	if err != nil {
		t.Fatalf("read %q: %v", key, err)
	}
	return data, info
}

func listAll(t *testing.T, s store.Store, prefix string) []store.Info {
	t.Helper()
	var out []store.Info
	if err := s.List(ctxT(t), prefix, func(i store.Info) error { out = append(out, i); return nil }); err != nil {
		t.Fatalf("List(%q): %v", prefix, err)
	}
	return out
}

func testRoundTrip(t *testing.T, s store.Store, _ Options) {
	data := []byte("hello, object store\n")
	pin := mustPut(t, s, "dir/obj.txt", data)
	got, gin := mustGet(t, s, "dir/obj.txt", nil)
	if !bytes.Equal(got, data) {
		t.Fatalf("Get returned %q, want %q", got, data)
	}
	hin, err := s.Head(ctxT(t), "dir/obj.txt")
	if err != nil {
		t.Fatalf("Head: %v", err)
	}
	lst := listAll(t, s, "dir/")
	if len(lst) != 1 {
		t.Fatalf("List returned %d entries, want 1: %+v", len(lst), lst)
	}
	for name, in := range map[string]store.Info{"Put": pin, "Get": gin, "Head": hin, "List": lst[0]} {
		if in.ETag == "" || in.ETag != pin.ETag {
			t.Errorf("%s ETag %q, Put ETag %q: every operation must report the same ETag", name, in.ETag, pin.ETag)
		}
		if name != "Put" && (in.Size != int64(len(data)) || in.Key != "dir/obj.txt") {
			t.Errorf("%s Info = %+v, want key dir/obj.txt size %d", name, in, len(data))
		}
		if name != "Put" && in.LastModified.IsZero() {
			t.Errorf("%s has no LastModified", name)
		}
	}
}

func testEmptyObject(t *testing.T, s store.Store, _ Options) {
	mustPut(t, s, "empty", nil)
	got, info := mustGet(t, s, "empty", nil)
	if len(got) != 0 || info.Size != 0 {
		t.Fatalf("empty object read back as %d bytes (info size %d)", len(got), info.Size)
	}
	// Unknown size, empty stream.
	if _, err := s.Put(ctxT(t), "empty2", bytes.NewReader(nil), -1, store.Cond{}); err != nil {
		t.Fatalf("Put of an empty unknown-size body: %v", err)
	}
	if got, _ := mustGet(t, s, "empty2", nil); len(got) != 0 {
		t.Fatalf("empty2 read back as %d bytes", len(got))
	}
}

func testAwkwardKeys(t *testing.T, s store.Store, _ Options) {
	keys := []string{
		"with space/a b", "unicode/ünïcödé-日本", "hash/LOCK#.lock", "plus/a+b", "percent/100%25%",
		"punct/a:b=c&d@e,f;g$h!i'j(k)l", "tilde/~x", "refs/heads/feature/x.bundle",
	}
	for i, k := range keys {
		mustPut(t, s, k, []byte(fmt.Sprint("content ", i)))
	}
	for i, k := range keys {
		got, info := mustGet(t, s, k, nil)
		if string(got) != fmt.Sprint("content ", i) || info.Key != k && info.Key != "" {
			t.Errorf("key %q read back %q (info key %q)", k, got, info.Key)
		}
		if _, err := s.Head(ctxT(t), k); err != nil {
			t.Errorf("Head(%q): %v", k, err)
		}
	}
	var listed []string
	for _, in := range listAll(t, s, "") {
		listed = append(listed, in.Key)
	}
	want := append([]string(nil), keys...)
	slices.Sort(want)
	if strings.Join(listed, "\n") != strings.Join(want, "\n") {
		t.Fatalf("List returned\n%q\nwant\n%q", listed, want)
	}
	for _, k := range keys {
		if err := s.Delete(ctxT(t), k); err != nil {
			t.Errorf("Delete(%q): %v", k, err)
		}
	}
}

func testOverwrite(t *testing.T, s store.Store, _ Options) {
	a := mustPut(t, s, "k", []byte("first"))
	b := mustPut(t, s, "k", []byte("second, longer"))
	if a.ETag == b.ETag {
		t.Errorf("overwrite kept the ETag %q", a.ETag)
	}
	if got, _ := mustGet(t, s, "k", nil); string(got) != "second, longer" {
		t.Fatalf("after overwrite got %q", got)
	}
	if err := s.Delete(ctxT(t), "k"); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	if _, _, err := s.Get(ctxT(t), "k", nil); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Get after Delete: %v, want ErrNotFound", err)
	}
}

func testNotFound(t *testing.T, s store.Store, _ Options) {
	if rc, _, err := s.Get(ctxT(t), "missing/key", nil); !errors.Is(err, store.ErrNotFound) {
		if rc != nil {
			rc.Close()
		}
		t.Errorf("Get(missing) = %v, want ErrNotFound", err)
	}
	if _, err := s.Head(ctxT(t), "missing/key"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Head(missing) = %v, want ErrNotFound", err)
	}
	if err := s.Delete(ctxT(t), "missing/key"); err != nil {
		t.Errorf("Delete(missing) = %v, want nil", err)
	}
	if got := listAll(t, s, "missing/"); len(got) != 0 {
		t.Errorf("List(missing/) = %+v, want nothing", got)
	}
}

func testRanges(t *testing.T, s store.Store, _ Options) {
	data := make([]byte, 10000)
	for i := range data {
		data[i] = byte(i * 7)
	}
	mustPut(t, s, "r", data)
	cases := []struct {
		off, n   int64
		from, to int
	}{
		{0, 10, 0, 10}, {123, 456, 123, 579}, {9990, -1, 9990, 10000}, {9990, 100, 9990, 10000}, {0, -1, 0, 10000},
	}
	for _, c := range cases {
		got, _ := mustGet(t, s, "r", &store.Range{Offset: c.off, Length: c.n})
		if !bytes.Equal(got, data[c.from:c.to]) {
			t.Errorf("range %d+%d: got %d bytes, want bytes [%d,%d)", c.off, c.n, len(got), c.from, c.to)
		}
	}
	if rc, _, err := s.Get(ctxT(t), "r", &store.Range{Offset: 20000, Length: 1}); err == nil {
		rc.Close()
		t.Errorf("a range starting past the end must be an error")
	}
}
