// Package credcache holds one short-lived credential (a set of temporary AWS keys, an
// Entra ID token) and refreshes it a margin before it expires.
//
// Both the S3 credential chain (store/s3) and azauth fetch such credentials from slow
// endpoints — STS, instance metadata, a token endpoint, a credential_process — while a
// push signs many requests at once. The cache lets them share one credential, and one
// refresh: callers that find a refresh under way wait for it instead of starting their
// own, so an unreachable endpoint costs one timeout, not one per request.
package credcache

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// errPanicked is what callers waiting on a refresh get when Fetch panicked instead of
// returning: the panic itself goes up the stack of the caller that ran Fetch.
var errPanicked = errors.New("credcache: the credential refresh panicked")

// Cache holds the value Fetch last returned until Margin before its expiry. Fetch (and
// Margin, Now) must be set before the first Get and not changed after it. A Cache must
// not be copied after first use.
type Cache[T any] struct {
	// Fetch obtains a fresh value and the time it stops working; a zero time means it
	// never does. Its errors reach the callers of Get unchanged.
	Fetch func(ctx context.Context) (value T, expires time.Time, err error)
	// Margin is how long before its expiry a value is replaced: a request signed with it
	// must still be valid when it reaches the service, and a refresh may take a while.
	Margin time.Duration
	// Now is the clock (nil: time.Now); tests move it.
	Now func() time.Time

	mu      sync.Mutex
	have    bool // val holds a value some Fetch returned
	val     T
	expires time.Time
	flight  *flight[T] // the refresh under way, if any
}

// flight is one run of Fetch; done is closed when it has finished, and only then are the
// other fields read by anyone but the caller that ran it.
type flight[T any] struct {
	done chan struct{}
	val  T
	err  error
	// abandoned: the refresh failed after its caller's context ended, so its error says
	// nothing about the source; a waiter whose own context is live tries again.
	abandoned bool
}

// Get returns the cached value while it is fresh, and otherwise the result of a refresh:
// the one already under way, or one it runs itself with ctx. A failed refresh leaves
// nothing new in the cache: its error goes to the callers that waited on it, and the
// next Get tries again.
func (c *Cache[T]) Get(ctx context.Context) (T, error) {
	for {
		c.mu.Lock()
		if c.freshLocked() {
			v := c.val
			c.mu.Unlock()
			return v, nil
		}
		f := c.flight
		if f == nil {
			f = &flight[T]{done: make(chan struct{})}
			c.flight = f
			c.mu.Unlock()
			c.refresh(ctx, f)
			return f.val, f.err
		}
		c.mu.Unlock()
		select {
		case <-f.done:
		case <-ctx.Done():
			var zero T
			return zero, fmt.Errorf("waiting for a credential refresh: %w", context.Cause(ctx))
		}
		if !f.abandoned {
			return f.val, f.err
		}
	}
}

func (c *Cache[T]) freshLocked() bool {
	if !c.have {
		return false
	}
	if c.expires.IsZero() {
		return true
	}
	now := time.Now
	if c.Now != nil {
		now = c.Now
	}
	return now().Add(c.Margin).Before(c.expires)
}

// refresh runs Fetch for flight f, stores a success, and releases f's waiters; the
// release is deferred so that a panicking Fetch cannot leave them waiting forever.
func (c *Cache[T]) refresh(ctx context.Context, f *flight[T]) {
	var expires time.Time
	f.err = errPanicked // replaced below unless Fetch panics
	defer func() {
		c.mu.Lock()
		if f.err == nil {
			c.have, c.val, c.expires = true, f.val, expires
		}
		c.flight = nil
		c.mu.Unlock()
		close(f.done)
	}()
	v, exp, err := c.Fetch(ctx)
	if err != nil {
		var zero T
		f.val, f.err, f.abandoned = zero, err, ctx.Err() != nil
		return
	}
	f.val, f.err, expires = v, nil, exp
}
