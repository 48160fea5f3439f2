package packer

import (
	"bufio"
	"compress/zlib"
	"encoding/binary"
	"fmt"
	"io"

	"git-remote-object-store/gitpack/object"
	"git-remote-object-store/gitpack/pack"
)

// Source reads the objects to pack.
type Source interface {
	Read(h object.Hash) (object.Type, []byte, error)
}

// Object is one object to pack, as a walk reports it.
type Object struct {
	Hash object.Hash
	Type object.Type
	Path string // the path name it was reached by (for delta candidate ordering)
}

// Options tune Write.
type Options struct {
	Format object.Format
	// Progress is told each object as it is written.
	Progress func(done, total int64)
}

// Result describes a written pack.
type Result struct {
	Hash    object.Hash // trailer
	Objects int64
	Size    int64
}

// Write writes a self-contained pack of objs to w.
func Write(w io.Writer, src Source, objs []Object, opt Options) (Result, error) {
	if opt.Format == 0 {
		opt.Format = object.SHA1
	}
	sum := opt.Format.New()
	cw := &countWriter{w: io.MultiWriter(w, sum)}
	bw := bufio.NewWriterSize(cw, 256<<10)
	var hdr [12]byte
	copy(hdr[:], "PACK")
	binary.BigEndian.PutUint32(hdr[4:], 2)
	binary.BigEndian.PutUint32(hdr[8:], uint32(len(objs)))
	bw.Write(hdr[:])
	zw, _ := zlib.NewWriterLevel(bw, zlib.DefaultCompression)
	var head []byte
	for i, o := range objs {
		t, data, err := src.Read(o.Hash)
		if err != nil {
			return Result{}, fmt.Errorf("pack %s: %w", o.Hash, err)
		}
		head = pack.AppendEntryHeader(head[:0], t, int64(len(data)))
		if _, err := bw.Write(head); err != nil {
			return Result{}, err
		}
		zw.Reset(bw)
		if _, err := zw.Write(data); err != nil {
			return Result{}, err
		}
		if err := zw.Close(); err != nil {
			return Result{}, err
		}
		if opt.Progress != nil {
			opt.Progress(int64(i+1), int64(len(objs)))
		}
	}
	if err := bw.Flush(); err != nil {
		return Result{}, err
	}
	trailer := sum.Sum(nil)
	if _, err := w.Write(trailer); err != nil {
		return Result{}, err
	}
	h, _ := object.FromBytes(trailer)
	return Result{Hash: h, Objects: int64(len(objs)), Size: cw.n + int64(len(trailer))}, nil
}

type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}
