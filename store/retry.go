package store

import (
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"net"
	"syscall"
	"time"
)

// Policy is a retry policy with full-jitter exponential backoff: before attempt n (n ≥ 1)
// it sleeps a uniformly random duration in [0, min(Max, Base·2^(n-1))].
type Policy struct {
	Attempts int           // total attempts, including the first; < 1 means 1
	Base     time.Duration // first backoff ceiling
	Max      time.Duration // cap on any one backoff
	// Sleep waits d or until ctx ends; nil means a real timer. Tests replace it.
	Sleep func(ctx context.Context, d time.Duration) error
}

// Do runs op until it succeeds, returns an error IsRetryable rejects, the attempts run
// out, or ctx ends. op receives the attempt number, starting at 0, so a conditional write
// can tell that an earlier attempt of its own may have landed.
func (p Policy) Do(ctx context.Context, op func(attempt int) error) error {
	attempts := max(p.Attempts, 1)
	var err error
	for n := 0; n < attempts; n++ {
		if n > 0 {
			if serr := p.sleep(ctx, p.backoff(n)); serr != nil {
				return errors.Join(err, serr)
			}
		}
		err = op(n)
		if err == nil || !IsRetryable(err) || ctx.Err() != nil {
			return err
		}
	}
	return err
}

func (p Policy) backoff(n int) time.Duration {
	ceil := p.Base << (n - 1)
	if ceil <= 0 || ceil > p.Max {
		ceil = p.Max
	}
	if ceil <= 0 {
		return 0
	}
	return time.Duration(rand.Int64N(int64(ceil) + 1))
}

func (p Policy) sleep(ctx context.Context, d time.Duration) error {
	if p.Sleep != nil {
		return p.Sleep(ctx, d)
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// IsRetryable reports whether err is transient: a *Error marked Retryable, a connection
// reset or refused mid-flight, a timeout, or a body cut short. Context cancellation and
// every classified non-transient failure are final.
func IsRetryable(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	var se *Error
	if errors.As(err, &se) {
		if se.Status != 0 || se.Err == nil {
			return se.Retryable
		}
		return se.Retryable || IsRetryable(se.Err)
	}
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.EPIPE) {
		return true
	}
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}
