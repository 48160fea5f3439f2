package engine

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"git-remote-object-store/internal/testenv"
	"git-remote-object-store/store"
)

// countingResumer counts the parts it sends, can be told to fail after some, and can
// pretend to a smaller part size (the directory backend has no minimum).
type countingResumer struct {
	store.Store
	r         store.Resumer
	partSize  int64
	sent      atomic.Int64 // parts uploaded
	failAfter int64        // > 0: UploadPart fails for the parts after this one
	starts    atomic.Int64
}

var errKilled = errors.New("killed")

func (c *countingResumer) PartSize() int64     { return c.partSize }
func (c *countingResumer) UploadScope() string { return c.r.UploadScope() }
func (c *countingResumer) StartUpload(ctx context.Context, key string) (string, error) {
	c.starts.Add(1)
	return c.r.StartUpload(ctx, key)
}
func (c *countingResumer) UploadPart(ctx context.Context, key, id string, n int, data []byte) (store.Part, error) {
	if c.failAfter > 0 && int64(n) > c.failAfter {
		// Die once the parts before this one are in, so exactly failAfter are stored.
		for c.sent.Load() < c.failAfter && ctx.Err() == nil {
			time.Sleep(time.Millisecond)
		}
		return store.Part{}, errKilled
	}
	p, err := c.r.UploadPart(ctx, key, id, n, data)
	if err == nil {
		c.sent.Add(1)
	}
	return p, err
}
func (c *countingResumer) ListParts(ctx context.Context, key, id string) ([]store.Part, error) {
	return c.r.ListParts(ctx, key, id)
}
func (c *countingResumer) CompleteUpload(ctx context.Context, key, id string, parts []store.Part, cond store.Cond) (store.Info, error) {
	return c.r.CompleteUpload(ctx, key, id, parts, cond)
}
func (c *countingResumer) AbortUpload(ctx context.Context, key, id string) error {
	return c.r.AbortUpload(ctx, key, id)
}

func newCounting(t *testing.T, st store.Store, failAfter int64) *countingResumer {
	r, ok := store.ResumerOf(st)
	if !ok {
		t.Fatalf("%T is not a store.Resumer", st)
	}
	ps := r.PartSize()
	if ps > 5<<20 {
		ps = 1 << 20 // the directory backend: no minimum
	}
	return &countingResumer{Store: st, r: r, partSize: ps, failAfter: failAfter}
}

func randomBytes(n int64, seed byte) []byte {
	b := make([]byte, n)
	rand.NewChaCha8([32]byte{seed}).Read(b)
	return b
}

func records(t *testing.T, gitDir string) []string {
	t.Helper()
	names, _ := filepath.Glob(filepath.Join(UploadStateDir(gitDir), "*"))
	return names
}

func getAll(t *testing.T, st store.Store, key string) []byte {
	t.Helper()
	rc, _, err := st.Get(t.Context(), key, nil)
	if err != nil {
		t.Fatalf("Get %s: %v", key, err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestPutResumable(t *testing.T) {
	for name, newStore := range testenv.Stores(t) {
		t.Run(name, func(t *testing.T) {
			ctx := t.Context()
			st := store.Prefixed(newStore(t), "team/repo")
			gitDir := t.TempDir()
			opt := ResumeOptions{GitDir: gitDir}
			probe := newCounting(t, st, 0)
			ps := probe.partSize
			data := randomBytes(6*ps+777, 1) // 7 parts
			const key = "refs/heads/main/abc.bundle"

			// First attempt dies after 4 parts (unknown size, as the bundle engine streams).
			first := newCounting(t, st, 4)
			_, err := PutResumable(ctx, first, key, bytes.NewReader(data), -1, store.Cond{}, opt)
			if !errors.Is(err, errKilled) {
				t.Fatalf("first upload: %v, want the injected failure", err)
			}
			if _, err := st.Head(ctx, key); !errors.Is(err, store.ErrNotFound) {
				t.Fatalf("Head after the failed upload: %v, want ErrNotFound", err)
			}
			recs := records(t, gitDir)
			if len(recs) != 1 {
				t.Fatalf("records after the failed upload: %v", recs)
			}
			raw, _ := os.ReadFile(recs[0])
			var rec uploadRecord
			if err := json.Unmarshal(raw, &rec); err != nil {
				t.Fatalf("record: %v\n%s", err, raw)
			}
			if rec.Key != key || rec.PartSize != ps || len(rec.Parts) != 4 || rec.UploadID == "" || !strings.Contains(rec.Scope, "team/repo") {
				t.Fatalf("record: %s", raw)
			}

			// The second attempt, "in a new process", sends only the missing parts.
			second := newCounting(t, st, 0)
			info, err := PutResumable(ctx, second, key, bytes.NewReader(data), int64(len(data)), store.Cond{IfNoneMatch: true}, opt)
			if err != nil {
				t.Fatalf("resumed upload: %v", err)
			}
			if got := second.sent.Load(); got != 3 || second.starts.Load() != 0 {
				t.Fatalf("resumed upload sent %d parts and started %d uploads, want 3 and 0", got, second.starts.Load())
			}
			if info.Size != int64(len(data)) {
				t.Fatalf("info %+v", info)
			}
			if !bytes.Equal(getAll(t, st, key), data) {
				t.Fatal("the resumed object differs from the body")
			}
			if recs := records(t, gitDir); len(recs) != 0 {
				t.Fatalf("records left after completion: %v", recs)
			}
		})
	}
}

func TestPutResumableChangedBytes(t *testing.T) {
	ctx := t.Context()
	st := testenv.FSStore(t)
	gitDir := t.TempDir()
	opt := ResumeOptions{GitDir: gitDir}
	c := newCounting(t, st, 3)
	ps := c.partSize
	data := randomBytes(5*ps, 2)
	if _, err := PutResumable(ctx, c, "k", bytes.NewReader(data), -1, store.Cond{}, opt); !errors.Is(err, errKilled) {
		t.Fatalf("first: %v", err)
	}
	// The regenerated body differs in part 2: parts 2, 4 and 5 go again.
	changed := bytes.Clone(data)
	changed[ps+10] ^= 0xff
	c2 := newCounting(t, st, 0)
	if _, err := PutResumable(ctx, c2, "k", bytes.NewReader(changed), -1, store.Cond{}, opt); err != nil {
		t.Fatal(err)
	}
	if c2.sent.Load() != 3 {
		t.Fatalf("sent %d parts, want 3", c2.sent.Load())
	}
	if !bytes.Equal(getAll(t, st, "k"), changed) {
		t.Fatal("object differs")
	}

	// Another key, or another part size: the record is dropped and the upload starts over.
	c3 := newCounting(t, st, 2)
	if _, err := PutResumable(ctx, c3, "k2", bytes.NewReader(data), -1, store.Cond{}, opt); !errors.Is(err, errKilled) {
		t.Fatalf("third: %v", err)
	}
	c4 := newCounting(t, st, 0)
	c4.partSize = ps * 2
	if _, err := PutResumable(ctx, c4, "k2", bytes.NewReader(data), -1, store.Cond{}, opt); err != nil {
		t.Fatal(err)
	}
	if c4.starts.Load() != 1 || c4.sent.Load() != 3 {
		t.Fatalf("after a part size change: %d starts, %d parts sent; want 1 and 3", c4.starts.Load(), c4.sent.Load())
	}
	if !bytes.Equal(getAll(t, st, "k2"), data) {
		t.Fatal("object differs")
	}
	if recs := records(t, gitDir); len(recs) != 0 {
		t.Fatalf("records left: %v", recs)
	}
	// The abandoned upload's parts were aborted: nothing of it is left in .gros/tmp.
	if left, _ := filepath.Glob(filepath.Join(st.(interface{ Root() string }).Root(), ".gros", "tmp", "put-*")); len(left) != 0 {
		t.Fatalf("upload files left: %v", left)
	}
}

func TestPutResumableFallsBack(t *testing.T) {
	ctx := t.Context()
	st := testenv.FSStore(t)
	gitDir := t.TempDir()
	c := newCounting(t, st, 0)
	// One part or less: a plain Put, no record, no upload.
	small := randomBytes(c.partSize, 3)
	if _, err := PutResumable(ctx, c, "small", bytes.NewReader(small), -1, store.Cond{}, ResumeOptions{GitDir: gitDir}); err != nil {
		t.Fatal(err)
	}
	if c.starts.Load() != 0 || len(records(t, gitDir)) != 0 || !bytes.Equal(getAll(t, st, "small"), small) {
		t.Fatalf("a one-part body went through an upload (%d starts) or left a record", c.starts.Load())
	}
	// No git dir: a plain Put.
	big := randomBytes(3*c.partSize, 4)
	if _, err := PutResumable(ctx, c, "big", bytes.NewReader(big), int64(len(big)), store.Cond{}, ResumeOptions{}); err != nil {
		t.Fatal(err)
	}
	if c.starts.Load() != 0 || !bytes.Equal(getAll(t, st, "big"), big) {
		t.Fatal("without a git dir the upload was not a plain Put")
	}
	// A short body against its announced size fails and leaves nothing behind.
	_, err := PutResumable(ctx, c, "short", bytes.NewReader(big), int64(len(big))+1, store.Cond{}, ResumeOptions{GitDir: gitDir})
	if err == nil || len(records(t, gitDir)) != 0 {
		t.Fatalf("short body: %v, records %v", err, records(t, gitDir))
	}
	if _, err := st.Head(ctx, "short"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("short body landed: %v", err)
	}
}
