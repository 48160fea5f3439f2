package pack

import (
	"errors"
	"io"
	"sync"
)

// A walk reads hundreds of thousands of small entries, a pread each; entries read one
// after another are mostly near each other in the pack (commits are stored together, and
// trees near the versions they are deltas of). chunks keeps the last few aligned pieces
// of the pack read, so most small entries are copied from memory instead.
const (
	chunkSize  = 64 << 10
	chunkCount = 64 // 4 MiB per open pack
	// chunkedMax is the largest entry read through the chunks.
	chunkedMax = 16 << 10
)

type chunks struct {
	mu    sync.Mutex
	index map[int64]int // chunk start → slot
	slots [chunkCount]chunkSlot
	hand  int // clock hand for eviction
}

type chunkSlot struct {
	start int64
	data  []byte
	used  bool // referenced since the hand last passed
}

// readAt fills buf from offset off through the chunks, and reports false when the range
// is not one a chunk holds (too large, or across a chunk boundary): the caller reads it
// directly.
func (c *chunks) readAt(r io.ReaderAt, size int64, buf []byte, off int64) (bool, error) {
	start := off &^ (chunkSize - 1)
	if len(buf) > chunkedMax || off+int64(len(buf)) > start+chunkSize {
		return false, nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.index == nil {
		c.index = map[int64]int{}
	}
	k, ok := c.index[start]
	if !ok {
		// Evict the first slot not used since the hand last passed it.
		for c.slots[c.hand].used {
			c.slots[c.hand].used = false
			c.hand = (c.hand + 1) % chunkCount
		}
		k = c.hand
		c.hand = (c.hand + 1) % chunkCount
		s := &c.slots[k]
		if s.data != nil {
			delete(c.index, s.start)
		}
		n := min(int64(chunkSize), size-start)
		if cap(s.data) < int(n) {
			s.data = make([]byte, chunkSize)
		}
		s.data = s.data[:n]
		if _, err := r.ReadAt(s.data, start); err != nil && !errors.Is(err, io.EOF) {
			s.data = nil
			return false, err
		}
		s.start = start
		c.index[start] = k
	}
	s := &c.slots[k]
	s.used = true
	if int(off-start)+len(buf) > len(s.data) {
		return false, nil
	}
	copy(buf, s.data[off-start:])
	return true, nil
}
