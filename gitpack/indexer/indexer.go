package indexer

import (
	"bufio"
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"

	"git-remote-object-store/gitpack/object"
	"git-remote-object-store/gitpack/pack"
)

// ErrBadPack wraps every rejection of the received data.
var ErrBadPack = errors.New("indexer: bad pack")

// MaxObjects bounds the object count a header may announce before we allocate for it.
const MaxObjects = 1 << 30

// BaseSource supplies objects the receiving repository already has: the bases of a thin
// pack's REF deltas.
type BaseSource interface {
	Read(h object.Hash) (object.Type, []byte, error)
}

// Options tune Index.
type Options struct {
	Format object.Format
	// FixThin appends REF_DELTA bases missing from the pack, read from Bases, so the
	// installed pack is self-contained (git index-pack --fix-thin).
	FixThin bool
	Bases   BaseSource
	// Progress, if set, is told each object as it is indexed (from one goroutine at a
	// time, though not always the same one).
	Progress func(done, total int64)
	// Threads bounds the goroutines resolving deltas (0: one per core).
	Threads int
}

func (o Options) threads() int {
	if o.Threads > 0 {
		return o.Threads
	}
	return runtime.GOMAXPROCS(0)
}

// Result names the installed pack.
type Result struct {
	Hash     object.Hash // the pack's trailer; files are pack-<Hash>.{pack,idx}
	PackPath string
	IdxPath  string
	Objects  int64
	Appended int64 // thin-pack bases appended
}

// entry is one object of the pack being indexed. There is one per object for the whole
// run, so it is kept small (80 bytes): a REF_DELTA's base id lives in a side table.
type entry struct {
	off      int64
	end      int64 // offset just past the entry
	size     int64
	baseOff  int64 // OFS_DELTA: the base's offset; REF_DELTA: index in indexer.refBases
	hash     object.Hash
	crc      uint32
	hdrLen   uint8       // the zlib data starts at off+hdrLen
	typ      object.Type // resolved type (the base type for deltas, once resolved)
	kind     object.Type // as stored: base type, OfsDelta or RefDelta
	resolved bool
}

func (e *entry) dataOff() int64 { return e.off + int64(e.hdrLen) }

// Index reads a pack from r and installs it, with its index, in dir (an objects/pack
// directory). Nothing is left in dir unless it succeeds.
func Index(r io.Reader, dir string, opt Options) (res Result, err error) {
	if opt.Format == 0 {
		opt.Format = object.SHA1
	}
	tmp, err := os.CreateTemp(dir, "tmp_pack_")
	if err != nil {
		return Result{}, fmt.Errorf("index pack: %w", err)
	}
	tmpIdx := ""
	defer func() {
		tmp.Close()
		if err != nil {
			os.Remove(tmp.Name())
			if tmpIdx != "" {
				os.Remove(tmpIdx)
			}
		}
	}()
	ix := &indexer{opt: opt, f: tmp}
	if err := ix.receive(r); err != nil {
		return Result{}, err
	}
	if err := ix.resolveAll(); err != nil {
		return Result{}, err
	}
	if err := tmp.Sync(); err != nil {
		return Result{}, err
	}
	idxFile, err := os.CreateTemp(dir, "tmp_idx_")
	if err != nil {
		return Result{}, err
	}
	tmpIdx = idxFile.Name()
	// The records are not needed in pack order any more: sort them by id in place and
	// write the index from them.
	slices.SortFunc(ix.entries, func(a, b entry) int { return a.hash.Compare(b.hash) })
	at := func(i int) pack.IdxEntry {
		e := &ix.entries[i]
		return pack.IdxEntry{Hash: e.hash, Offset: e.off, CRC: e.crc}
	}
	bw := bufio.NewWriterSize(idxFile, 256<<10)
	if err = pack.WriteSortedIdx(bw, opt.Format, len(ix.entries), at, ix.trailer.Bytes()); err == nil {
		if err = bw.Flush(); err == nil {
			err = idxFile.Sync()
		}
	}
	if cerr := idxFile.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return Result{}, fmt.Errorf("write idx: %w", err)
	}
	base := filepath.Join(dir, "pack-"+ix.trailer.String())
	res = Result{Hash: ix.trailer, PackPath: base + ".pack", IdxPath: base + ".idx", Objects: int64(len(ix.entries)), Appended: ix.appended}
	if _, serr := os.Stat(res.IdxPath); serr == nil {
		// The same pack is already installed: keep it, drop ours.
		os.Remove(tmp.Name())
		os.Remove(tmpIdx)
		return res, nil
	}
	os.Chmod(tmp.Name(), 0o444)
	os.Chmod(tmpIdx, 0o444)
	if err = os.Rename(tmp.Name(), res.PackPath); err != nil {
		return Result{}, err
	}
	if err = os.Rename(tmpIdx, res.IdxPath); err != nil {
		os.Remove(res.PackPath)
		return Result{}, err
	}
	syncDir(dir)
	return res, nil
}

func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
}

type indexer struct {
	opt      Options
	f        *os.File
	entries  []entry
	trailer  object.Hash
	count    uint32
	appended int64
	refBases []object.Hash // REF_DELTA bases, by entry.baseOff
	zr       io.ReadCloser // reused for every entry received
	done     atomic.Int64
	progMu   sync.Mutex
}

func bad(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrBadPack, fmt.Sprintf(format, args...))
}

// receive streams the pack into the temp file, recording every entry and hashing the
// whole (non-delta) objects as they pass.
func (ix *indexer) receive(r io.Reader) error {
	bw := bufio.NewWriterSize(ix.f, 256<<10)
	sum := ix.opt.Format.New()
	tr := newTapReader(r, bw, sum)
	var hdr [12]byte
	if _, err := io.ReadFull(tr, hdr[:]); err != nil {
		return bad("header: %v", err)
	}
	if string(hdr[:4]) != "PACK" {
		return bad("no PACK signature")
	}
	if v := binary.BigEndian.Uint32(hdr[4:]); v != 2 && v != 3 {
		return bad("version %d", v)
	}
	ix.count = binary.BigEndian.Uint32(hdr[8:])
	if ix.count > MaxObjects {
		return bad("%d objects announced", ix.count)
	}
	// Room for every announced entry at once (up to 4M): growing by doubling held two
	// copies at the end. A lying header costs only address space, since untouched pages
	// of a fresh allocation are never made resident.
	ix.entries = make([]entry, 0, min(ix.count, 1<<22))
	for i := uint32(0); i < ix.count; i++ {
		if err := ix.readEntry(tr); err != nil {
			return fmt.Errorf("object %d at offset %d: %w", i, tr.off, err)
		}
	}
	if err := tr.flush(); err != nil {
		return err
	}
	tr.hashing = false
	want := sum.Sum(nil)
	got := make([]byte, len(want))
	if _, err := io.ReadFull(tr, got); err != nil {
		return bad("truncated trailer: %v", err)
	}
	if !bytes.Equal(got, want) {
		return bad("trailer checksum mismatch (the pack is damaged)")
	}
	ix.trailer, _ = object.FromBytes(got)
	return bw.Flush()
}

func (ix *indexer) readEntry(tr *tapReader) error {
	if err := tr.startEntry(); err != nil {
		return err
	}
	e := entry{off: tr.off}
	t, size, _, err := pack.ReadEntryHeader(tr)
	if err != nil {
		return err
	}
	e.kind, e.size = t, size
	switch t {
	case object.OfsDelta:
		d, _, err := pack.ReadOfsDistance(tr)
		if err != nil {
			return err
		}
		if d <= 0 || d > e.off-12 {
			return bad("delta base offset out of range")
		}
		e.baseOff = e.off - d
	case object.RefDelta:
		raw := make([]byte, ix.opt.Format.Size())
		if _, err := io.ReadFull(tr, raw); err != nil {
			return bad("truncated base id")
		}
		h, _ := object.FromBytes(raw)
		e.baseOff = int64(len(ix.refBases))
		ix.refBases = append(ix.refBases, h)
	}
	if tr.off-e.off > 255 {
		return bad("entry header of %d bytes", tr.off-e.off)
	}
	e.hdrLen = uint8(tr.off - e.off)
	zr := ix.zr
	if zr == nil {
		zr, err = zlib.NewReader(tr)
		ix.zr = zr
	} else {
		err = zr.(zlib.Resetter).Reset(tr, nil)
	}
	if err != nil {
		return bad("zlib: %v", err)
	}
	var sink io.Writer = io.Discard
	var hw = ix.opt.Format.New()
	if t.IsBase() {
		e.typ = t
		hw.Write([]byte(t.String() + " " + strconv.FormatInt(size, 10) + "\x00"))
		sink = hw
	}
	n, err := io.Copy(sink, io.LimitReader(zr, size+1))
	if err != nil {
		return bad("inflate: %v", err)
	}
	if n != size {
		return bad("object inflates to %d bytes, header says %d", n, size)
	}
	// Drain to the end of the zlib stream so its checksum is consumed and verified.
	if extra, err := io.Copy(io.Discard, zr); err != nil || extra != 0 {
		return bad("zlib stream does not end where the object does")
	}
	zr.Close()
	if e.crc, err = tr.entryCRC(); err != nil {
		return err
	}
	e.end = tr.off
	if t.IsBase() {
		e.hash, _ = object.FromBytes(hw.Sum(nil))
		e.resolved = true
		ix.progress()
	}
	ix.entries = append(ix.entries, e)
	return nil
}

func (ix *indexer) progress() {
	done := ix.done.Add(1)
	if ix.opt.Progress != nil {
		ix.progMu.Lock()
		ix.opt.Progress(done, int64(ix.count))
		ix.progMu.Unlock()
	}
}

// readData inflates an entry's data from the temporary pack.
func (ix *indexer) readData(e *entry) ([]byte, error) {
	if e.size > pack.MaxObjectSize {
		return nil, bad("object too large")
	}
	n := e.end - e.dataOff()
	if n <= 0 || e.size > 1032*n+64 { // deflate cannot expand beyond about 1032:1
		return nil, bad("entry at %d: %d bytes of zlib data cannot inflate to %d", e.off, n, e.size)
	}
	var src io.Reader
	if n <= 1<<20 {
		raw := make([]byte, n)
		if _, err := ix.f.ReadAt(raw, e.dataOff()); err != nil {
			return nil, fmt.Errorf("read entry at %d: %w", e.off, err)
		}
		src = bytes.NewReader(raw)
	} else {
		src = bufio.NewReaderSize(io.NewSectionReader(ix.f, e.dataOff(), n), 64<<10)
	}
	zr, _ := zreaders.Get().(io.ReadCloser)
	var err error
	if zr == nil {
		zr, err = zlib.NewReader(src)
	} else {
		err = zr.(zlib.Resetter).Reset(src, nil)
	}
	if err != nil {
		return nil, bad("zlib: %v", err)
	}
	defer zreaders.Put(zr)
	buf := make([]byte, e.size)
	if _, err := io.ReadFull(zr, buf); err != nil {
		return nil, bad("inflate: %v", err)
	}
	return buf, nil
}

// zreaders recycles zlib readers (each holds a 32 KiB window): resolving deltas inflates
// every one of them, and fresh readers were a large share of the garbage.
var zreaders sync.Pool
