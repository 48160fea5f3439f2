package engine_test

import (
	"context"
	"errors"
	"io"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"git-remote-object-store/engine"
	"git-remote-object-store/internal/testenv"
	"git-remote-object-store/store"
)

// misbehave wraps a real store and makes it answer conditional writes the way a broken
// server would. Every mode emulates, at the store.Store contract, what a server does to
// the conditions; the bytes still go to (and come from) the real backend underneath.
type misbehave struct {
	store.Store
	ignoreNoneMatch        bool // drop IfNoneMatch on sized writes (the server ignores If-None-Match: *)
	ignoreNoneMatchUnsized bool // drop IfNoneMatch on size -1 writes only
	ignoreMatch            bool // drop IfMatch (the server ignores If-Match)
	conflict409            bool // a lost condition is answered 409 with a code the backends do not know
	replaceAnyway          bool // a lost condition is reported, but the write lands all the same
	refuseIfMatch          bool // every If-Match write is refused, even on the current ETag
	notImplemented         bool // If-None-Match is answered 501 Not Implemented
	noETag                 bool // no ETag is ever reported
	constETag              bool // the ETag is always "const" (and If-Match compares against it)
	failPut                int  // the failPut-th Put (1-based) fails like a network error
	failDelete             bool // Delete fails
	cancelAfterPut         int  // cancel is called after this many Puts
	cancel                 context.CancelFunc

	puts atomic.Int32
}

func (m *misbehave) Put(ctx context.Context, key string, body io.Reader, size int64, c store.Cond) (store.Info, error) {
	n := int(m.puts.Add(1))
	if m.cancelAfterPut > 0 && n > m.cancelAfterPut {
		m.cancel()
		if err := ctx.Err(); err != nil {
			return store.Info{}, &store.Error{Op: "put", Key: key, Err: err}
		}
	}
	if n == m.failPut {
		return store.Info{}, &store.Error{Op: "put", Key: key, Err: errors.New("read tcp 127.0.0.1:1: connection reset by peer")}
	}
	if m.notImplemented && c.IfNoneMatch {
		return store.Info{}, &store.Error{Op: "put", Key: key, Status: 501, Code: "NotImplemented", Message: "A header you provided implies functionality that is not implemented"}
	}
	if m.refuseIfMatch && c.IfMatch != "" {
		return store.Info{}, &store.Error{Op: "put", Key: key, Status: 412, Code: "PreconditionFailed", Err: store.ErrPrecondition}
	}
	if m.constETag && c.IfMatch == "const" {
		cur, err := m.Store.Head(ctx, key)
		if err != nil {
			return store.Info{}, err
		}
		c.IfMatch = cur.ETag
	}
	if m.ignoreNoneMatch && size >= 0 || m.ignoreNoneMatchUnsized && size < 0 {
		c.IfNoneMatch = false
	}
	if m.ignoreMatch {
		c.IfMatch = ""
	}
	data, err := io.ReadAll(body)
	if err != nil {
		return store.Info{}, err
	}
	info, err := m.Store.Put(ctx, key, strings.NewReader(string(data)), int64(len(data)), c)
	if store.IsPrecondition(err) {
		if m.replaceAnyway {
			m.Store.Put(ctx, key, strings.NewReader(string(data)), int64(len(data)), store.Cond{})
		}
		if m.conflict409 {
			return store.Info{}, &store.Error{Op: "put", Key: key, Status: 409, Code: "OperationAborted", Message: "A conflicting conditional operation is currently in progress"}
		}
	}
	return m.fix(info), err
}

func (m *misbehave) fix(info store.Info) store.Info {
	switch {
	case m.noETag:
		info.ETag = ""
	case m.constETag:
		info.ETag = "const"
	}
	return info
}

func (m *misbehave) Get(ctx context.Context, key string, r *store.Range) (io.ReadCloser, store.Info, error) {
	rc, info, err := m.Store.Get(ctx, key, r)
	return rc, m.fix(info), err
}

func (m *misbehave) Head(ctx context.Context, key string) (store.Info, error) {
	info, err := m.Store.Head(ctx, key)
	return m.fix(info), err
}

func (m *misbehave) Delete(ctx context.Context, key string) error {
	if m.failDelete {
		return &store.Error{Op: "delete", Key: key, Status: 403, Code: "AccessDenied", Message: "Access Denied"}
	}
	return m.Store.Delete(ctx, key)
}

// leftovers lists what the probe left below its prefix.
func leftovers(t *testing.T, st store.Store) []string {
	t.Helper()
	var keys []string
	if err := st.List(context.Background(), engine.CondProbePrefix, func(i store.Info) error {
		keys = append(keys, i.Key)
		return nil
	}); err != nil {
		t.Fatalf("list %s: %v", engine.CondProbePrefix, err)
	}
	return keys
}

func TestConditionalWritesPassOnFS(t *testing.T) {
	for name, st := range map[string]store.Store{
		"root":     testenv.FSStore(t),
		"prefixed": store.Prefixed(testenv.FSStore(t), "some/repo"),
	} {
		t.Run(name, func(t *testing.T) {
			if err := engine.CheckConditionalWrites(t.Context(), st); err != nil {
				t.Fatalf("probe on a store that honours conditions: %v", err)
			}
			if left := leftovers(t, st); len(left) != 0 {
				t.Fatalf("probe left %v behind", left)
			}
		})
	}
}

func TestConditionalWritesDetectsBrokenStores(t *testing.T) {
	for _, tc := range []struct {
		name      string
		m         *misbehave
		check     string
		wantInErr string
	}{
		{"ignores If-None-Match", &misbehave{ignoreNoneMatch: true}, engine.CheckCreateIfAbsent, "stored the object although If-None-Match: * should have refused it"},
		{"ignores If-None-Match on streamed writes", &misbehave{ignoreNoneMatchUnsized: true}, engine.CheckCreateIfAbsentUnsized, "streamed (unknown-size) write"},
		{"ignores If-Match", &misbehave{ignoreMatch: true}, engine.CheckReplaceIfMatch, "stored the object although If-Match named a stale ETag"},
		{"ignores both", &misbehave{ignoreNoneMatch: true, ignoreMatch: true}, engine.CheckCreateIfAbsent, "If-None-Match"},
		{"answers 409 with an unknown code", &misbehave{conflict409: true}, engine.CheckCreateIfAbsent, "HTTP 409 OperationAborted"},
		{"reports refusal but writes", &misbehave{replaceAnyway: true}, engine.CheckCreateIfAbsent, "replaced the object anyway"},
		{"refuses If-Match on the current ETag", &misbehave{refuseIfMatch: true}, engine.CheckReplaceIfMatch, "current ETag"},
		{"does not implement If-None-Match", &misbehave{notImplemented: true}, engine.CheckCreateIfAbsent, "does not implement If-None-Match"},
		{"reports no ETag", &misbehave{noETag: true}, engine.CheckReplaceIfMatch, "no ETag"},
		{"ETag does not change", &misbehave{constETag: true}, engine.CheckReplaceIfMatch, "did not change"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			inner := testenv.FSStore(t)
			m := tc.m
			m.Store = inner
			err := engine.CheckConditionalWrites(t.Context(), m)
			if !errors.Is(err, engine.ErrUnsafeStore) {
				t.Fatalf("probe = %v, want ErrUnsafeStore", err)
			}
			var ue *engine.UnsafeStoreError
			if !errors.As(err, &ue) || ue.Check != tc.check {
				t.Fatalf("probe failed check %q, want %q: %v", ue.Check, tc.check, err)
			}
			if !strings.Contains(err.Error(), tc.wantInErr) || !strings.Contains(err.Error(), "refuses to push") {
				t.Fatalf("error does not say %q and that pushing is refused: %v", tc.wantInErr, err)
			}
			if left := leftovers(t, inner); len(left) != 0 {
				t.Fatalf("probe left %v behind", left)
			}
		})
	}
}

func TestConditionalWritesUnexpectedErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		m    *misbehave
		want string
	}{
		{"first put fails", &misbehave{failPut: 1}, "connection reset"},
		{"refused put fails", &misbehave{failPut: 2}, "connection reset"},
		{"If-Match put fails", &misbehave{failPut: 3}, "connection reset"},
		{"delete fails", &misbehave{failDelete: true}, "AccessDenied"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			inner := testenv.FSStore(t)
			m := tc.m
			m.Store = inner
			err := engine.CheckConditionalWrites(t.Context(), m)
			if err == nil || errors.Is(err, engine.ErrUnsafeStore) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("probe = %v, want a plain error mentioning %q", err, tc.want)
			}
			if !m.failDelete {
				if left := leftovers(t, inner); len(left) != 0 {
					t.Fatalf("probe left %v behind", left)
				}
			}
		})
	}
}

// A cancelled caller still gets its scratch key removed.
func TestConditionalWritesCleansUpAfterCancel(t *testing.T) {
	inner := testenv.FSStore(t)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	m := &misbehave{Store: inner, cancelAfterPut: 2, cancel: cancel}
	err := engine.CheckConditionalWrites(ctx, m)
	if !errors.Is(err, context.Canceled) || errors.Is(err, engine.ErrUnsafeStore) {
		t.Fatalf("probe = %v, want a context.Canceled error", err)
	}
	if left := leftovers(t, inner); len(left) != 0 {
		t.Fatalf("probe left %v behind after cancellation", left)
	}
}

func TestConditionalWritesOnce(t *testing.T) {
	t.Run("pass is remembered", func(t *testing.T) {
		m := &misbehave{Store: testenv.FSStore(t)}
		var wg sync.WaitGroup
		for range 4 {
			wg.Go(func() {
				if err := engine.CheckConditionalWritesOnce(t.Context(), m); err != nil {
					t.Errorf("probe: %v", err)
				}
			})
		}
		wg.Wait()
		n := m.puts.Load()
		if err := engine.CheckConditionalWritesOnce(t.Context(), m); err != nil {
			t.Fatal(err)
		}
		if got := m.puts.Load(); got != n || n == 0 || n > 5 {
			t.Fatalf("puts: %d after the concurrent calls, %d after one more; want one probe's worth, then none", n, got)
		}
	})
	t.Run("unsafe verdict is remembered", func(t *testing.T) {
		m := &misbehave{Store: testenv.FSStore(t), ignoreMatch: true}
		for range 2 {
			if err := engine.CheckConditionalWritesOnce(t.Context(), m); !errors.Is(err, engine.ErrUnsafeStore) {
				t.Fatalf("probe = %v, want ErrUnsafeStore", err)
			}
		}
		if n := m.puts.Load(); n > 5 {
			t.Fatalf("%d puts: the verdict was not remembered", n)
		}
	})
	t.Run("transient failure is not remembered", func(t *testing.T) {
		m := &misbehave{Store: testenv.FSStore(t), failPut: 1}
		if err := engine.CheckConditionalWritesOnce(t.Context(), m); err == nil || errors.Is(err, engine.ErrUnsafeStore) {
			t.Fatalf("first probe = %v, want a transient error", err)
		}
		if err := engine.CheckConditionalWritesOnce(t.Context(), m); err != nil {
			t.Fatalf("second probe = %v, want a fresh, passing probe", err)
		}
	})
	t.Run("prefixed store values are cached", func(t *testing.T) {
		m := &misbehave{Store: testenv.FSStore(t)}
		for range 2 { // two equal wrapper values, as remote.Open builds them
			if err := engine.CheckConditionalWritesOnce(t.Context(), store.Prefixed(m, "team/repo")); err != nil {
				t.Fatal(err)
			}
		}
		if n := m.puts.Load(); n == 0 || n > 5 {
			t.Fatalf("%d puts: want exactly one probe", n)
		}
	})
	t.Run("stores are told apart", func(t *testing.T) {
		good := &misbehave{Store: testenv.FSStore(t)}
		bad := &misbehave{Store: testenv.FSStore(t), ignoreNoneMatch: true}
		if err := engine.CheckConditionalWritesOnce(t.Context(), good); err != nil {
			t.Fatal(err)
		}
		if err := engine.CheckConditionalWritesOnce(t.Context(), bad); !errors.Is(err, engine.ErrUnsafeStore) {
			t.Fatalf("probe of the second store = %v, want ErrUnsafeStore", err)
		}
	})
}
