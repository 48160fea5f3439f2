package indexer

import (
	"bufio"
	"hash"
	"hash/crc32"
	"io"
)

// tapReader hands bytes to the parser one at a time (so zlib never reads past an entry)
// while copying every consumed byte to the temporary pack file, the pack hash and the
// current entry's CRC-32.
type tapReader struct {
	src     *bufio.Reader
	out     io.Writer // temp file, buffered
	sum     hash.Hash // pack trailer hash
	crc     hash.Hash32
	pending []byte
	off     int64 // bytes consumed
	hashing bool  // false while reading the trailer
}

// receiveBuffer is the size of tapReader's read buffer: inflateBuffered inflates objects
// of up to half of it straight from there.
const receiveBuffer = 1 << 20

func newTapReader(src io.Reader, out io.Writer, sum hash.Hash) *tapReader {
	return &tapReader{src: bufio.NewReaderSize(src, receiveBuffer), out: out, sum: sum,
		crc: crc32.NewIEEE(), pending: make([]byte, 0, 64<<10), hashing: true}
}

func (t *tapReader) ReadByte() (byte, error) {
	c, err := t.src.ReadByte()
	if err != nil {
		return 0, err
	}
	t.pending = append(t.pending, c)
	t.off++
	if len(t.pending) == cap(t.pending) {
		if err := t.flush(); err != nil {
			return 0, err
		}
	}
	return c, nil
}

func (t *tapReader) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	if err := t.flush(); err != nil {
		return 0, err
	}
	n, err := t.src.Read(p)
	if n > 0 {
		t.off += int64(n)
		if werr := t.consume(p[:n]); werr != nil {
			return n, werr
		}
	}
	return n, err
}

func (t *tapReader) consume(b []byte) error {
	if _, err := t.out.Write(b); err != nil {
		return err
	}
	if t.hashing {
		t.sum.Write(b)
	}
	t.crc.Write(b)
	return nil
}

func (t *tapReader) flush() error {
	if len(t.pending) == 0 {
		return nil
	}
	err := t.consume(t.pending)
	t.pending = t.pending[:0]
	return err
}

// startEntry begins a new CRC-32.
func (t *tapReader) startEntry() error {
	if err := t.flush(); err != nil {
		return err
	}
	t.crc.Reset()
	return nil
}

// entryCRC finishes the current entry's CRC-32.
func (t *tapReader) entryCRC() (uint32, error) {
	if err := t.flush(); err != nil {
		return 0, err
	}
	return t.crc.Sum32(), nil
}
