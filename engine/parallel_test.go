package engine

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"
)

func TestParallelLimitsAndReportsTheFirstFailure(t *testing.T) {
	var running, peak atomic.Int32
	boom := errors.New("boom")
	err := Parallel(context.Background(), 3, 20, func(ctx context.Context, i int) error {
		n := running.Add(1)
		defer running.Add(-1)
		for {
			p := peak.Load()
			if n <= p || peak.CompareAndSwap(p, n) {
				break
			}
		}
		if i == 1 {
			return boom
		}
		select { // the others wait for the failure to cancel them (or give up)
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
			return nil
		}
	})
	if !errors.Is(err, boom) || errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want boom alone", err)
	}
	if peak.Load() > 3 {
		t.Fatalf("%d ran at once, limit 3", peak.Load())
	}
	if err := Parallel(context.Background(), 2, 5, func(context.Context, int) error { return nil }); err != nil {
		t.Fatal(err)
	}
}
