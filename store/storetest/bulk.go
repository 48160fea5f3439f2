package storetest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"git-remote-object-store/store"
)

func testListOrder(t *testing.T, s store.Store, _ Options) {
	keys := []string{"p/a", "p/a-b", "p/a/b", "p/a.c", "p/b", "p/a0", "q/x", "pz"}
	for _, k := range keys {
		if k == "p/a" {
			continue // a key and a "directory" of the same name cannot coexist on every backend
		}
		mustPut(t, s, k, []byte(k))
	}
	var got []string
	for _, in := range listAll(t, s, "p/") {
		got = append(got, in.Key)
	}
	want := []string{"p/a-b", "p/a.c", "p/a/b", "p/a0", "p/b"}
	if !slices.Equal(got, want) {
		t.Fatalf("List(p/) = %q, want %q (lexical key order, prefix only)", got, want)
	}
	got = got[:0]
	for _, in := range listAll(t, s, "p/a") {
		got = append(got, in.Key)
	}
	if want := []string{"p/a-b", "p/a.c", "p/a/b", "p/a0"}; !slices.Equal(got, want) {
		t.Fatalf("List(p/a) = %q, want %q (a prefix need not end at '/')", got, want)
	}
	n := 0
	err := s.List(ctxT(t), "", func(store.Info) error { n++; return store.ErrStopList })
	if err != store.ErrStopList || n != 1 {
		t.Fatalf("an error from fn must stop the listing and be returned unchanged: err %v after %d calls", err, n)
	}
}

func testListPagination(t *testing.T, s store.Store, opt Options) {
	if opt.Short {
		t.Skip("skipped: Options.Short")
	}
	const n = 2600
	keys := make([]string, n)
	for i := range keys {
		keys[i] = fmt.Sprintf("many/%05d", i)
	}
	parallel(t, 16, n, func(i int) error {
		_, err := s.Put(ctxT(t), keys[i], emptyReader{}, 0, store.Cond{})
		return err
	})
	mustPut(t, s, "other/x", []byte("x"))
	var got []string
	for _, in := range listAll(t, s, "many/") {
		got = append(got, in.Key)
	}
	if !slices.Equal(got, keys) {
		t.Fatalf("List(many/) returned %d keys (want %d, in order, each once)", len(got), n)
	}
}

type emptyReader struct{}

func (emptyReader) Read([]byte) (int, error) { return 0, io.EOF }

func parallel(t *testing.T, workers, n int, fn func(i int) error) {
	t.Helper()
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				if err := fn(i); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}

// genReader produces n deterministic pseudo-random bytes without holding them.
type genReader struct {
	left  int64
	state uint64
}

func (g *genReader) Read(p []byte) (int, error) {
	if g.left <= 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > g.left {
		p = p[:g.left]
	}
	for i := range p {
		g.state = g.state*6364136223846793005 + 1442695040888963407
		p[i] = byte(g.state >> 56)
	}
	g.left -= int64(len(p))
	return len(p), nil
}

func hashOf(r io.Reader) ([32]byte, int64) {
	h := sha256.New()
	n, _ := io.Copy(h, r)
	var out [32]byte
	copy(out[:], h.Sum(nil))
	return out, n
}

// heapPeak samples the live heap while fn runs and returns the peak above the start.
func heapPeak(fn func()) uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	base := ms.HeapAlloc
	var peak atomic.Uint64
	done := make(chan struct{})
	go func() {
		var m runtime.MemStats
		for {
			select {
			case <-done:
				return
			case <-time.After(5 * time.Millisecond):
			}
			runtime.ReadMemStats(&m)
			if m.HeapAlloc > base && m.HeapAlloc-base > peak.Load() {
				peak.Store(m.HeapAlloc - base)
			}
		}
	}()
	fn()
	close(done)
	return peak.Load()
}

func testStreamUnknownSize(t *testing.T, s store.Store, opt Options) {
	if opt.Short {
		t.Skip("skipped: Options.Short")
	}
	const size = 64 << 20
	want, _ := hashOf(&genReader{left: size, state: 1})
	var err error
	peak := heapPeak(func() {
		_, err = s.Put(ctxT(t), "big/unknown", &genReader{left: size, state: 1}, -1, store.Cond{})
	})
	if err != nil {
		t.Fatalf("streamed Put: %v", err)
	}
	if limit := uint64(3 * opt.PartSize); peak >= limit {
		t.Errorf("peak heap during a %d MiB upload was %d MiB, limit 3 × part size = %d MiB",
			size>>20, peak>>20, limit>>20)
	}
	t.Logf("64 MiB unknown-size upload: peak heap %.1f MiB (part size %d MiB)", float64(peak)/(1<<20), opt.PartSize>>20)
	rc, info, err := s.Get(ctxT(t), "big/unknown", nil)
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	defer rc.Close()
	got, n := hashOf(rc)
	if n != size || got != want || info.Size != size {
		t.Fatalf("read back %d bytes (info %d), hash match %v", n, info.Size, got == want)
	}
}

func testKnownSizeAbovePart(t *testing.T, s store.Store, opt Options) {
	if opt.Short {
		t.Skip("skipped: Options.Short")
	}
	size := opt.PartSize*2 + 12345
	want, _ := hashOf(&genReader{left: size, state: 7})
	if _, err := s.Put(ctxT(t), "big/known", &genReader{left: size, state: 7}, size, store.Cond{IfNoneMatch: true}); err != nil {
		t.Fatalf("Put of %d known bytes: %v", size, err)
	}
	rc, _, err := s.Get(ctxT(t), "big/known", &store.Range{Offset: 0, Length: -1})
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	defer rc.Close()
	if got, n := hashOf(rc); n != size || got != want {
		t.Fatalf("read back %d of %d bytes, hash match %v", n, size, got == want)
	}
}

// testCancelledUpload cancels a multi-part streamed upload midway: the Put must fail and
// no object may appear.
func testCancelledUpload(t *testing.T, s store.Store, opt Options) {
	ctx, cancel := context.WithCancel(ctxT(t))
	defer cancel()
	body := &cancelAfter{r: &genReader{left: 4 * opt.PartSize, state: 3}, after: opt.PartSize + opt.PartSize/2, cancel: cancel}
	if _, err := s.Put(ctx, "cancelled", body, -1, store.Cond{}); err == nil {
		t.Fatal("Put with a context cancelled midway succeeded")
	}
	if _, err := s.Head(ctxT(t), "cancelled"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("after a cancelled upload Head = %v, want ErrNotFound", err)
	}
	if got := listAll(t, s, "cancelled"); len(got) != 0 {
		t.Fatalf("a cancelled upload is listed: %+v", got)
	}
}

// testShortBody puts bodies shorter than their announced size, one that fits a part and
// one announced above it: each Put must fail, and no object may appear.
func testShortBody(t *testing.T, s store.Store, opt Options) {
	for _, announced := range []int64{10, opt.PartSize + 10} {
		key := fmt.Sprintf("short-%d", announced)
		if _, err := s.Put(ctxT(t), key, strings.NewReader("abc"), announced, store.Cond{}); err == nil {
			t.Fatalf("a body of 3 bytes announced as %d was accepted", announced)
		}
		if _, err := s.Head(ctxT(t), key); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("after a short body Head = %v, want ErrNotFound", err)
		}
	}
}

type cancelAfter struct {
	r      io.Reader
	n      int64
	after  int64
	cancel func()
}

func (c *cancelAfter) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	if c.n >= c.after {
		c.cancel()
	}
	return n, err
}

// testReaderAt: random reads through the block-caching range reader match the object,
// and a replaced object is noticed instead of mixing two versions.
func testReaderAt(t *testing.T, s store.Store, _ Options) {
	data := make([]byte, 300<<10+17)
	for i, seed := 0, rand.NewPCG(7, 7); i < len(data); i++ {
		data[i] = byte(seed.Uint64())
	}
	mustPut(t, s, "ra", data)
	r, err := store.NewReaderAt(ctxT(t), s, "ra", 16<<10, 4)
	if err != nil {
		t.Fatal(err)
	}
	if r.Size() != int64(len(data)) {
		t.Fatalf("Size = %d, want %d", r.Size(), len(data))
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 200 {
		off := rng.Int64N(int64(len(data)))
		n := rng.IntN(40 << 10)
		buf := make([]byte, n)
		got, err := r.ReadAt(buf, off)
		want := min(n, len(data)-int(off))
		if got != want || (err != nil && err != io.EOF) || (want < n && err != io.EOF) {
			t.Fatalf("ReadAt(%d bytes at %d) = %d, %v; want %d", n, off, got, err, want)
		}
		if !bytes.Equal(buf[:got], data[off:int(off)+got]) {
			t.Fatalf("ReadAt(%d bytes at %d): wrong bytes", n, off)
		}
	}
	mustPut(t, s, "ra", bytes.Repeat([]byte("x"), len(data)))
	buf := make([]byte, len(data))
	if _, err := r.ReadAt(buf, 0); !errors.Is(err, store.ErrPrecondition) {
		t.Fatalf("reading a replaced object: %v, want ErrPrecondition", err)
	}
}
