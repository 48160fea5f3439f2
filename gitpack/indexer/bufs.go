package indexer

import "math/bits"

// Resolving deltas inflates every object of the pack once. With the tables kept off the
// heap (table.go) the heap is small, so a fresh buffer for each object would mean a
// collection every few megabytes; each resolving goroutine recycles its buffers instead,
// by power-of-two class. It keeps up to bufCacheLimit bytes of them, and one of each
// class beyond that: a chain of large objects needs one spare of its class to step along
// without allocating. (A sync.Pool keeps whatever it is given until the next collections,
// which showed up as resident memory.)
const (
	maxPooledClass = 20 // 1 MiB
	bufCacheLimit  = 512 << 10
)

type bufCache struct {
	free  [maxPooledClass + 1][][]byte
	bytes int
}

// get returns a buffer of length n (contents undefined).
func (c *bufCache) get(n int) []byte {
	k := bits.Len(uint(n - 1))
	if n == 0 || k > maxPooledClass {
		return make([]byte, n)
	}
	if l := c.free[k]; len(l) > 0 {
		b := l[len(l)-1]
		c.free[k] = l[:len(l)-1]
		c.bytes -= cap(b)
		return b[:n]
	}
	return make([]byte, n, 1<<k)
}

// put hands b back for reuse; the caller must not touch it afterwards.
func (c *bufCache) put(b []byte) {
	k := bits.Len(uint(cap(b))) - 1
	if cap(b) < 64 || k > maxPooledClass || (c.bytes+cap(b) > bufCacheLimit && len(c.free[k]) > 0) {
		return
	}
	c.free[k] = append(c.free[k], b)
	c.bytes += cap(b)
}
