package pack

import (
	"errors"
	"fmt"
	"io"

	"git-remote-object-store/gitpack/object"
)

// ErrCorrupt: the pack, index or delta data is malformed.
var ErrCorrupt = errors.New("pack: corrupt data")

// Errors a caller may branch on; each is also ErrCorrupt.
var (
	// ErrDeltaCycle: following a delta's bases leads back to the delta itself (REF_DELTA
	// entries naming each other, in one pack or across packs). Such an object has no
	// content; git reports the same pack as corrupt.
	ErrDeltaCycle = fmt.Errorf("%w: delta chain loops back on itself", ErrCorrupt)
	// ErrDeltaDepth: a delta chain is longer than MaxDeltaDepth.
	ErrDeltaDepth = fmt.Errorf("%w: delta chain deeper than %d", ErrCorrupt, MaxDeltaDepth)
	// ErrTooLarge: data declares a size that the bytes actually present cannot hold (an
	// object, a delta target, an index), refused before anything is allocated for it.
	ErrTooLarge = fmt.Errorf("%w: too large", ErrCorrupt)
)

// MaxObjectSize bounds an entry's declared size: git's own limit is far above what a
// repository helper should inflate, and an absurd size must fail before any allocation.
const MaxObjectSize = 1 << 40

// ReadEntryHeader decodes a pack entry header, returning the type, the inflated size and
// the number of bytes read.
func ReadEntryHeader(r io.ByteReader) (t object.Type, size int64, n int, err error) {
	c, err := r.ReadByte()
	if err != nil {
		return 0, 0, 0, fmt.Errorf("%w: entry header: %v", ErrCorrupt, noEOF(err))
	}
	n = 1
	t = object.Type(c >> 4 & 7)
	size = int64(c & 15)
	shift := uint(4)
	for c&0x80 != 0 {
		if c, err = r.ReadByte(); err != nil {
			return 0, 0, n, fmt.Errorf("%w: entry header: %v", ErrCorrupt, noEOF(err))
		}
		n++
		if shift > 57 {
			return 0, 0, n, fmt.Errorf("%w: entry size overflows", ErrCorrupt)
		}
		size |= int64(c&0x7f) << shift
		shift += 7
	}
	if t == 0 || t == 5 {
		return 0, 0, n, fmt.Errorf("%w: entry type %d", ErrCorrupt, t)
	}
	if size > MaxObjectSize {
		return 0, 0, n, fmt.Errorf("%w: entry declares %d bytes", ErrCorrupt, size)
	}
	return t, size, n, nil
}

// AppendEntryHeader appends the header of an entry of type t and inflated size size.
func AppendEntryHeader(dst []byte, t object.Type, size int64) []byte {
	c := byte(t)<<4 | byte(size&15)
	size >>= 4
	for size > 0 {
		dst = append(dst, c|0x80)
		c = byte(size & 0x7f)
		size >>= 7
	}
	return append(dst, c)
}

// ReadOfsDistance decodes an OFS_DELTA base distance.
func ReadOfsDistance(r io.ByteReader) (d int64, n int, err error) {
	c, err := r.ReadByte()
	if err != nil {
		return 0, 0, fmt.Errorf("%w: delta base offset: %v", ErrCorrupt, noEOF(err))
	}
	n = 1
	d = int64(c & 0x7f)
	for c&0x80 != 0 {
		if c, err = r.ReadByte(); err != nil {
			return 0, n, fmt.Errorf("%w: delta base offset: %v", ErrCorrupt, noEOF(err))
		}
		n++
		if d > (1<<55)-1 {
			return 0, n, fmt.Errorf("%w: delta base offset overflows", ErrCorrupt)
		}
		d = (d+1)<<7 | int64(c&0x7f)
	}
	return d, n, nil
}

// AppendOfsDistance appends the encoding of an OFS_DELTA base distance d > 0.
func AppendOfsDistance(dst []byte, d int64) []byte {
	var buf [10]byte
	i := len(buf) - 1
	buf[i] = byte(d & 0x7f)
	for d >>= 7; d > 0; d >>= 7 {
		d--
		i--
		buf[i] = 0x80 | byte(d&0x7f)
	}
	return append(dst, buf[i:]...)
}

func noEOF(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}
