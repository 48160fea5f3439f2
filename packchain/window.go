package packchain

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"git-remote-object-store/store"
)

// The push window is what keeps gc from deleting a pack a push is about to name.
//
// A push (or compaction) uploads a pack, then names it in the manifest by
// compare-and-swap. Until that CAS the pack is unnamed, and gc deletes unnamed packs. So
// every writer that names a pack it uploaded must land its CAS within half a push window
// of the moment it started that upload, measured on its own monotonic clock; past that
// it uploads the pack again (which also makes it young again) before it may name it. gc
// deletes an unnamed pack only when its Last-Modified is older than grace before the
// store's own clock read at gc's start, and refuses a grace shorter than the push window.
// The pack's Last-Modified is no earlier than the start of the upload that wrote it, so a
// CAS that names it lands before gc reads the manifest, and gc sees it named. No two
// machines' clocks are ever compared. See docs/architecture.md, "gc and pushes".
const DefaultPushWindow = 6 * time.Hour

// PushWindowEnv overrides the push window (a Go duration). Every writer and every gc of
// one remote must use the same value; it exists for tests and for links so slow that a
// single pack upload takes longer than half the default.
const PushWindowEnv = "GIT_REMOTE_OBJECT_STORE_PUSH_WINDOW"

// ErrGraceTooShort: gc was asked for a grace shorter than the push window. Its text is
// the middle of GC's sentence: "--grace 1h is shorter than the push window (6h0m0s), …".
var ErrGraceTooShort = errors.New("shorter than the push window")

// PushWindow is the window in force for this process.
func PushWindow() time.Duration {
	if v := os.Getenv(PushWindowEnv); v != "" {
		if d, err := time.ParseDuration(v); err == nil && d > 0 {
			return d
		}
	}
	return DefaultPushWindow
}

// upload records when this process started uploading a pack; the zero value means it
// did not upload it (the manifest it will swap against names it already).
type upload struct {
	started time.Time
}

// fresh reports whether a pack uploaded at u may still be named by a CAS started now.
func (u upload) fresh(window time.Duration) bool {
	return !u.started.IsZero() && time.Since(u.started) < window/2
}

// earliest is the upload a CAS naming all of ups must be timed from: the oldest that
// this process made (skipped ones, named already, do not count).
func earliest(ups ...upload) upload {
	var first upload
	for _, u := range ups {
		if !u.started.IsZero() && (first.started.IsZero() || u.started.Before(first.started)) {
			first = u
		}
	}
	return first
}

// deadline bounds the CAS that names the pack, so a request that hangs cannot land after
// gc may have judged the pack old.
func (u upload) deadline(ctx context.Context, window time.Duration) (context.Context, context.CancelFunc) {
	if u.started.IsZero() {
		return context.WithCancel(ctx)
	}
	return context.WithDeadline(ctx, u.started.Add(window*3/4))
}

// clockKey is a scratch object gc writes to read the store's clock.
const clockKey = "packchain/gc-clock"

// storeNow returns the store's current time: the Last-Modified of an object written now.
func (e *Engine) storeNow(ctx context.Context) (time.Time, error) {
	body := fmt.Sprint(time.Now().UnixNano())
	if _, err := e.st.Put(ctx, clockKey, strings.NewReader(body), int64(len(body)), store.Cond{}); err != nil {
		return time.Time{}, fmt.Errorf("read the store's clock: %w", err)
	}
	info, err := e.st.Head(ctx, clockKey)
	e.st.Delete(context.WithoutCancel(ctx), clockKey)
	if err != nil {
		return time.Time{}, fmt.Errorf("read the store's clock: %w", err)
	}
	return info.LastModified, nil
}
