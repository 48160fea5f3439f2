package gitpack

import (
	"bufio"
	"bytes"
	"compress/zlib"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"

	"git-remote-object-store/gitpack/inflate"
	"git-remote-object-store/gitpack/object"
	"git-remote-object-store/gitpack/pack"
)

// MaxReadSize bounds Read: whole objects are read into memory only up to this size.
const MaxReadSize = 1 << 31

func (r *Repo) loosePath(dir string, h object.Hash) string {
	s := h.String()
	return filepath.Join(dir, s[:2], s[2:])
}

// Has reports whether the object exists locally (loose, packed, or in an alternate).
func (r *Repo) Has(h object.Hash) bool {
	if h.IsZero() || h.Format() != r.format {
		return false
	}
	// Packs first: in a packed repository nearly every object is there, and a failed
	// stat per object per walk adds up.
	for _, p := range r.allPacks(false) {
		if p.Has(h) {
			return true
		}
	}
	for _, d := range r.objDirs {
		if _, err := os.Stat(r.loosePath(d, h)); err == nil {
			return true
		}
	}
	for _, p := range r.allPacks(true) {
		if p.Has(h) {
			return true
		}
	}
	return false
}

// Read returns an object's type and content.
func (r *Repo) Read(h object.Hash) (object.Type, []byte, error) { return r.readChain(h, 0, nil, nil) }

// readStored is Read that also tells st how h is stored (st.Pack is nil for a loose
// object).
func (r *Repo) readStored(h object.Hash, st *pack.Stored) (object.Type, []byte, error) {
	return r.readChain(h, 0, nil, st)
}

// readChain reads h for depth deltas waiting on it, on behalf of the reads in waiting
// (each resolving, in another pack, the REF_DELTA base that the next one is). A chain is
// followed from pack to pack with its depth counted as a whole (pack.ErrDeltaDepth past
// pack.MaxDeltaDepth), and a base already in waiting is a cycle (pack.ErrDeltaCycle): a
// damaged or crafted pack costs an error, not a stack overflow.
func (r *Repo) readChain(h object.Hash, depth int, waiting []object.Hash, st *pack.Stored) (object.Type, []byte, error) {
	if h.Format() != r.format || h.IsZero() {
		return 0, nil, fmt.Errorf("%w: %s", ErrNotFound, h)
	}
	if slices.Contains(waiting, h) {
		return 0, nil, fmt.Errorf("%w: %s is, through other packs, a delta base of itself", pack.ErrDeltaCycle, h)
	}
	resolve := func(base object.Hash, d int) (object.Type, []byte, error) {
		return r.readChain(base, d, append(waiting[:len(waiting):len(waiting)], h), nil)
	}
	for _, p := range r.allPacks(false) {
		if p.Has(h) {
			return p.ReadStored(h, depth, resolve, st)
		}
	}
	if st != nil {
		st.Pack = nil
	}
	for _, d := range r.objDirs {
		t, data, err := readLoose(r.loosePath(d, h), r.format, h)
		if err == nil {
			return t, data, nil
		}
		if !errors.Is(err, os.ErrNotExist) {
			return 0, nil, err
		}
	}
	for _, p := range r.allPacks(true) {
		if p.Has(h) {
			return p.ReadStored(h, depth, resolve, st)
		}
	}
	return 0, nil, fmt.Errorf("%w: %s", ErrNotFound, h)
}

// readBase resolves a REF_DELTA base outside its pack, for a read that does not follow
// the chain's depth (Stat, streams): it starts a chain of its own, bounded as any Read.
func (r *Repo) readBase(h object.Hash) (object.Type, []byte, error) { return r.Read(h) }

// Stat returns an object's type and size.
func (r *Repo) Stat(h object.Hash) (object.Type, int64, error) {
	for _, d := range r.objDirs {
		t, size, err := statLoose(r.loosePath(d, h))
		if err == nil {
			return t, size, nil
		}
		if !errors.Is(err, os.ErrNotExist) {
			return 0, 0, err
		}
	}
	for _, rescan := range []bool{false, true} {
		for _, p := range r.allPacks(rescan) {
			if p.Has(h) {
				return p.Stat(h, r.readBase)
			}
		}
	}
	return 0, 0, fmt.Errorf("%w: %s", ErrNotFound, h)
}

func looseHeader(br *bufio.Reader) (object.Type, int64, error) {
	hdr, err := br.ReadSlice(0)
	if err != nil || len(hdr) > 64 {
		return 0, 0, fmt.Errorf("bad loose object header")
	}
	t, size, _, ok := parseLooseHeader(hdr)
	if !ok {
		return 0, 0, fmt.Errorf("bad loose object header %q", hdr)
	}
	return t, size, nil
}

// looseReader reads one loose object: the file, inflated, buffered. They are recycled,
// as a zlib reader and its buffers are far larger than most loose objects.
type looseReader struct {
	f   *os.File
	fbr *bufio.Reader
	zr  io.ReadCloser
	br  *bufio.Reader
}

var looseReaders sync.Pool

func openLoose(path string) (*looseReader, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	lr, _ := looseReaders.Get().(*looseReader)
	if lr == nil {
		lr = &looseReader{fbr: bufio.NewReader(f)}
	} else {
		lr.fbr.Reset(f)
	}
	lr.f = f
	if lr.zr == nil {
		lr.zr, err = zlib.NewReader(lr.fbr)
	} else {
		err = lr.zr.(zlib.Resetter).Reset(lr.fbr, nil)
	}
	if err != nil {
		f.Close()
		lr.zr = nil
		return nil, fmt.Errorf("loose object %s: %w", path, err)
	}
	if lr.br == nil {
		lr.br = bufio.NewReader(lr.zr)
	} else {
		lr.br.Reset(lr.zr)
	}
	return lr, nil
}

// Close closes the file and recycles the reader; it must not be used afterwards.
func (lr *looseReader) Close() error {
	err := lr.f.Close()
	lr.f = nil
	lr.fbr.Reset(nil)
	lr.br.Reset(nil)
	looseReaders.Put(lr)
	return err
}

// looseWhole bounds the loose objects read whole and inflated in one go by package
// inflate, several times compress/flate's speed on the small objects most loose ones
// are; larger ones, and any the fast path cannot take, are streamed.
const looseWhole = 8 << 20

// looseBufs recycles the buffers loose objects' files are read into.
var looseBufs = sync.Pool{New: func() any { return new([]byte) }}

// parseLooseHeader parses the "<type> <size>\0" that starts an inflated loose object,
// and returns its length with the NUL.
func parseLooseHeader(b []byte) (object.Type, int64, int, bool) {
	nul := bytes.IndexByte(b, 0)
	if nul < 0 {
		return 0, 0, 0, false
	}
	typ, sz, ok := strings.Cut(string(b[:nul]), " ")
	t, err := object.ParseType(typ)
	size, serr := strconv.ParseInt(sz, 10, 64)
	if !ok || err != nil || serr != nil || size < 0 {
		return 0, 0, 0, false
	}
	return t, size, nul + 1, true
}

// statLoose reads a loose object's header, inflating only the start of the file.
func statLoose(path string) (object.Type, int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, 0, err
	}
	var head [512]byte
	n, _ := io.ReadFull(f, head[:])
	f.Close()
	var hdr [64]byte
	if k, err := inflate.ZlibPrefix(hdr[:], head[:n]); err == nil {
		if t, size, _, ok := parseLooseHeader(hdr[:k]); ok {
			return t, size, nil
		}
	}
	return statLooseStream(path)
}

func statLooseStream(path string) (object.Type, int64, error) {
	lr, err := openLoose(path)
	if err != nil {
		return 0, 0, err
	}
	defer lr.Close()
	t, size, err := looseHeader(lr.br)
	if err != nil {
		return 0, 0, fmt.Errorf("loose object %s: %w", path, err)
	}
	return t, size, nil
}

// readLoose reads a loose object whole: its file in one read and inflated in one go
// when it is small, else streamed.
func readLoose(path string, f object.Format, want object.Hash) (object.Type, []byte, error) {
	file, err := os.Open(path)
	if err != nil {
		return 0, nil, err
	}
	fi, err := file.Stat()
	if err != nil || fi.Size() > looseWhole {
		file.Close()
		return readLooseStream(path, f, want)
	}
	bp := looseBufs.Get().(*[]byte)
	defer looseBufs.Put(bp)
	if int64(cap(*bp)) < fi.Size()+1 {
		*bp = make([]byte, fi.Size()+1)
	}
	comp := (*bp)[:fi.Size()+1] // one more: a file that grew is read through
	n, _ := io.ReadFull(file, comp)
	file.Close()
	comp = comp[:n]
	var hdr [64]byte
	k, err := inflate.ZlibPrefix(hdr[:], comp)
	if err != nil {
		return readLooseStream(path, f, want)
	}
	t, size, hlen, ok := parseLooseHeader(hdr[:k])
	if !ok || size > MaxReadSize || size > 1032*int64(len(comp)) { // deflate expands at most about 1032:1
		return readLooseStream(path, f, want)
	}
	whole := make([]byte, int64(hlen)+size)
	if _, err := inflate.Zlib(whole, comp); err != nil {
		return readLooseStream(path, f, want)
	}
	data := whole[hlen:]
	if object.Sum(f, t, data) != want {
		return 0, nil, fmt.Errorf("loose object %s: content does not match its name", path)
	}
	return t, data, nil
}

func readLooseStream(path string, f object.Format, want object.Hash) (object.Type, []byte, error) {
	lr, err := openLoose(path)
	if err != nil {
		return 0, nil, err
	}
	defer lr.Close()
	br := lr.br
	t, size, err := looseHeader(br)
	if err != nil {
		return 0, nil, fmt.Errorf("loose object %s: %w", path, err)
	}
	if size > MaxReadSize {
		return 0, nil, fmt.Errorf("loose object %s: %d bytes is more than this reader holds in memory", path, size)
	}
	data := make([]byte, size)
	if _, err := io.ReadFull(br, data); err != nil {
		return 0, nil, fmt.Errorf("loose object %s: %w", path, err)
	}
	if object.Sum(f, t, data) != want {
		return 0, nil, fmt.Errorf("loose object %s: content does not match its name", path)
	}
	return t, data, nil
}

// allPacks returns the open packs of every object directory; with rescan it first picks
// up packs added since the last scan (git may repack, and we index new packs ourselves).
func (r *Repo) allPacks(rescan bool) []*pack.Pack {
	r.mu.Lock()
	defer r.mu.Unlock()
	if rescan || !r.scanned {
		r.scanned = true
		for _, d := range r.objDirs {
			names, _ := filepath.Glob(filepath.Join(d, "pack", "pack-*.idx"))
			for _, idx := range names {
				pp := strings.TrimSuffix(idx, ".idx") + ".pack"
				if _, ok := r.packs[pp]; ok {
					continue
				}
				p, err := pack.Open(pp, idx, r.format)
				if err != nil {
					continue // a pack being written, or damaged: git would skip it too
				}
				r.packs[pp] = p
				r.packList = append(r.packList, p)
			}
		}
	}
	// Packs are only ever added, so callers may keep the slice they get.
	return r.packList[:len(r.packList):len(r.packList)]
}

// eachHeader calls fn for each "key value" line of a commit or tag header (up to the
// blank line before the message).
func eachHeader(data []byte, fn func(k, v []byte) error) error {
	for len(data) > 0 {
		line, rest, _ := bytes.Cut(data, []byte("\n"))
		data = rest
		if len(line) == 0 {
			return nil
		}
		k, v, _ := bytes.Cut(line, []byte(" "))
		if err := fn(k, v); err != nil {
			return err
		}
	}
	return nil
}

// ParseCommit returns a commit's tree and parents.
func ParseCommit(data []byte, f object.Format) (tree object.Hash, parents []object.Hash, err error) {
	err = eachHeader(data, func(k, v []byte) error {
		var err error
		switch string(k) {
		case "tree":
			tree, err = object.ParseHashFormat(string(v), f)
		case "parent":
			var p object.Hash
			p, err = object.ParseHashFormat(string(v), f)
			parents = append(parents, p)
		}
		return err
	})
	if err != nil {
		return object.Hash{}, nil, fmt.Errorf("bad commit: %w", err)
	}
	if tree.IsZero() {
		return object.Hash{}, nil, errors.New("bad commit: no tree")
	}
	return tree, parents, nil
}

// ParseTag returns the object a tag points at and that object's type.
func ParseTag(data []byte, f object.Format) (target object.Hash, t object.Type, err error) {
	err = eachHeader(data, func(k, v []byte) error {
		var err error
		switch string(k) {
		case "object":
			target, err = object.ParseHashFormat(string(v), f)
		case "type":
			t, err = object.ParseType(string(v))
		}
		return err
	})
	if err != nil {
		return object.Hash{}, 0, fmt.Errorf("bad tag: %w", err)
	}
	if target.IsZero() || t == 0 {
		return object.Hash{}, 0, errors.New("bad tag: no object or type")
	}
	return target, t, nil
}

// TreeEntry is one entry of a tree.
type TreeEntry struct {
	Mode uint32
	Name string
	Hash object.Hash
}

// ParseTree decodes a tree object.
func ParseTree(data []byte, f object.Format) ([]TreeEntry, error) {
	var out []TreeEntry
	hs := f.Size()
	for len(data) > 0 {
		mode, name, raw, rest, err := nextTreeEntry(data, hs)
		if err != nil {
			return nil, err
		}
		h, _ := object.FromBytes(raw)
		out = append(out, TreeEntry{Mode: mode, Name: string(name), Hash: h})
		data = rest
	}
	return out, nil
}

// nextTreeEntry decodes the tree entry at the start of data (ids of hs bytes) without
// allocating: its mode, name and raw id, and what follows it.
func nextTreeEntry(data []byte, hs int) (mode uint32, name, raw, rest []byte, err error) {
	sp := bytes.IndexByte(data, ' ')
	nul := bytes.IndexByte(data, 0)
	if sp <= 0 || nul < sp || nul+1+hs > len(data) {
		return 0, nil, nil, nil, errors.New("bad tree entry")
	}
	mode, ok := parseMode(data[:sp])
	if !ok {
		return 0, nil, nil, nil, fmt.Errorf("bad tree mode %q", data[:sp])
	}
	return mode, data[sp+1 : nul], data[nul+1 : nul+1+hs], data[nul+1+hs:], nil
}

// Locate finds the stored entry of h in one of the repository's packs (for reuse by the
// pack writer).
func (r *Repo) Locate(h object.Hash) (*pack.Pack, int, bool) {
	for _, p := range r.allPacks(false) {
		if i := p.Idx.Find(h); i >= 0 {
			return p, i, true
		}
	}
	return nil, 0, false
}
