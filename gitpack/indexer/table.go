package indexer

import (
	"math"
	"unsafe"
)

// The per-object tables (records, ids, child lists) are the indexer's only memory that
// grows with the pack, and they live for the whole run. On the Go heap they would count
// towards the collector's target, which lets the heap reach about twice what is live, so
// their cost would be paid twice in resident memory. They hold no pointers, so where the
// system allows it they are mapped outside the heap instead and released by tables.free.

// tables owns the mappings made for one Index call.
type tables struct {
	maps [][]byte
}

// alloc returns a zeroed slice of n records, outside the Go heap when it can. T must not
// contain pointers: the collector never looks inside these mappings.
func alloc[T any](t *tables, n int) []T {
	if s := mapped[T](t, n); s != nil {
		return s
	}
	return make([]T, n)
}

// reserve returns an empty slice with room for n records. Where mapping is not possible
// the room on the heap is capped at heapMax, as the count may come from untrusted input;
// appending past the room moves the slice to the heap.
func reserve[T any](t *tables, n, heapMax int) []T {
	if s := mapped[T](t, n); s != nil {
		return s[:0]
	}
	return make([]T, 0, min(n, heapMax))
}

func mapped[T any](t *tables, n int) []T {
	var zero T
	size := uint64(n) * uint64(unsafe.Sizeof(zero))
	if n == 0 || size > math.MaxInt {
		return nil
	}
	b := mapAnon(int(size))
	if b == nil {
		return nil
	}
	t.maps = append(t.maps, b)
	return unsafe.Slice((*T)(unsafe.Pointer(unsafe.SliceData(b))), n)
}

func (t *tables) free() {
	for _, b := range t.maps {
		unmap(b)
	}
	t.maps = nil
}
