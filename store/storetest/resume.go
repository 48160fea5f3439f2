package storetest

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"math/rand/v2"
	"slices"
	"testing"

	"git-remote-object-store/store"
)

// Reopener is implemented, in their tests, by backends that can open a second Store value
// on the same bucket: the resume check uses it to show that an upload lives on the
// server, not in the Store value that started it (as a new process would see it).
type Reopener interface {
	Reopen() (store.Store, error)
}

// testResume checks store.Resumer, when the backend has it: parts uploaded by one Store
// value are listed by another, completing with the listed parts gives exactly the bytes,
// nothing is visible before completion, completion honours conditions like Put, abort
// drops the parts, and store.Prefixed passes it all through below its prefix.
func testResume(t *testing.T, s store.Store, opt Options) {
	r, ok := store.ResumerOf(s)
	if !ok {
		t.Skip("the backend does not implement store.Resumer")
	}
	ctx := ctxT(t)
	ps := r.PartSize()
	if ps <= 0 {
		t.Fatalf("PartSize() = %d", ps)
	}
	if r.UploadScope() == "" {
		t.Fatal("UploadScope() is empty")
	}
	data := make([]byte, 2*ps+12345)
	rng := rand.NewChaCha8([32]byte{7})
	rng.Read(data)
	chunk := func(n int) []byte { return data[int64(n-1)*ps : min(int64(n)*ps, int64(len(data)))] }

	const key = "resume/big.bin"
	id, err := r.StartUpload(ctx, key)
	if err != nil {
		t.Fatalf("StartUpload: %v", err)
	}
	for _, n := range []int{1, 3} { // part 2 is "lost with the process"
		if p, err := r.UploadPart(ctx, key, id, n, chunk(n)); err != nil {
			t.Fatalf("UploadPart(%d): %v", n, err)
		} else if p.Number != n || p.Size != int64(len(chunk(n))) {
			t.Fatalf("UploadPart(%d) = %+v", n, p)
		}
	}

	// A "new process": another Store value on the same bucket.
	r2 := r
	if ro, ok := s.(Reopener); ok {
		s2, err := ro.Reopen()
		if err != nil {
			t.Fatalf("Reopen: %v", err)
		}
		if r2, ok = store.ResumerOf(s2); !ok {
			t.Fatal("the reopened store is not a store.Resumer")
		}
		if r2.UploadScope() != r.UploadScope() {
			t.Fatalf("UploadScope changed on reopening: %q, then %q", r.UploadScope(), r2.UploadScope())
		}
	} else {
		t.Log("the backend cannot reopen its store in tests: the upload is continued by the same Store value")
	}
	parts, err := r2.ListParts(ctx, key, id)
	if err != nil {
		t.Fatalf("ListParts: %v", err)
	}
	if got := partSummary(parts); !slices.Equal(got, [][2]int64{{1, ps}, {3, int64(len(chunk(3)))}}) {
		t.Fatalf("ListParts = %v, want parts 1 and 3 with their sizes", got)
	}
	if _, err := s.Head(ctx, key); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Head during the upload: %v, want ErrNotFound (nothing visible before completion)", err)
	}
	if got := listAll(t, s, "resume/"); len(got) != 0 {
		t.Fatalf("List during the upload: %+v, want nothing", got)
	}
	// Part 2 now, and part 3 again (a resumed upload re-sends what it cannot vouch for).
	// Part 2 goes with its SHA-256, as the resume layer sends parts.
	if _, err := store.UploadPartSum(ctx, r2, key, id, 2, chunk(2), sha256.Sum256(chunk(2))); err != nil {
		t.Fatalf("UploadPartSum(2) after reopening: %v", err)
	}
	if _, err := r2.UploadPart(ctx, key, id, 3, chunk(3)); err != nil {
		t.Fatalf("UploadPart(3) after reopening: %v", err)
	}
	if parts, err = r2.ListParts(ctx, key, id); err != nil {
		t.Fatalf("ListParts: %v", err)
	}
	if len(parts) != 3 {
		t.Fatalf("ListParts = %v, want 3 parts", partSummary(parts))
	}
	info, err := r2.CompleteUpload(ctx, key, id, parts, store.Cond{IfNoneMatch: true})
	if err != nil {
		t.Fatalf("CompleteUpload: %v", err)
	}
	got, gin := mustGet(t, s, key, nil)
	if !bytes.Equal(got, data) {
		t.Fatalf("the completed object has %d bytes and differs from the %d uploaded", len(got), len(data))
	}
	if info.Size != int64(len(data)) || info.ETag == "" || info.ETag != gin.ETag || info.Key != key {
		t.Fatalf("CompleteUpload returned %+v; Get says size %d, ETag %q", info, gin.Size, gin.ETag)
	}
	if _, err := r2.ListParts(ctx, key, id); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("ListParts after completion: %v, want ErrNotFound", err)
	}

	// Where the backend signs the SHA-256 it is handed, a wrong one is refused and
	// nothing is stored.
	if ps, ok := r.(store.PartSummer); ok {
		const sk = "resume/summed"
		id, err := r.StartUpload(ctx, sk)
		if err != nil {
			t.Fatalf("StartUpload: %v", err)
		}
		body := []byte("a part whose sum is wrong")
		wrong := sha256.Sum256([]byte("other bytes"))
		if _, err := ps.UploadPartSum(ctx, sk, id, 1, body, wrong); err == nil {
			t.Fatal("UploadPartSum with a wrong SHA-256 succeeded")
		}
		if parts, err := r.ListParts(ctx, sk, id); err != nil && !errors.Is(err, store.ErrNotFound) || len(parts) != 0 {
			t.Fatalf("after a part refused: ListParts = %v, %v; want none", partSummary(parts), err)
		}
		if err := r.AbortUpload(ctx, sk, id); err != nil {
			t.Fatalf("AbortUpload: %v", err)
		}
	}

	// Conditions at completion, each on an upload of its own (a backend may end an
	// upload whose completion failed).
	small := func(k, body string) (string, []store.Part) {
		t.Helper()
		id, err := r.StartUpload(ctx, k)
		if err != nil {
			t.Fatalf("StartUpload: %v", err)
		}
		p, err := r.UploadPart(ctx, k, id, 1, []byte(body))
		if err != nil {
			t.Fatalf("UploadPart: %v", err)
		}
		return id, []store.Part{p}
	}
	const ck = "resume/cond"
	old := mustPut(t, s, ck, []byte("old"))
	id, parts = small(ck, "new 1")
	if _, err := r.CompleteUpload(ctx, ck, id, parts, store.Cond{IfNoneMatch: true}); !errors.Is(err, store.ErrPrecondition) {
		t.Fatalf("CompleteUpload(IfNoneMatch) over an existing key: %v, want ErrPrecondition", err)
	}
	r.AbortUpload(ctx, ck, id)
	id, parts = small(ck, "new 2")
	if _, err := r.CompleteUpload(ctx, ck, id, parts, store.Cond{IfMatch: "not-the-etag"}); !lost(err) {
		t.Fatalf("CompleteUpload(IfMatch wrong) : %v, want a lost condition", err)
	}
	r.AbortUpload(ctx, ck, id)
	if got, _ := mustGet(t, s, ck, nil); string(got) != "old" {
		t.Fatalf("a completion that lost its condition changed the object to %q", got)
	}
	id, parts = small(ck, "new 3")
	if _, err := r.CompleteUpload(ctx, ck, id, parts, store.Cond{IfMatch: old.ETag}); err != nil {
		t.Fatalf("CompleteUpload(IfMatch current): %v", err)
	}
	if got, _ := mustGet(t, s, ck, nil); string(got) != "new 3" {
		t.Fatalf("after CompleteUpload(IfMatch current) the object is %q", got)
	}
	id, parts = small("resume/missing", "x")
	if _, err := r.CompleteUpload(ctx, "resume/missing", id, parts, store.Cond{IfMatch: old.ETag}); !lost(err) {
		t.Fatalf("CompleteUpload(IfMatch) on a missing key: %v, want a lost condition", err)
	}
	r.AbortUpload(ctx, "resume/missing", id)

	// Abort drops the parts; aborting again, or an unknown upload, is fine.
	const ak = "resume/aborted"
	id, _ = small(ak, "doomed")
	if err := r2.AbortUpload(ctx, ak, id); err != nil {
		t.Fatalf("AbortUpload: %v", err)
	}
	if _, err := r.ListParts(ctx, ak, id); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("ListParts after AbortUpload: %v, want ErrNotFound", err)
	}
	if _, err := s.Head(ctx, ak); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Head after AbortUpload: %v, want ErrNotFound", err)
	}
	if err := r.AbortUpload(ctx, ak, id); err != nil {
		t.Fatalf("AbortUpload of an aborted upload: %v", err)
	}

	// Through Prefixed: the same upload machinery below the prefix, and a scope of its own.
	pr, ok := store.ResumerOf(store.Prefixed(s, "pfx"))
	if !ok {
		t.Fatal("store.Prefixed hid the backend's Resumer")
	}
	if pr.UploadScope() == r.UploadScope() || pr.PartSize() != ps {
		t.Fatalf("Prefixed: scope %q (backend %q), part size %d", pr.UploadScope(), r.UploadScope(), pr.PartSize())
	}
	id, err = pr.StartUpload(ctx, "k")
	if err != nil {
		t.Fatalf("Prefixed StartUpload: %v", err)
	}
	if _, err := pr.UploadPart(ctx, "k", id, 1, []byte("below the prefix")); err != nil {
		t.Fatalf("Prefixed UploadPart: %v", err)
	}
	if _, err := r.ListParts(ctx, "pfx/k", id); err != nil {
		t.Fatalf("the backend does not see the prefixed upload under pfx/k: %v", err)
	}
	parts, err = pr.ListParts(ctx, "k", id)
	if err != nil || len(parts) != 1 {
		t.Fatalf("Prefixed ListParts: %v, %v", parts, err)
	}
	pin, err := pr.CompleteUpload(ctx, "k", id, parts, store.Cond{IfNoneMatch: true})
	if err != nil || pin.Key != "k" {
		t.Fatalf("Prefixed CompleteUpload: %+v, %v", pin, err)
	}
	if got, _ := mustGet(t, s, "pfx/k", nil); string(got) != "below the prefix" {
		t.Fatalf("pfx/k holds %q", got)
	}
}

func partSummary(parts []store.Part) [][2]int64 {
	var out [][2]int64
	for _, p := range parts {
		out = append(out, [2]int64{int64(p.Number), p.Size})
	}
	return out
}
