package gitpack

import (
	"bytes"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"strconv"

	"git-remote-object-store/gitpack/object"
)

// Open returns an object as a stream with its type and size, so a blob of any size is
// archived or packed with memory bounded by buffers. Loose objects and whole entries in
// packs are inflated as they are read, and their content is checked against the id at
// the end (a mismatch is an error from Read, never a silent short object); a delta has
// to be rebuilt in memory first, as git does.
func (r *Repo) Open(h object.Hash) (object.Type, int64, io.ReadCloser, error) {
	if h.Format() != r.format || h.IsZero() {
		return 0, 0, nil, fmt.Errorf("%w: %s", ErrNotFound, h)
	}
	for _, rescan := range []bool{false, true} {
		for _, p := range r.allPacks(rescan) {
			if !p.Has(h) {
				continue
			}
			t, size, rc, err := p.OpenStream(h)
			if err != nil {
				return 0, 0, nil, err
			}
			if rc == nil { // a delta: rebuilt whole
				t, data, err := p.Read(h, r.readBase)
				if err != nil {
					return 0, 0, nil, err
				}
				return t, int64(len(data)), io.NopCloser(bytes.NewReader(data)), nil
			}
			return t, size, r.checked(h, t, size, rc), nil
		}
		if rescan {
			break
		}
		for _, d := range r.objDirs {
			t, size, rc, err := openLooseStream(r.loosePath(d, h))
			if err == nil {
				return t, size, r.checked(h, t, size, rc), nil
			}
			if !errors.Is(err, os.ErrNotExist) {
				return 0, 0, nil, err
			}
		}
	}
	return 0, 0, nil, fmt.Errorf("%w: %s", ErrNotFound, h)
}

func openLooseStream(path string) (object.Type, int64, io.ReadCloser, error) {
	lr, err := openLoose(path)
	if err != nil {
		return 0, 0, nil, err
	}
	t, size, err := looseHeader(lr.br)
	if err != nil {
		lr.Close()
		return 0, 0, nil, fmt.Errorf("loose object %s: %w", path, err)
	}
	// Closing twice must not recycle the reader twice.
	closed := false
	closeOnce := func() error {
		if closed {
			return nil
		}
		closed = true
		return lr.Close()
	}
	return t, size, readCloser{io.LimitReader(lr.br, size+1), closeOnce}, nil
}

type readCloser struct {
	io.Reader
	close func() error
}

func (rc readCloser) Close() error { return rc.close() }

// checked hashes a stream as it is read and fails its last Read if the content is not
// exactly size bytes hashing to h.
func (r *Repo) checked(h object.Hash, t object.Type, size int64, rc io.ReadCloser) io.ReadCloser {
	sum := r.format.New()
	sum.Write([]byte(t.String() + " " + strconv.FormatInt(size, 10) + "\x00"))
	return &checkedReader{rc: rc, sum: sum, want: h, left: size}
}

type checkedReader struct {
	rc   io.ReadCloser
	sum  hash.Hash
	want object.Hash
	left int64
	err  error
}

func (c *checkedReader) Read(p []byte) (int, error) {
	if c.err != nil {
		return 0, c.err
	}
	n, err := c.rc.Read(p)
	c.sum.Write(p[:n])
	c.left -= int64(n)
	if c.left < 0 {
		c.err = fmt.Errorf("object %s is longer than its header says", c.want)
		return n, c.err
	}
	if errors.Is(err, io.EOF) {
		got, _ := object.FromBytes(c.sum.Sum(nil))
		switch {
		case c.left > 0:
			c.err = fmt.Errorf("object %s: %w", c.want, io.ErrUnexpectedEOF)
		case got != c.want:
			c.err = fmt.Errorf("object %s: content does not match its id", c.want)
		default:
			c.err = io.EOF
		}
		return n, c.err
	}
	return n, err
}

func (c *checkedReader) Close() error { return c.rc.Close() }
