package pack

import (
	"fmt"
	"io"
	"math/bits"
)

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
//
// The target size in a delta's header is outside input, and a few bytes can declare a
// gigabyte. So the instructions are first checked and added up without producing
// anything: only a delta that provably makes exactly its declared size gets storage, of
// that size; a lie costs an error and no allocation.
func ApplyDeltaTo(dst, base, delta []byte) ([]byte, error) {
	dstSize, i, err := checkDelta(base, delta)
	if err != nil {
		return nil, err
	}
	out := dst[:0]
	if int64(cap(out)) < dstSize {
		out = make([]byte, 0, dstSize)
	}
	for i < len(delta) {
		op := delta[i]
		i++
		if op&0x80 == 0 { // an insert (deltaOutput refused opcode 0)
			out = append(out, delta[i:i+int(op)]...)
			i += int(op)
			continue
		}
		var off, size int
		off, size, i = copyArgs(delta, i, op)
		out = append(out, base[off:off+size]...)
	}
	return out, nil
}

// checkDelta checks delta against base without producing anything: its sizes, and its
// instructions, which must stay within the base and make exactly the declared target
// size. It returns that size and where the instructions start.
func checkDelta(base, delta []byte) (int64, int, error) {
	srcSize, dstSize, i, err := DeltaSizes(delta)
	if err != nil {
		return 0, 0, err
	}
	if srcSize != int64(len(base)) {
		return 0, 0, fmt.Errorf("%w: delta expects a %d-byte base, have %d", ErrCorrupt, srcSize, len(base))
	}
	if dstSize > MaxObjectSize {
		return 0, 0, fmt.Errorf("%w: delta target of %d bytes", ErrTooLarge, dstSize)
	}
	if n, err := deltaOutput(int64(len(base)), delta[i:], dstSize); err != nil {
		return 0, 0, err
	} else if n != dstSize {
		return 0, 0, fmt.Errorf("%w: delta declares a %d-byte target but produces %d bytes", ErrCorrupt, dstSize, n)
	}
	return dstSize, i, nil
}

// deltaOutput checks the instructions ins of a delta against a base of baseSize bytes and
// returns how many bytes they produce, stopping with an error as soon as that exceeds
// limit.
func deltaOutput(baseSize int64, ins []byte, limit int64) (int64, error) {
	var n int64
	for i := 0; i < len(ins); {
		op := ins[i]
		i++
		switch {
		case op&0x80 != 0:
			var off, size int64
			for k := uint(0); k < 4; k++ {
				if op&(1<<k) != 0 {
					if i >= len(ins) {
						return 0, fmt.Errorf("%w: truncated copy", ErrCorrupt)
					}
					off |= int64(ins[i]) << (8 * k)
					i++
				}
			}
			for k := uint(0); k < 3; k++ {
				if op&(0x10<<k) != 0 {
					if i >= len(ins) {
						return 0, fmt.Errorf("%w: truncated copy", ErrCorrupt)
					}
					size |= int64(ins[i]) << (8 * k)
					i++
				}
			}
			if size == 0 {
				size = 0x10000
			}
			if off+size > baseSize {
				return 0, fmt.Errorf("%w: delta copy out of bounds", ErrCorrupt)
			}
			n += size
		case op != 0:
			if i+int(op) > len(ins) {
				return 0, fmt.Errorf("%w: delta insert out of bounds", ErrCorrupt)
			}
			n += int64(op)
			i += int(op)
		default:
			return 0, fmt.Errorf("%w: delta opcode 0", ErrCorrupt)
		}
		if n > limit {
			return 0, fmt.Errorf("%w: delta produces more than its declared %d bytes", ErrCorrupt, limit)
		}
	}
	return n, nil
}

// WriteDelta writes the target of delta on base to w piece by piece, for a caller that
// only hashes it: the target is never held, however large. The instructions are checked
// first, as by ApplyDeltaTo, so nothing is written unless the delta makes exactly the
// size it declares, which WriteDelta returns.
func WriteDelta(w io.Writer, base, delta []byte) (int64, error) {
	dstSize, i, err := checkDelta(base, delta)
	if err != nil {
		return 0, err
	}
	for i < len(delta) {
		op := delta[i]
		i++
		var piece []byte
		if op&0x80 == 0 {
			piece = delta[i : i+int(op)]
			i += int(op)
		} else {
			var off, size int
			off, size, i = copyArgs(delta, i, op)
			piece = base[off : off+size]
		}
		if _, err := w.Write(piece); err != nil {
			return 0, err
		}
	}
	return dstSize, nil
}

// copyArgs decodes the offset and size of the copy instruction op whose argument bytes
// start at delta[i], returning the index after them. The delta was checked first, so
// the bytes are there.
func copyArgs(delta []byte, i int, op byte) (off, size, next int) {
	for k := uint(0); k < 4; k++ {
		if op&(1<<k) != 0 {
			off |= int(delta[i]) << (8 * k)
			i++
		}
	}
	for k := uint(0); k < 3; k++ {
		if op&(0x10<<k) != 0 {
			size |= int(delta[i]) << (8 * k)
			i++
		}
	}
	if size == 0 {
		size = 0x10000
	}
	return off, size, i
}

// Copy is one copy instruction of a delta: Size bytes of the base from offset Src, which
// land at offset Out of the target.
type Copy struct{ Out, Src, Size int }

// AppendCopies appends the copy instructions of delta to dst, in target order. It is
// meant for a delta that ApplyDelta accepted; on one it would refuse it stops at the
// first bad instruction, so what it returns is always within the delta.
func AppendCopies(dst []Copy, delta []byte) []Copy {
	_, _, i, err := DeltaSizes(delta)
	if err != nil {
		return dst
	}
	out := 0
	for i < len(delta) {
		op := delta[i]
		i++
		switch {
		case op&0x80 != 0:
			if i+bits.OnesCount8(op&0x7f) > len(delta) {
				return dst
			}
			var off, size int
			off, size, i = copyArgs(delta, i, op)
			dst = append(dst, Copy{Out: out, Src: off, Size: size})
			out += size
		case op != 0:
			i += int(op)
			out += int(op)
		default:
			return dst
		}
	}
	return dst
}
