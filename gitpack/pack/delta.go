package pack

import "fmt"

// DeltaSizes decodes the source and target sizes at the start of a delta and returns
// how many bytes they took.
func DeltaSizes(delta []byte) (src, dst int64, n int, err error) {
	src, i, err := varint(delta, 0)
	if err != nil {
		return 0, 0, 0, err
	}
	dst, j, err := varint(delta, i)
	if err != nil {
		return 0, 0, 0, err
	}
	return src, dst, j, nil
}

func varint(b []byte, i int) (int64, int, error) {
	var v int64
	for shift := uint(0); ; shift += 7 {
		if i >= len(b) || shift > 56 {
			return 0, 0, fmt.Errorf("%w: delta size", ErrCorrupt)
		}
		c := b[i]
		i++
		v |= int64(c&0x7f) << shift
		if c&0x80 == 0 {
			return v, i, nil
		}
	}
}

// ApplyDelta rebuilds the target of delta from base. Every copy is checked against the
// base and the result against the declared target size.
func ApplyDelta(base, delta []byte) ([]byte, error) { return ApplyDeltaTo(nil, base, delta) }

// ApplyDeltaTo is ApplyDelta writing into dst's storage when it is large enough.
func ApplyDeltaTo(dst, base, delta []byte) ([]byte, error) {
	srcSize, dstSize, i, err := DeltaSizes(delta)
	if err != nil {
		return nil, err
	}
	if srcSize != int64(len(base)) {
		return nil, fmt.Errorf("%w: delta expects a %d-byte base, have %d", ErrCorrupt, srcSize, len(base))
	}
	if dstSize > MaxObjectSize {
		return nil, fmt.Errorf("%w: delta target of %d bytes", ErrCorrupt, dstSize)
	}
	// Never trust dstSize for allocation beyond what the delta could produce: each
	// instruction byte yields at most 0x10000 (copy) or 127 (insert) bytes.
	out := dst[:0]
	if need := min(dstSize, int64(len(delta))*0x10000); int64(cap(out)) < need {
		out = make([]byte, 0, need)
	}
	for i < len(delta) {
		op := delta[i]
		i++
		switch {
		case op&0x80 != 0:
			var off, size int64
			for k := uint(0); k < 4; k++ {
				if op&(1<<k) != 0 {
					if i >= len(delta) {
						return nil, fmt.Errorf("%w: truncated copy", ErrCorrupt)
					}
					off |= int64(delta[i]) << (8 * k)
					i++
				}
			}
			for k := uint(0); k < 3; k++ {
				if op&(0x10<<k) != 0 {
					if i >= len(delta) {
						return nil, fmt.Errorf("%w: truncated copy", ErrCorrupt)
					}
					size |= int64(delta[i]) << (8 * k)
					i++
				}
			}
			if size == 0 {
				size = 0x10000
			}
			if off+size > int64(len(base)) || int64(len(out))+size > dstSize {
				return nil, fmt.Errorf("%w: delta copy out of bounds", ErrCorrupt)
			}
			out = append(out, base[off:off+size]...)
		case op != 0:
			n := int(op)
			if i+n > len(delta) || int64(len(out)+n) > dstSize {
				return nil, fmt.Errorf("%w: delta insert out of bounds", ErrCorrupt)
			}
			out = append(out, delta[i:i+n]...)
			i += n
		default:
			return nil, fmt.Errorf("%w: delta opcode 0", ErrCorrupt)
		}
	}
	if int64(len(out)) != dstSize {
		return nil, fmt.Errorf("%w: delta produced %d bytes, declared %d", ErrCorrupt, len(out), dstSize)
	}
	return out, nil
}
