// Package inflate decompresses zlib streams held in memory, for the many small objects
// of a pack: a walk of a large history inflates hundreds of thousands of them, and
// compress/flate, built for streams, spends much of that time reading its input a byte
// at a time through an interface and building lookup tables. Here the input is a byte
// slice read 64 bits at a time, the output goes straight into a buffer of the size the
// caller expects, and the Adler-32 trailer is checked.
package inflate

import (
	"encoding/binary"
	"errors"
	"hash/adler32"
	mbits "math/bits"
	"sync"
)

// ErrCorrupt is returned for anything that is not a well-formed zlib stream inflating to
// exactly the expected size.
var ErrCorrupt = errors.New("inflate: corrupt zlib stream")

// Zlib inflates the zlib stream at the start of src into dst, which must be exactly the
// size the stream inflates to, and returns how many bytes of src the stream took.
func Zlib(dst, src []byte) (int, error) {
	used, n, err := inflateZlib(dst, src, false)
	if err == nil && n != len(dst) {
		err = ErrCorrupt
	}
	return used, err
}

// ZlibPrefix inflates the start of the zlib stream at the start of src into dst, and
// returns how many bytes it produced: len(dst), or fewer if the stream ended first (its
// trailer is then checked). What the stream holds past dst is not looked at, so a
// header can be read without inflating, or even having, the rest. The bytes of dst past
// those produced may have been written to.
func ZlibPrefix(dst, src []byte) (int, error) {
	_, n, err := inflateZlib(dst, src, true)
	return n, err
}

// inflateZlib inflates into dst and returns the bytes of src used (0 for a prefix that
// filled dst) and produced.
func inflateZlib(dst, src []byte, prefix bool) (used, n int, err error) {
	if len(src) < 2 {
		return 0, 0, ErrCorrupt
	}
	cmf, flg := src[0], src[1]
	if cmf&0x0f != 8 || cmf>>4 > 7 || (uint(cmf)<<8|uint(flg))%31 != 0 || flg&0x20 != 0 {
		return 0, 0, ErrCorrupt
	}
	// Decoders hold two code tables (3 KiB): recycled, not made per object.
	d := decoders.Get().(*decoder)
	defer decoders.Put(d)
	d.src, d.pos, d.bits, d.nb, d.dst, d.out, d.prefix = src, 2, 0, 0, dst, 0, prefix
	defer func() { d.src, d.dst, d.prefix = nil, nil, false }()
	if err := d.run(); err == errFull {
		return 0, len(dst), nil
	} else if err != nil {
		return 0, 0, err
	}
	// Give back the whole bytes still in the bit buffer, then read the trailer.
	pos := d.pos - int(d.nb/8)
	if pos+4 > len(src) || binary.BigEndian.Uint32(src[pos:]) != adler32.Checksum(dst[:d.out]) {
		return 0, 0, ErrCorrupt
	}
	return pos + 4, d.out, nil
}

// errFull stops ZlibPrefix's decoder once dst is full.
var errFull = errors.New("inflate: output full")

var decoders = sync.Pool{New: func() any { return new(decoder) }}

type decoder struct {
	src  []byte
	pos  int
	bits uint64
	nb   uint
	dst  []byte
	out  int
	// prefix: filling dst ends the decoding (errFull), instead of being an error.
	prefix bool

	lit, dist   *huffman // the current block's codes
	dlit, ddist huffman  // storage for a dynamic block's
}

// refill tops the bit buffer up to at least 56 bits, or as many as the input has left.
func (d *decoder) refill() {
	if d.pos+8 <= len(d.src) {
		d.bits |= binary.LittleEndian.Uint64(d.src[d.pos:]) << d.nb
		n := (63 - d.nb) >> 3
		d.pos += int(n)
		d.nb |= 56
		return
	}
	for d.nb <= 56 && d.pos < len(d.src) {
		d.bits |= uint64(d.src[d.pos]) << d.nb
		d.pos++
		d.nb += 8
	}
}

// take returns the next n (<= 32) bits.
func (d *decoder) take(n uint) (uint32, error) {
	if d.nb < n {
		d.refill()
		if d.nb < n {
			return 0, ErrCorrupt
		}
	}
	v := uint32(d.bits & (1<<n - 1))
	d.bits >>= n
	d.nb -= n
	return v, nil
}

func (d *decoder) run() error {
	for {
		hdr, err := d.take(3)
		if err != nil {
			return err
		}
		switch hdr >> 1 {
		case 0:
			err = d.stored()
		case 1:
			d.lit, d.dist = &fixedLit, &fixedDist
			err = d.codes()
		case 2:
			if err = d.dynamic(); err == nil {
				err = d.codes()
			}
		default:
			err = ErrCorrupt
		}
		if err != nil {
			return err
		}
		if hdr&1 != 0 {
			return nil
		}
	}
}

func (d *decoder) stored() error {
	// Drop to a byte boundary; the length words follow.
	d.bits >>= d.nb % 8
	d.nb -= d.nb % 8
	n, err := d.take(16)
	if err != nil {
		return err
	}
	nn, err := d.take(16)
	if err != nil || n != ^nn&0xffff {
		return ErrCorrupt
	}
	// Whatever whole bytes the bit buffer holds come first.
	for ; n > 0 && d.nb >= 8; n-- {
		if d.out >= len(d.dst) {
			return d.overflow()
		}
		d.dst[d.out] = byte(d.bits)
		d.out++
		d.bits >>= 8
		d.nb -= 8
	}
	if d.nb == 0 {
		// The buffer may hold bits of the bytes about to be copied: they are consumed
		// here, not through it.
		d.bits = 0
	}
	k := int(n)
	if d.prefix {
		k = min(k, len(d.dst)-d.out)
	}
	if k > len(d.src)-d.pos || k > len(d.dst)-d.out {
		return ErrCorrupt
	}
	d.out += copy(d.dst[d.out:], d.src[d.pos:d.pos+k])
	d.pos += k
	if k < int(n) {
		return errFull
	}
	return nil
}

// overflow is what output past dst means: the end of a prefix, or a corrupt stream.
func (d *decoder) overflow() error {
	if d.prefix {
		return errFull
	}
	return ErrCorrupt
}

// Order of the code length code lengths in a dynamic block header.
var clOrder = [19]uint8{16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15}

func (d *decoder) dynamic() error {
	h, err := d.take(14)
	if err != nil {
		return err
	}
	nlit, ndist, nclen := int(h&31)+257, int(h>>5&31)+1, int(h>>10)+4
	if nlit > 286 || ndist > 30 {
		return ErrCorrupt
	}
	var cl [19]uint8
	for i := range nclen {
		v, err := d.take(3)
		if err != nil {
			return err
		}
		cl[clOrder[i]] = uint8(v)
	}
	var clh huffman
	if !clh.build(cl[:]) {
		return ErrCorrupt
	}
	var lens [286 + 30]uint8
	for i := 0; i < nlit+ndist; {
		sym, err := d.decode(&clh)
		if err != nil {
			return err
		}
		var rep uint32
		var val uint8
		switch {
		case sym < 16:
			lens[i] = uint8(sym)
			i++
			continue
		case sym == 16:
			if i == 0 {
				return ErrCorrupt
			}
			val = lens[i-1]
			rep, err = d.take(2)
			rep += 3
		case sym == 17:
			rep, err = d.take(3)
			rep += 3
		default:
			rep, err = d.take(7)
			rep += 11
		}
		if err != nil {
			return err
		}
		if i+int(rep) > nlit+ndist {
			return ErrCorrupt
		}
		for ; rep > 0; rep-- {
			lens[i] = val
			i++
		}
	}
	if lens[256] == 0 { // no end-of-block code
		return ErrCorrupt
	}
	if !d.dlit.build(lens[:nlit]) || !d.ddist.build(lens[nlit:nlit+ndist]) {
		return ErrCorrupt
	}
	d.lit, d.dist = &d.dlit, &d.ddist
	return nil
}

var (
	lenBase  = [29]uint16{3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258}
	lenExtra = [29]uint8{0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0}
	distBase = [30]uint32{1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577}
	distExtr = [30]uint8{0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13}
)

// codes inflates the compressed data of one block. The decoder's state is kept in
// locals through the loop, and the bit buffer is topped up once per symbol: a length
// and distance pair takes at most 48 bits.
//
// While eight bytes of input remain, so that a refill always leaves at least 56 bits,
// and the output has room for three literals, a first loop needs no check that a
// symbol runs past the bits or a literal past the output. It decodes the table's codes
// inline (a call per symbol was a fifth of inflating) and, after a literal, up to two
// more from the same refill: literals are most of what small objects hold.
func (d *decoder) codes() error {
	dst, out := d.dst, d.out
	src, pos := d.src, d.pos
	bits, nb := d.bits, d.nb
	lit, dist := d.lit, d.dist
	const mask = 1<<fastBits - 1
	for pos+8 <= len(src) && out+3 <= len(dst) {
		bits |= binary.LittleEndian.Uint64(src[pos:]) << nb
		pos += int((63 - nb) >> 3)
		nb |= 56
		var sym int
		var l uint
		if e := lit.fast[bits&mask]; e != 0 {
			sym, l = int(e>>4), uint(e&15)
		} else {
			var err error
			if sym, l, err = lit.long(bits, nb); err != nil {
				return err
			}
		}
		bits >>= l
		nb -= l
		if sym < 256 {
			dst[out] = byte(sym)
			out++
			// At most 15+9+9 bits of the 56 go to these three.
			if e := lit.fast[bits&mask]; e != 0 && e < 256<<4 {
				bits >>= e & 15
				nb -= uint(e & 15)
				dst[out] = byte(e >> 4)
				out++
				if e := lit.fast[bits&mask]; e != 0 && e < 256<<4 {
					bits >>= e & 15
					nb -= uint(e & 15)
					dst[out] = byte(e >> 4)
					out++
				}
			}
			continue
		}
		if sym == 256 {
			d.out, d.pos, d.bits, d.nb = out, pos, bits, nb
			return nil
		}
		sym -= 257
		if sym >= 29 {
			return ErrCorrupt
		}
		// Length code, its extra bits, distance code and its extra bits: at most
		// 15+5+15+13 = 48 bits of the 56.
		x := uint(lenExtra[sym])
		n := int(lenBase[sym]) + int(bits&(1<<x-1))
		bits >>= x
		nb -= x
		var ds int
		if e := dist.fast[bits&mask]; e != 0 {
			ds, l = int(e>>4), uint(e&15)
		} else {
			var err error
			if ds, l, err = dist.long(bits, nb); err != nil {
				return err
			}
		}
		bits >>= l
		nb -= l
		if ds >= 30 {
			return ErrCorrupt
		}
		x = uint(distExtr[ds])
		back := int(distBase[ds]) + int(bits&(1<<x-1))
		bits >>= x
		nb -= x
		var full bool
		var err error
		if out, full, err = d.match(dst, out, back, n); err != nil {
			return err
		} else if full {
			return errFull
		}
	}
	for {
		if nb < 48 {
			if pos+8 <= len(src) {
				bits |= binary.LittleEndian.Uint64(src[pos:]) << nb
				pos += int((63 - nb) >> 3)
				nb |= 56
			} else {
				d.pos, d.bits, d.nb = pos, bits, nb
				d.refill()
				pos, bits, nb = d.pos, d.bits, d.nb
			}
		}
		sym, l, err := lit.sym(bits, nb)
		if err != nil {
			return err
		}
		bits >>= l
		nb -= l
		if sym < 256 {
			if out >= len(dst) {
				return d.overflow()
			}
			dst[out] = byte(sym)
			out++
			continue
		}
		if sym == 256 {
			d.out, d.pos, d.bits, d.nb = out, pos, bits, nb
			return nil
		}
		sym -= 257
		if sym >= 29 {
			return ErrCorrupt
		}
		x := uint(lenExtra[sym])
		if x > nb {
			return ErrCorrupt
		}
		n := int(lenBase[sym]) + int(bits&(1<<x-1))
		bits >>= x
		nb -= x
		ds, l, err := dist.sym(bits, nb)
		if err != nil {
			return err
		}
		bits >>= l
		nb -= l
		if ds >= 30 {
			return ErrCorrupt
		}
		x = uint(distExtr[ds])
		if x > nb {
			return ErrCorrupt
		}
		back := int(distBase[ds]) + int(bits&(1<<x-1))
		bits >>= x
		nb -= x
		var full bool
		if out, full, err = d.match(dst, out, back, n); err != nil {
			return err
		} else if full {
			return errFull
		}
	}
}

// match copies the n bytes that start back bytes before out in dst to out, and returns
// where the output now ends; full when a prefix's dst ended first.
func (d *decoder) match(dst []byte, out, back, n int) (int, bool, error) {
	if back > out {
		return 0, false, ErrCorrupt
	}
	full := false
	if n > len(dst)-out {
		if !d.prefix {
			return 0, false, ErrCorrupt
		}
		n, full = len(dst)-out, true
	}
	from := out - back
	switch {
	case back >= 8 && out+n+8 <= len(dst):
		// Eight bytes at a time, every source byte already written (back >= 8); up to
		// seven bytes past the match are written too, and later output replaces them.
		for k := 0; k < n; k += 8 {
			binary.LittleEndian.PutUint64(dst[out+k:], binary.LittleEndian.Uint64(dst[from+k:]))
		}
	case back >= n:
		copy(dst[out:out+n], dst[from:from+n])
	default:
		// Overlapping: the copy repeats the last back bytes.
		for k := range n {
			dst[out+k] = dst[from+k]
		}
	}
	return out + n, full, nil
}

// huffman decodes one code: a direct table for codes up to fastBits long, and the
// canonical code (counts and sorted symbols) for the rare longer ones.
const fastBits = 9

type huffman struct {
	fast    [1 << fastBits]uint16 // symbol<<4 | length; 0: longer than fastBits, or unused
	counts  [16]uint16
	symbols [288]uint16
	maxLen  uint
	// Where the canonical walk of a code longer than fastBits stands once its first
	// fastBits bits are read: long starts there.
	longFirst, longIndex int
}

// build makes the decoder for the code lengths given by symbol; false if the lengths do
// not form a prefix code (over-subscribed). An incomplete or empty code is allowed, as
// deflate allows it (a block of literals only has no distance codes); decoding one of
// its unused codes is an error.
func (h *huffman) build(lens []uint8) bool {
	h.counts = [16]uint16{}
	h.maxLen = 0
	for _, l := range lens {
		h.counts[l]++
		h.maxLen = max(h.maxLen, uint(l))
	}
	h.counts[0] = 0
	left := 1
	for l := 1; l < 16; l++ {
		left <<= 1
		left -= int(h.counts[l])
		if left < 0 {
			return false
		}
	}
	var offs [16]uint16
	for l := 1; l < 15; l++ {
		offs[l+1] = offs[l] + h.counts[l]
	}
	for s, l := range lens {
		if l != 0 {
			h.symbols[offs[l]] = uint16(s)
			offs[l]++
		}
	}
	h.longFirst, h.longIndex = 0, 0
	for l := 1; l <= fastBits; l++ {
		h.longIndex += int(h.counts[l])
		h.longFirst = (h.longFirst + int(h.counts[l])) << 1
	}
	// A table indexed by the first tb bits repeats every 1<<tb entries when no code is
	// longer: it is filled that far and copied over the rest. The code length code (7
	// bits at most) and the short codes of small objects fill a quarter of it or less.
	tb := min(max(h.maxLen, 1), fastBits)
	part := h.fast[:1<<tb]
	clear(part)
	code, idx := 0, 0
	for l := 1; l <= int(tb); l++ {
		for range h.counts[l] {
			s := h.symbols[idx]
			idx++
			rev := int(mbits.Reverse16(uint16(code)) >> (16 - l))
			for i := rev; i < len(part); i += 1 << l {
				part[i] = s<<4 | uint16(l)
			}
			code++
		}
		code <<= 1
	}
	for n := len(part); n < len(h.fast); n *= 2 {
		copy(h.fast[n:2*n], h.fast[:n])
	}
	return true
}

func (d *decoder) decode(h *huffman) (int, error) {
	if d.nb < 15 {
		d.refill()
	}
	sym, l, err := h.sym(d.bits, d.nb)
	if err != nil {
		return 0, err
	}
	d.bits >>= l
	d.nb -= l
	return sym, nil
}

// sym decodes the symbol at the start of the nb bits given and says how many bits it
// took; it reads nothing more.
func (h *huffman) sym(bits uint64, nb uint) (int, uint, error) {
	if e := h.fast[bits&(1<<fastBits-1)]; e != 0 {
		if l := uint(e & 15); l <= nb {
			return int(e >> 4), l, nil
		}
		return 0, 0, ErrCorrupt
	}
	return h.long(bits, nb)
}

// long decodes a code longer than the table covers by walking the canonical code a bit
// at a time from fastBits+1 bits on: the table holds every shorter code, so the walk
// through the first fastBits bits would find nothing, and where it would stand after
// them is known (longFirst, longIndex).
func (h *huffman) long(b uint64, nb uint) (int, uint, error) {
	if nb <= fastBits {
		return 0, 0, ErrCorrupt
	}
	code := int(mbits.Reverse16(uint16(b&(1<<fastBits-1)))>>(16-fastBits)) << 1
	b >>= fastBits
	first, index := h.longFirst, h.longIndex
	for l := uint(fastBits + 1); l <= h.maxLen && l <= nb; l++ {
		code |= int(b & 1)
		b >>= 1
		count := int(h.counts[l])
		if code-first < count {
			return int(h.symbols[index+code-first]), l, nil
		}
		index += count
		first = (first + count) << 1
		code <<= 1
	}
	return 0, 0, ErrCorrupt
}

// The codes of fixed-Huffman blocks.
var fixedLit, fixedDist = func() (lh, dh huffman) {
	var lit [288]uint8
	var dist [30]uint8
	for i := range lit {
		switch {
		case i < 144:
			lit[i] = 8
		case i < 256:
			lit[i] = 9
		case i < 280:
			lit[i] = 7
		default:
			lit[i] = 8
		}
	}
	for i := range dist {
		dist[i] = 5
	}
	lh.build(lit[:])
	dh.build(dist[:])
	return
}()
