package store

import (
	"container/list"
	"context"
	"fmt"
	"io"
	"sync"
)

// ReaderAt is random access to one stored object by ranged Gets, a block at a time, with
// the most recently used blocks kept in memory. It is what lets a single file be read out
// of a pack on the bucket without downloading the pack. It is pinned to the object's
// ETag at open time: if the object is replaced meanwhile the reads fail rather than mix
// two versions.
type ReaderAt struct {
	ctx   context.Context
	st    Store
	info  Info
	block int64
	max   int

	mu     sync.Mutex
	blocks map[int64]*list.Element
	lru    list.List // of *cachedBlock, most recent first
	Gets   int       // ranged Gets issued, for tests and benchmarks
}

type cachedBlock struct {
	n    int64
	data []byte
}

// NewReaderAt opens key for ranged reads of blockSize bytes, keeping up to maxBlocks.
func NewReaderAt(ctx context.Context, st Store, key string, blockSize int64, maxBlocks int) (*ReaderAt, error) {
	info, err := st.Head(ctx, key)
	if err != nil {
		return nil, err
	}
	if blockSize <= 0 {
		blockSize = 256 << 10
	}
	return &ReaderAt{ctx: ctx, st: st, info: info, block: blockSize, max: max(maxBlocks, 2), blocks: map[int64]*list.Element{}}, nil
}

// Size is the object's length.
func (r *ReaderAt) Size() int64 { return r.info.Size }

// ReadAt implements io.ReaderAt.
func (r *ReaderAt) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, fmt.Errorf("read %s: negative offset", r.info.Key)
	}
	n := 0
	for n < len(p) {
		pos := off + int64(n)
		if pos >= r.info.Size {
			return n, io.EOF
		}
		b, err := r.get(pos / r.block)
		if err != nil {
			return n, err
		}
		n += copy(p[n:], b[pos%r.block:])
	}
	return n, nil
}

func (r *ReaderAt) get(n int64) ([]byte, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if el, ok := r.blocks[n]; ok {
		r.lru.MoveToFront(el)
		return el.Value.(*cachedBlock).data, nil
	}
	start := n * r.block
	length := min(r.block, r.info.Size-start)
	rc, info, err := r.st.Get(r.ctx, r.info.Key, &Range{Offset: start, Length: length})
	if err != nil {
		return nil, fmt.Errorf("read %s at %d: %w", r.info.Key, start, err)
	}
	defer rc.Close()
	r.Gets++
	if info.ETag != "" && r.info.ETag != "" && info.ETag != r.info.ETag {
		return nil, fmt.Errorf("read %s: %w: the object changed while being read", r.info.Key, ErrPrecondition)
	}
	data := make([]byte, length)
	if _, err := io.ReadFull(rc, data); err != nil {
		return nil, fmt.Errorf("read %s at %d: %w", r.info.Key, start, err)
	}
	r.blocks[n] = r.lru.PushFront(&cachedBlock{n: n, data: data})
	for r.lru.Len() > r.max {
		old := r.lru.Back()
		r.lru.Remove(old)
		delete(r.blocks, old.Value.(*cachedBlock).n)
	}
	return data, nil
}
