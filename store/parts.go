package store

import (
	"context"
	"fmt"
	"io"
	"sync"
)

// SendParts cuts body into parts of partSize (first is the first part, already read,
// len(first) == partSize) and calls send for each, at most concurrency at once. Each
// part has its own buffer and buffers are reused, so memory stays at concurrency ×
// partSize whatever the body's length. Part numbers start at 1. The first failure
// cancels the rest and is returned; the total byte count is returned on success.
func SendParts(ctx context.Context, body io.Reader, first []byte, partSize int64, concurrency, maxParts int,
	send func(ctx context.Context, n int, data []byte) error) (int64, error) {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	free := make(chan []byte, concurrency)
	free <- first
	for i := 1; i < concurrency; i++ {
		free <- nil // allocated on first use
	}
	var (
		wg    sync.WaitGroup
		total int64
	)
	for n := 1; ; n++ {
		var buf []byte
		select {
		case buf = <-free:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
		data := buf
		if n > 1 {
			if buf == nil {
				buf = make([]byte, partSize)
			}
			k, err := io.ReadFull(body, buf)
			if err == io.EOF {
				free <- buf
				break
			}
			if err != nil && err != io.ErrUnexpectedEOF {
				cancel(fmt.Errorf("read body: %w", err))
				break
			}
			data = buf[:k]
		}
		if n > maxParts {
			cancel(fmt.Errorf("more than %d parts; raise the part size", maxParts))
			break
		}
		total += int64(len(data))
		wg.Add(1)
		go func(n int, data, buf []byte) {
			defer wg.Done()
			defer func() { free <- buf }()
			if err := send(ctx, n, data); err != nil {
				cancel(err)
			}
		}(n, data, buf)
		if int64(len(data)) < partSize {
			break // a short part is the last
		}
	}
	wg.Wait()
	if err := context.Cause(ctx); err != nil {
		return 0, err
	}
	return total, nil
}
