package credcache

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// answer is what one Fetch returns: a value valid for ttl (0: no expiry), or err.
type answer struct {
	ttl time.Duration
	err error
}

// step moves the clock by advance, then calls Get once.
type step struct {
	advance   time.Duration
	want      string // the value Get returns ("" with an error)
	wantErr   error
	wantCalls int // Fetch calls so far
}

func TestGet(t *testing.T) {
	errDown := errors.New("endpoint down")
	cases := []struct {
		name    string
		margin  time.Duration
		answers []answer // one per Fetch call, in order
		steps   []step
	}{
		{
			name: "reused until the margin", margin: 5 * time.Minute,
			answers: []answer{{ttl: time.Hour}, {ttl: time.Hour}},
			steps: []step{
				{0, "v1", nil, 1},
				{50 * time.Minute, "v1", nil, 1},
				{4*time.Minute + 59*time.Second, "v1", nil, 1},
				{time.Second, "v2", nil, 2}, // exactly Margin before expiry: refreshed
				{time.Minute, "v2", nil, 2},
			},
		},
		{
			name: "zero margin keeps the value to its expiry", margin: 0,
			answers: []answer{{ttl: time.Hour}, {ttl: time.Hour}},
			steps: []step{
				{0, "v1", nil, 1},
				{time.Hour - time.Nanosecond, "v1", nil, 1},
				{time.Nanosecond, "v2", nil, 2},
			},
		},
		{
			name: "no expiry is never refreshed", margin: 5 * time.Minute,
			answers: []answer{{ttl: 0}},
			steps: []step{
				{0, "v1", nil, 1},
				{10000 * time.Hour, "v1", nil, 1},
			},
		},
		{
			name: "a value shorter-lived than the margin is fetched every time", margin: 5 * time.Minute,
			answers: []answer{{ttl: time.Minute}, {ttl: time.Minute}},
			steps: []step{
				{0, "v1", nil, 1},
				{0, "v2", nil, 2},
			},
		},
		{
			name: "an error is returned, not cached", margin: 5 * time.Minute,
			answers: []answer{{err: errDown}, {ttl: time.Hour}},
			steps: []step{
				{0, "", errDown, 1},
				{0, "v2", nil, 2},
				{0, "v2", nil, 2},
			},
		},
		{
			name: "a failed refresh returns its error, not the stale value", margin: 5 * time.Minute,
			answers: []answer{{ttl: time.Hour}, {err: errDown}, {ttl: time.Hour}},
			steps: []step{
				{0, "v1", nil, 1},
				{56 * time.Minute, "", errDown, 2},
				{0, "v3", nil, 3},
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			now, calls := t0, 0
			c := &Cache[string]{
				Margin: tc.margin,
				Now:    func() time.Time { return now },
				Fetch: func(context.Context) (string, time.Time, error) {
					if calls == len(tc.answers) {
						t.Fatalf("Fetch called %d times, the case has %d answers", calls+1, len(tc.answers))
					}
					a := tc.answers[calls]
					calls++
					if a.err != nil {
						return "partial", time.Time{}, a.err
					}
					var exp time.Time
					if a.ttl != 0 {
						exp = now.Add(a.ttl)
					}
					return fmt.Sprint("v", calls), exp, nil
				},
			}
			for i, s := range tc.steps {
				now = now.Add(s.advance)
				got, err := c.Get(context.Background())
				if got != s.want || !errors.Is(err, s.wantErr) || calls != s.wantCalls {
					t.Fatalf("step %d: got %q, %v after %d Fetch calls; want %q, %v after %d",
						i, got, err, calls, s.want, s.wantErr, s.wantCalls)
				}
			}
		})
	}
}

// doneSignal is a context that tells when Get calls Done, which it does only when it
// waits on another caller's refresh: it lets a test hold a refresh until every other
// caller is waiting on it, instead of guessing with sleeps.
type doneSignal struct {
	context.Context
	once    sync.Once
	waiting *sync.WaitGroup
}

func (d *doneSignal) Done() <-chan struct{} {
	d.once.Do(d.waiting.Done)
	return d.Context.Done()
}

// TestConcurrentCallersShareOneRefresh: callers that arrive during a refresh get its
// result, the value or the error, and never start another one.
func TestConcurrentCallersShareOneRefresh(t *testing.T) {
	const callers = 16
	errDown := errors.New("endpoint down")
	for _, tc := range []struct {
		name    string
		err     error
		wantVal string
	}{
		{"value", nil, "shared"},
		{"error", errDown, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var waiting sync.WaitGroup
			waiting.Add(callers - 1) // every caller but the one running Fetch
			var calls atomic.Int32
			c := &Cache[string]{Margin: 5 * time.Minute, Fetch: func(context.Context) (string, time.Time, error) {
				calls.Add(1)
				waiting.Wait()
				if tc.err != nil {
					return "", time.Time{}, tc.err
				}
				return "shared", time.Now().Add(time.Hour), nil
			}}
			var wg sync.WaitGroup
			vals := make([]string, callers)
			errs := make([]error, callers)
			for i := range callers {
				wg.Go(func() {
					ctx := &doneSignal{Context: context.Background(), waiting: &waiting}
					vals[i], errs[i] = c.Get(ctx)
				})
			}
			wg.Wait()
			if n := calls.Load(); n != 1 {
				t.Fatalf("%d concurrent callers ran Fetch %d times, want once", callers, n)
			}
			for i := range callers {
				if vals[i] != tc.wantVal || !errors.Is(errs[i], tc.err) {
					t.Fatalf("caller %d got %q, %v; want %q, %v", i, vals[i], errs[i], tc.wantVal, tc.err)
				}
			}
		})
	}
}

// TestWaiterOutlivesCancelledRefresh: when the caller running a refresh gives up, its
// context error is not passed to a waiter whose context is live; the waiter refreshes
// itself. A waiter that gives up returns its own context's error at once.
func TestWaiterOutlivesCancelledRefresh(t *testing.T) {
	started := make(chan struct{})
	var calls atomic.Int32
	c := &Cache[string]{Fetch: func(ctx context.Context) (string, time.Time, error) {
		if calls.Add(1) == 1 {
			close(started)
			<-ctx.Done()
			return "", time.Time{}, fmt.Errorf("token endpoint: %w", ctx.Err())
		}
		return "second", time.Time{}, nil
	}}
	leaderCtx, cancelLeader := context.WithCancel(context.Background())
	leaderErr := make(chan error, 1)
	go func() {
		_, err := c.Get(leaderCtx)
		leaderErr <- err
	}()
	<-started

	// A waiter whose context is already cancelled gives up without touching the refresh.
	quitter, cancelQuitter := context.WithCancel(context.Background())
	cancelQuitter()
	if _, err := c.Get(quitter); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled waiter: %v, want context.Canceled", err)
	}

	var waiting sync.WaitGroup
	waiting.Add(1)
	got := make(chan string, 1)
	go func() {
		v, err := c.Get(&doneSignal{Context: context.Background(), waiting: &waiting})
		if err != nil {
			t.Errorf("live waiter: %v", err)
		}
		got <- v
	}()
	waiting.Wait()
	cancelLeader()
	if err := <-leaderErr; !errors.Is(err, context.Canceled) {
		t.Fatalf("leader: %v, want its own context.Canceled", err)
	}
	if v := <-got; v != "second" {
		t.Fatalf("live waiter got %q, want the value of its own refresh", v)
	}
	if n := calls.Load(); n != 2 {
		t.Fatalf("Fetch ran %d times, want 2", n)
	}
}

// TestPanickingFetchReleasesWaiters: a Fetch that panics must not leave the cache
// waiting on a refresh that will never finish.
func TestPanickingFetchReleasesWaiters(t *testing.T) {
	var calls atomic.Int32
	c := &Cache[string]{Fetch: func(context.Context) (string, time.Time, error) {
		if calls.Add(1) == 1 {
			panic("boom")
		}
		return "after", time.Time{}, nil
	}}
	func() {
		defer func() { recover() }()
		c.Get(context.Background())
	}()
	if v, err := c.Get(context.Background()); v != "after" || err != nil {
		t.Fatalf("after a panic: %q, %v", v, err)
	}
}
