// Package reflock is the per-ref push lock of the bundle layout (docs/architecture.md,
// "Concurrency: bundle engine"): an object created with If-None-Match, whose body names
// its owner with a random token. A lock is stale when the store's own Last-Modified is
// older than the TTL; a stale lock is taken over with a conditional replace on its ETag,
// never delete-then-create, so two pushers that both see it stale cannot both win. A
// lock held through a long upload is refreshed by rewriting it (If-Match on our own
// ETag), which moves its Last-Modified forward.
//
// Time is always the store's: staleness compares the lock's Last-Modified with the
// Last-Modified of a probe object we write ourselves, so a client with a wrong clock
// neither steals live locks nor waits forever on dead ones.
package reflock

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"git-remote-object-store/store"
)

// ErrLocked: someone else holds a live lock. Its errors say who holds it and when to
// retry: "locked by another push (host ci-7, pid 4242); retry in 48s".
var ErrLocked = errors.New("locked by another push")

// DefaultTTL is awslabs/git-remote-s3's lock lifetime.
const DefaultTTL = 60 * time.Second

// TTLFromEnv honours GIT_REMOTE_S3_LOCK_TTL_SECONDS (awslabs compatibility).
func TTLFromEnv() time.Duration {
	if s := os.Getenv("GIT_REMOTE_S3_LOCK_TTL_SECONDS"); s != "" {
		if n, err := strconv.Atoi(s); err == nil && n > 0 {
			return time.Duration(n) * time.Second
		}
	}
	return DefaultTTL
}

// Options tune Acquire.
type Options struct {
	TTL time.Duration // 0: DefaultTTL
	// ProbeKey is where the store's clock is read (written, then deleted); "" means a
	// uniquely named "CLOCK#<random>.lock" beside the lock, which awslabs clients ignore
	// like any other lock file rather than mistaking it for a bundle.
	ProbeKey string
}

// Lock is a held lock.
type Lock struct {
	st    store.Store
	key   string
	token string
	ttl   time.Duration

	mu   sync.Mutex
	etag string
	stop chan struct{}
	done chan struct{}
	lost error
}

func newToken() string {
	b := make([]byte, 16)
	rand.Read(b)
	host, _ := os.Hostname()
	return fmt.Sprintf("owner=%s host=%s pid=%d", hex.EncodeToString(b), sanitize(host), os.Getpid())
}

func sanitize(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x21 || r > 0x7e {
			return '_'
		}
		return r
	}, s)
}

// Acquire takes the lock at key or fails with ErrLocked.
func Acquire(ctx context.Context, st store.Store, key string, opt Options) (*Lock, error) {
	if opt.TTL <= 0 {
		opt.TTL = DefaultTTL
	}
	l := &Lock{st: st, key: key, token: newToken(), ttl: opt.TTL}
	info, err := st.Put(ctx, key, strings.NewReader(l.token), int64(len(l.token)), store.Cond{IfNoneMatch: true})
	if err == nil {
		l.etag = info.ETag
		return l, nil
	}
	if !store.IsPrecondition(err) {
		return nil, fmt.Errorf("create lock %s: %w", key, err)
	}
	cur, body, err := l.read(ctx)
	if errors.Is(err, store.ErrNotFound) {
		// Released between our create and our read: one more try.
		if info, err = st.Put(ctx, key, strings.NewReader(l.token), int64(len(l.token)), store.Cond{IfNoneMatch: true}); err == nil {
			l.etag = info.ETag
			return l, nil
		}
		return nil, fmt.Errorf("%w (it changed hands just now: %v); retry", ErrLocked, err)
	}
	if err != nil {
		return nil, err
	}
	if body == l.token { // our own create landed and its retry was refused
		l.etag = cur.ETag
		return l, nil
	}
	now, err := storeNow(ctx, st, opt.probeKey(key))
	if err != nil {
		return nil, err
	}
	age := now.Sub(cur.LastModified)
	if age <= opt.TTL {
		// The lock expires TTL after its holder last wrote it; a live holder rewrites it
		// every TTL/3, so by then it has either finished or died.
		return nil, fmt.Errorf("%w (%s); retry in %s", ErrLocked, holder(body), retryIn(opt.TTL-age))
	}
	info, err = st.Put(ctx, key, strings.NewReader(l.token), int64(len(l.token)), store.Cond{IfMatch: cur.ETag})
	if err != nil {
		if store.IsPrecondition(err) || store.IsNotFound(err) {
			return nil, fmt.Errorf("%w (it took over the expired lock first); retry", ErrLocked)
		}
		return nil, fmt.Errorf("take over stale lock %s: %w", key, err)
	}
	l.etag = info.ETag
	return l, nil
}

func (o Options) probeKey(key string) string {
	if o.ProbeKey != "" {
		return o.ProbeKey
	}
	b := make([]byte, 6)
	rand.Read(b)
	name := "CLOCK#" + hex.EncodeToString(b) + ".lock"
	if i := strings.LastIndex(key, "/"); i >= 0 {
		return key[:i+1] + name
	}
	return name
}

// holder describes a lock's owner for a message: the host and process of one of ours
// (newToken), else the body as found (another client's lock; awslabs' are empty).
func holder(body string) string {
	var host, pid string
	for _, f := range strings.Fields(body) {
		if v, ok := strings.CutPrefix(f, "host="); ok {
			host = v
		} else if v, ok := strings.CutPrefix(f, "pid="); ok {
			pid = v
		}
	}
	switch {
	case host != "" && pid != "":
		return "host " + sanitize(host) + ", pid " + sanitize(pid)
	case strings.TrimSpace(body) == "":
		return "no owner recorded"
	}
	return fmt.Sprintf("held by %q", owner(body))
}

// retryIn is the time left in whole seconds, rounded up (at least 1): "48s", "125s".
func retryIn(d time.Duration) string {
	return fmt.Sprintf("%ds", max(1, int64((d+time.Second-1)/time.Second)))
}

func owner(body string) string {
	if len(body) > 120 {
		body = body[:120]
	}
	return sanitize(body)
}

func (l *Lock) read(ctx context.Context) (store.Info, string, error) {
	rc, info, err := l.st.Get(ctx, l.key, nil)
	if err != nil {
		return store.Info{}, "", err
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, 4096))
	if err != nil {
		return store.Info{}, "", err
	}
	return info, string(b), nil
}

// storeNow reads the store's clock by writing a tiny object and looking at its
// Last-Modified (then deleting it).
func storeNow(ctx context.Context, st store.Store, key string) (time.Time, error) {
	info, err := st.Put(ctx, key, strings.NewReader("clock"), 5, store.Cond{})
	if err == nil && info.LastModified.IsZero() {
		info, err = st.Head(ctx, key)
	}
	if err != nil {
		return time.Time{}, fmt.Errorf("read the store's clock at %s: %w", key, err)
	}
	st.Delete(ctx, key)
	return info.LastModified, nil
}

// Key is the lock's key.
func (l *Lock) Key() string { return l.key }

// Refresh rewrites the lock so its Last-Modified moves forward; it fails if the lock is
// no longer ours (taken over after it went stale).
func (l *Lock) Refresh(ctx context.Context) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	info, err := l.st.Put(ctx, l.key, strings.NewReader(l.token), int64(len(l.token)), store.Cond{IfMatch: l.etag})
	if err != nil {
		return fmt.Errorf("refresh lock %s: %w", l.key, err)
	}
	l.etag = info.ETag
	return nil
}

// KeepAlive refreshes the lock every TTL/3 until Release. A failed refresh is kept and
// reported by Lost.
func (l *Lock) KeepAlive(ctx context.Context) {
	l.mu.Lock()
	if l.stop != nil {
		l.mu.Unlock()
		return
	}
	l.stop, l.done = make(chan struct{}), make(chan struct{})
	l.mu.Unlock()
	go func() {
		defer close(l.done)
		t := time.NewTicker(l.ttl / 3)
		defer t.Stop()
		for {
			select {
			case <-l.stop:
				return
			case <-ctx.Done():
				return
			case <-t.C:
				if err := l.Refresh(ctx); err != nil {
					l.mu.Lock()
					l.lost = err
					l.mu.Unlock()
					return
				}
			}
		}
	}()
}

// Lost reports a refresh failure: the lock may have been taken over.
func (l *Lock) Lost() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.lost
}

// Release deletes the lock if it is still ours. The store has no conditional delete, so
// a takeover between our check and our delete would delete the new owner's lock; that
// needs our lock to have gone stale (TTL without refresh) first, and the new owner
// re-checks the ref under its lock, so the worst case is a spurious retry, not lost work.
func (l *Lock) Release(ctx context.Context) error {
	l.mu.Lock()
	stop := l.stop
	l.mu.Unlock()
	if stop != nil {
		close(stop)
		<-l.done
	}
	_, body, err := l.read(ctx)
	if store.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("release lock %s: %w", l.key, err)
	}
	if body != l.token {
		return fmt.Errorf("release lock %s: it was taken over by %q", l.key, owner(body))
	}
	if err := l.st.Delete(ctx, l.key); err != nil {
		return fmt.Errorf("release lock %s: %w", l.key, err)
	}
	return nil
}
