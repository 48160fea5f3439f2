package testenv

import (
	"context"
	"io"
	"strings"
	"sync"
	"time"

	"git-remote-object-store/store"
)

// GoodFirst wraps a store so that a read of a key under late waits (up to 10 s) until a
// read of a key under early has been read to its end and closed: a fetch of two packs
// then meets the failure of the late one only after the early one was fully received,
// whatever order it starts them in. (Embedding keeps Put, List and the rest.)
func GoodFirst(s store.Store, early, late string) store.Store {
	return &goodFirst{Store: s, early: early, late: late, done: make(chan struct{})}
}

type goodFirst struct {
	store.Store
	early, late string
	once        sync.Once
	done        chan struct{}
}

func (g *goodFirst) Get(ctx context.Context, key string, r *store.Range) (io.ReadCloser, store.Info, error) {
	if strings.HasPrefix(key, g.late) {
		select {
		case <-g.done:
		case <-time.After(10 * time.Second):
		case <-ctx.Done():
		}
	}
	rc, info, err := g.Store.Get(ctx, key, r)
	if err != nil || !strings.HasPrefix(key, g.early) {
		return rc, info, err
	}
	return &closeSignal{ReadCloser: rc, close: func() { g.once.Do(func() { close(g.done) }) }}, info, nil
}

type closeSignal struct {
	io.ReadCloser
	close func()
}

func (c *closeSignal) Close() error {
	err := c.ReadCloser.Close()
	c.close()
	return err
}
