package packer

// Delta encoding in the manner of git's diff-delta.c: the base is indexed in 16-byte
// blocks by a hash of their bytes; the target is scanned with a rolling hash over a
// 16-byte window, every candidate match is verified and extended forwards (and backwards
// into bytes not yet emitted), and the result is a list of copy and insert instructions.

const (
	blockSize = 16
	maxCopy   = 0x10000 // git's per-instruction copy limit
	maxInsert = 127
)

// rolling is a polynomial hash over the last blockSize bytes.
const (
	rollMul = 0x01000193
)

var rollPow = func() uint32 {
	p := uint32(1)
	for i := 0; i < blockSize-1; i++ {
		p *= rollMul
	}
	return p
}()

func blockHash(b []byte) uint32 {
	var h uint32
	for _, c := range b[:blockSize] {
		h = h*rollMul + uint32(c)
	}
	return h
}

// deltaIndex maps a block hash to the last base offset with that hash: an
// open-addressing table, as a Go map was most of the search's time.
type deltaIndex struct {
	base  []byte
	slots []deltaSlot
	mask  uint32
}

type deltaSlot struct {
	h   uint32
	pos int32 // -1: empty
}

func newDeltaIndex(base []byte) *deltaIndex {
	n := 16
	for n < 2*(len(base)/blockSize+1) {
		n *= 2
	}
	idx := &deltaIndex{base: base, slots: make([]deltaSlot, n), mask: uint32(n - 1)}
	for i := range idx.slots {
		idx.slots[i].pos = -1
	}
	for i := 0; i+blockSize <= len(base); i += blockSize {
		h := blockHash(base[i:])
		j := h & idx.mask
		for idx.slots[j].pos >= 0 && idx.slots[j].h != h {
			j = (j + 1) & idx.mask
		}
		idx.slots[j] = deltaSlot{h, int32(i)}
	}
	return idx
}

// find returns the last base offset whose block hashes to h.
func (idx *deltaIndex) find(h uint32) (int32, bool) {
	for j := h & idx.mask; ; j = (j + 1) & idx.mask {
		s := idx.slots[j]
		if s.pos < 0 {
			return 0, false
		}
		if s.h == h {
			return s.pos, true
		}
	}
}

// Delta returns the delta that turns base into target, or nil when it would not be
// smaller than maxSize bytes (0: no limit).
func Delta(base, target []byte, maxSize int) []byte {
	if len(base) < blockSize || len(target) == 0 {
		return nil
	}
	return newDeltaIndex(base).delta(nil, target, maxSize)
}

func appendVarint(d []byte, v int) []byte {
	for v >= 0x80 {
		d = append(d, byte(v)|0x80)
		v >>= 7
	}
	return append(d, byte(v))
}

// delta is Delta against the indexed base, written into dst's storage (which the result
// then shares).
func (idx *deltaIndex) delta(dst, target []byte, maxSize int) []byte {
	base := idx.base
	out := appendVarint(appendVarint(dst[:0], len(base)), len(target))
	pending := 0 // start of bytes not yet emitted
	flushInsert := func(end int) {
		for pending < end {
			n := min(end-pending, maxInsert)
			out = append(out, byte(n))
			out = append(out, target[pending:pending+n]...)
			pending += n
		}
	}
	var h uint32
	i := 0
	if len(target) >= blockSize {
		h = blockHash(target)
	}
	for i+blockSize <= len(target) {
		if maxSize > 0 && len(out) > maxSize {
			return nil
		}
		if bo, ok := idx.find(h); ok && string(base[bo:int(bo)+blockSize]) == string(target[i:i+blockSize]) {
			// Extend backwards over bytes still pending, then forwards.
			s, t := int(bo), i
			for s > 0 && t > pending && base[s-1] == target[t-1] {
				s--
				t--
			}
			e := i + blockSize
			for e < len(target) && int(bo)+(e-i) < len(base) && base[int(bo)+(e-i)] == target[e] {
				e++
			}
			flushInsert(t)
			for t < e {
				n := min(e-t, maxCopy)
				out = appendCopy(out, s, n)
				s += n
				t += n
			}
			pending = e
			i = e
			if i+blockSize <= len(target) {
				h = blockHash(target[i:])
			}
			continue
		}
		// Roll the window one byte.
		if i+blockSize < len(target) {
			h = (h-uint32(target[i])*rollPow)*rollMul + uint32(target[i+blockSize])
		}
		i++
	}
	flushInsert(len(target))
	if maxSize > 0 && len(out) > maxSize {
		return nil
	}
	return out
}

// appendCopy encodes "copy n bytes from base offset off".
func appendCopy(out []byte, off, n int) []byte {
	op := byte(0x80)
	var args []byte
	for k := 0; k < 4; k++ {
		if b := byte(off >> (8 * k)); b != 0 {
			op |= 1 << k
			args = append(args, b)
		}
	}
	size := n
	if size == maxCopy {
		size = 0 // 0x10000 is encoded as no size bytes
	}
	for k := 0; k < 3; k++ {
		if b := byte(size >> (8 * k)); b != 0 {
			op |= 0x10 << k
			args = append(args, b)
		}
	}
	return append(append(out, op), args...)
}
