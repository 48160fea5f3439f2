package reflock_test

import (
	"errors"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"git-remote-object-store/internal/testenv"
	"git-remote-object-store/reflock"
	"git-remote-object-store/store"
)

// backends lists the stores the lock is tested on; the cloud ones join when configured.
func backends(t *testing.T) map[string]func(t *testing.T) store.Store {
	return testenv.Stores(t)
}

func TestLock(t *testing.T) {
	for name, newStore := range backends(t) {
		t.Run(name, func(t *testing.T) {
			t.Run("AcquireRelease", func(t *testing.T) { testAcquireRelease(t, newStore(t)) })
			t.Run("StaleTakeover", func(t *testing.T) { testStaleTakeover(t, newStore(t)) })
			t.Run("Race", func(t *testing.T) { testRace(t, newStore(t)) })
			t.Run("KeepAlive", func(t *testing.T) { testKeepAlive(t, newStore(t)) })
			t.Run("ForeignFreshLock", func(t *testing.T) { testForeign(t, newStore(t)) })
			t.Run("LockedMessage", func(t *testing.T) { testLockedMessage(t, newStore(t)) })
		})
	}
}

const key = "repo/refs/heads/main/LOCK#.lock"

func testAcquireRelease(t *testing.T, st store.Store) {
	ctx := t.Context()
	l, err := reflock.Acquire(ctx, st, key, reflock.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := reflock.Acquire(ctx, st, key, reflock.Options{}); !errors.Is(err, reflock.ErrLocked) {
		t.Fatalf("second Acquire = %v, want ErrLocked", err)
	}
	if err := l.Refresh(ctx); err != nil {
		t.Fatalf("Refresh: %v", err)
	}
	if err := l.Release(ctx); err != nil {
		t.Fatal(err)
	}
	var keys []string
	st.List(ctx, "repo/", func(i store.Info) error { keys = append(keys, i.Key); return nil })
	if len(keys) != 0 {
		t.Fatalf("left behind after release: %v", keys)
	}
	l2, err := reflock.Acquire(ctx, st, key, reflock.Options{})
	if err != nil {
		t.Fatalf("Acquire after Release: %v", err)
	}
	l2.Release(ctx)
}

func testStaleTakeover(t *testing.T, st store.Store) {
	ctx := t.Context()
	old, err := reflock.Acquire(ctx, st, key, reflock.Options{TTL: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(2100 * time.Millisecond) // Last-Modified has one-second resolution on S3
	l, err := reflock.Acquire(ctx, st, key, reflock.Options{TTL: time.Second})
	if err != nil {
		t.Fatalf("taking over a stale lock: %v", err)
	}
	if err := old.Refresh(ctx); err == nil {
		t.Fatal("the old owner could still refresh a lock that was taken over")
	}
	if err := old.Release(ctx); err == nil || !strings.Contains(err.Error(), "taken over") {
		t.Fatalf("old owner's Release = %v, want a taken-over error", err)
	}
	if err := l.Release(ctx); err != nil {
		t.Fatalf("new owner's Release: %v", err)
	}
}

func testRace(t *testing.T, st store.Store) {
	ctx := t.Context()
	var inside, maxInside, wins atomic.Int32
	var wg sync.WaitGroup
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 3 {
				l, err := reflock.Acquire(ctx, st, key, reflock.Options{})
				if errors.Is(err, reflock.ErrLocked) {
					continue
				}
				if err != nil {
					t.Error(err)
					return
				}
				wins.Add(1)
				n := inside.Add(1)
				if n > maxInside.Load() {
					maxInside.Store(n)
				}
				time.Sleep(5 * time.Millisecond)
				inside.Add(-1)
				if err := l.Release(ctx); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
	if maxInside.Load() != 1 || wins.Load() == 0 {
		t.Fatalf("%d holders at once (want 1), %d acquisitions", maxInside.Load(), wins.Load())
	}
}

func testForeign(t *testing.T, st store.Store) {
	// A lock whose body is someone else's token is not ours even if it is fresh.
	ctx := t.Context()
	st.Put(ctx, key, strings.NewReader("owner=someone-else"), 18, store.Cond{})
	if _, err := reflock.Acquire(ctx, st, key, reflock.Options{}); !errors.Is(err, reflock.ErrLocked) || !strings.Contains(err.Error(), "someone-else") {
		t.Fatalf("Acquire over a foreign fresh lock = %v, want ErrLocked naming the owner", err)
	}
}

// testLockedMessage: refused, a pusher is told who holds the lock and when it expires,
// in words without the package's name or the lock's key.
func testLockedMessage(t *testing.T, st store.Store) {
	ctx := t.Context()
	body := "owner=0123abcd host=ci-7 pid=4242"
	st.Put(ctx, key, strings.NewReader(body), int64(len(body)), store.Cond{})
	_, err := reflock.Acquire(ctx, st, key, reflock.Options{TTL: 90 * time.Second})
	want := regexp.MustCompile(`^locked by another push \(host ci-7, pid 4242\); retry in (8[0-9]|90)s$`)
	if !errors.Is(err, reflock.ErrLocked) || !want.MatchString(err.Error()) {
		t.Fatalf("Acquire over a fresh lock = %v, want ErrLocked matching %s", err, want)
	}
}

// testKeepAlive: a held lock that is refreshed never goes stale, however long the holder
// works; without refreshes it would be taken over after the TTL.
func testKeepAlive(t *testing.T, st store.Store) {
	ctx := t.Context()
	opt := reflock.Options{TTL: 2 * time.Second}
	l, err := reflock.Acquire(ctx, st, key, opt)
	if err != nil {
		t.Fatal(err)
	}
	l.KeepAlive(ctx)
	time.Sleep(3500 * time.Millisecond)
	if _, err := reflock.Acquire(ctx, st, key, opt); !errors.Is(err, reflock.ErrLocked) {
		t.Fatalf("a kept-alive lock was taken over: %v", err)
	}
	if err := l.Lost(); err != nil {
		t.Fatalf("refresh failed: %v", err)
	}
	if err := l.Release(ctx); err != nil {
		t.Fatal(err)
	}
}
