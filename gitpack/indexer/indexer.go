package indexer

import (
	"bufio"
	"bytes"
	"cmp"
	"compress/zlib"
	"encoding/binary"
	"errors"
	"fmt"
	"git-remote-object-store/gitpack/inflate"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
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
	// Progress, if set, is told how indexing proceeds, in git index-pack's two phases:
	// receiving (each entry as it is read, of the count the pack's header announces),
	// then, when the pack holds deltas, resolving them (each delta as its object is
	// known, of the deltas in the pack, thin-pack ones included). A call with done 0
	// begins a phase; each phase that begins ends with done == total. Calls come from
	// one goroutine at a time, though not always the same one.
	Progress func(done, total int64)
	// Threads bounds the goroutines resolving deltas (0: one per core).
	Threads int
	// Check, if set, is given every commit, tree and tag of the pack with its id and
	// content as soon as it is known (from several goroutines at once; data is only
	// valid during the call); an error refuses the pack. Blobs are not given, nor the
	// bases FixThin appends (they come from the local repository).
	Check func(id object.Hash, t object.Type, data []byte) error
	// Strict refuses a pack that holds the same object twice (index-pack --strict).
	Strict bool
	// Links sets Result.SelfContained: whether everything the pack's commits, trees and
	// tags name is in the pack (index-pack --check-self-contained-and-connected; see
	// links.go). It never refuses a pack.
	Links bool
	// BaseBudget bounds, per goroutine, the delta bases kept in memory while their
	// children are resolved; a base let go is rebuilt when next needed (0:
	// DefaultBaseBudget). Not counted: the object being resolved and the newest base
	// with children still to come, which are held whatever their size.
	BaseBudget int64

	work       *work // counts the resolver's work, for tests (export_test.go)
	keepBudget int64 // for tests: keepBudget's stand-in; < 0 keeps nothing
	ahead      int64 // for tests: aheadCache's stand-in; < 0 resolves nothing ahead
	aheadSync  bool  // for tests: ahead resolves all it can before resolveAll starts
}

// work counts delta applications, rebuilds of bases let go included, and the bytes they
// produce: a test checks that they grow linearly with the pack, whatever its shape.
type work struct{ applied, bytes, keptReads, inflations, ahead, wholeAhead atomic.Int64 }

// DefaultBaseBudget is BaseBudget's default. Children are resolved lightest subtree
// first (resolve.go), so the bases that wait for later children are few: at most
// log2(objects), a handful in real packs. The budget only has to hold those; what does
// not fit is rebuilt, which for a crafted pack of a deep chain of large objects with
// branches would cost time quadratic in its depth. git lets each index-pack thread keep
// 96 MiB of bases (core.deltaBaseCacheLimit); two thirds of that holds the waiting
// bases of objects up to several megabytes, and only packs that need it use it.
const DefaultBaseBudget = 64 << 20

func (o Options) baseBudget() int64 {
	if o.BaseBudget > 0 {
		return o.BaseBudget
	}
	return DefaultBaseBudget
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
	Set      object.Hash // pack.SetName: the hash of its sorted object ids
	PackPath string
	IdxPath  string
	Objects  int64
	Appended int64 // thin-pack bases appended
	// SelfContained, under Options.Links: every object the pack's commits, trees and tags
	// name is in the pack, as the type they name it as (gitlinks aside).
	SelfContained bool
}

// entry is one object of the pack being indexed. There is one per object for the whole
// run, so it is kept to 16 bytes: the id lives in indexer.ids (where a REF_DELTA keeps
// its base's id until it is resolved), the size is read again from the entry's header
// when the data is, and an entry ends where the next one starts.
type entry struct {
	offLo  uint32
	base   uint32 // OFS_DELTA: the base's entry index
	crc    uint32
	offHi  uint8       // offsets are 40 bits: packs up to 1 TiB
	hdrLen uint8       // the zlib data starts at off+hdrLen
	typ    object.Type // the object's type; 0 for a delta until it is resolved
	kind   object.Type // as stored: base type, OfsDelta or RefDelta
}

// maxPackSize is what 40-bit offsets can address.
const maxPackSize = 1 << 40

func (e *entry) off() int64       { return int64(e.offHi)<<32 | int64(e.offLo) }
func (e *entry) setOff(off int64) { e.offLo, e.offHi = uint32(off), uint8(off>>32) }
func (e *entry) resolved() bool   { return e.typ != object.Bad }

// Index reads a pack from r and installs it, with its index, in dir (an objects/pack
// directory). Nothing is left in dir unless it succeeds.
func Index(r io.Reader, dir string, opt Options) (Result, error) {
	s, err := Stage(r, dir, opt)
	if err != nil {
		return Result{}, err
	}
	if err := s.Install(); err != nil {
		s.Remove()
		return Result{}, err
	}
	return s.Result, nil
}

// Staged is a pack received and verified, with its index, under temporary names in its
// directory (tmp_pack_*, tmp_idx_*: git's names for the files index-pack is writing,
// which git never reads as a pack and `git gc` removes when old). Nothing sees its
// objects until Install; Remove deletes it. Result's paths are where Install puts it.
type Staged struct {
	Result
	TmpPack, TmpIdx string
	dir             string
}

// Stage reads a pack from r into dir as Index does, but leaves pack and index under
// their temporary names. Nothing is left in dir unless it succeeds.
func Stage(r io.Reader, dir string, opt Options) (st *Staged, err error) {
	if opt.Format == 0 {
		opt.Format = object.SHA1
	}
	tmp, err := os.CreateTemp(dir, "tmp_pack_")
	if err != nil {
		return nil, fmt.Errorf("index pack: %w", err)
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
	defer ix.tab.free()
	if err := ix.receive(r); err != nil {
		return nil, err
	}
	// The pack is on disk, whole: it is synced while the deltas are resolved (only a
	// thin pack's completion writes to it again).
	synced := make(chan error, 1)
	go func() { synced <- tmp.Sync() }()
	waitSync := sync.OnceValue(func() error { return <-synced })
	defer waitSync()
	if err := ix.resolveAll(); err != nil {
		return nil, err
	}
	if err := waitSync(); err != nil {
		return nil, err
	}
	if ix.appended > 0 {
		if err := tmp.Sync(); err != nil {
			return nil, err
		}
	}
	// What the pack names is looked up while the index is written: both only read.
	var selfContained bool
	looked := make(chan struct{})
	go func() { selfContained = ix.selfContained(); close(looked) }()
	defer func() { <-looked }() // before the tables are freed
	// The index lists the objects by id: sort a permutation, not the records.
	perm := ix.byID()
	if opt.Strict {
		for i := 1; i < len(perm); i++ {
			if a := ix.idBytes(int(perm[i])); bytes.Equal(a, ix.idBytes(int(perm[i-1]))) {
				return nil, bad("the same object %s appears twice in the pack", ix.id(int(perm[i])))
			}
		}
	}
	idxFile, err := os.CreateTemp(dir, "tmp_idx_")
	if err != nil {
		return nil, err
	}
	tmpIdx = idxFile.Name()
	at := func(i int) pack.IdxEntry {
		k := int(perm[i])
		e := &ix.entries[k]
		return pack.IdxEntry{Hash: ix.id(k), Offset: e.off(), CRC: e.crc}
	}
	if err = pack.WriteSortedIdx(idxFile, opt.Format, len(ix.entries), at, ix.trailer.Bytes()); err == nil {
		err = idxFile.Sync()
	}
	if cerr := idxFile.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, fmt.Errorf("write idx: %w", err)
	}
	os.Chmod(tmp.Name(), 0o444)
	os.Chmod(tmpIdx, 0o444)
	set := pack.SortedSetName(opt.Format, len(perm), func(i int) object.Hash { return ix.id(int(perm[i])) })
	<-looked
	ix.needs = nil
	base := filepath.Join(dir, "pack-"+ix.trailer.String())
	return &Staged{
		Result:  Result{Hash: ix.trailer, Set: set, PackPath: base + ".pack", IdxPath: base + ".idx", Objects: int64(len(ix.entries)), Appended: ix.appended, SelfContained: selfContained},
		TmpPack: tmp.Name(), TmpIdx: tmpIdx, dir: dir,
	}, nil
}

// Install renames the staged pack, then its index, into place, as git does: a reader
// finds a pack through its index, so it never sees half of one. If the same pack is
// already installed, it is kept and the staged files are removed.
func (s *Staged) Install() error {
	_, err := s.install(false)
	return err
}

// InstallKept installs the pack as Install does, with a .keep file beside it first, so
// that a repack running meanwhile leaves it alone while nothing refers to its objects
// yet. It returns the .keep's path, which the caller removes when its refs are in
// place; "" when the pack was installed already (it is kept as it was).
func (s *Staged) InstallKept() (string, error) { return s.install(true) }

func (s *Staged) install(keep bool) (string, error) {
	if s.TmpPack == "" {
		return "", errors.New("index pack: staged pack already installed or removed")
	}
	if _, err := os.Stat(s.IdxPath); err == nil {
		s.Remove()
		return "", nil
	}
	keepPath := ""
	if keep {
		keepPath = strings.TrimSuffix(s.PackPath, ".pack") + ".keep"
		if err := os.WriteFile(keepPath, []byte("git-remote-object-store fetch\n"), 0o644); err != nil {
			return "", err
		}
	}
	installed := false
	defer func() {
		if !installed && keepPath != "" {
			os.Remove(keepPath)
		}
	}()
	if err := os.Rename(s.TmpPack, s.PackPath); err != nil {
		return "", err
	}
	if err := os.Rename(s.TmpIdx, s.IdxPath); err != nil {
		os.Remove(s.PackPath)
		return "", err
	}
	s.TmpPack, s.TmpIdx = "", ""
	syncDir(s.dir)
	installed = true
	return keepPath, nil
}

// Remove deletes the staged files (nothing once installed).
func (s *Staged) Remove() {
	if s.TmpPack != "" {
		os.Remove(s.TmpPack)
		os.Remove(s.TmpIdx)
		s.TmpPack, s.TmpIdx = "", ""
	}
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
	ids      []byte // entry i's id is ids[i*hs:(i+1)*hs]; until a delta is resolved, its base's id (REF) or zero (OFS)
	hs       int
	packEnd  int64 // where the trailer starts: the end of the last entry
	trailer  object.Hash
	count    uint32
	appended int64
	done     int64 // of the phase Progress is told about, under progMu
	phaseOf  int64 // that phase's total
	progMu   sync.Mutex
	tab      tables // where entries, ids and the resolver's tables live

	// Options.Links (links.go): what the objects name, and whether the check gave up.
	needs     []*needSet // every goroutine's
	baseNeeds *needSet   // the receiving goroutine's
	needsMu   sync.Mutex
	linksOff  atomic.Bool

	// Reused for every entry received.
	content bytes.Buffer // a commit, tree or tag for Options.Check
	zr      io.ReadCloser
	hw      *object.Hasher
	copyBuf []byte
	flat    []byte // an object inflated by inflateBuffered

	// Deltas kept as received, for resolving (keep.go).
	kept   []byte // outside the heap; kept[:keptN] in use
	keptN  int
	keptAt []uint64 // per entry: offset<<keptLenBits | length in kept; 0: not kept

	ahead         *ahead // while receiving, if deltas are resolved meanwhile
	resolvedAhead int64  // deltas resolved while receiving (ahead.go)
}

func bad(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrBadPack, fmt.Sprintf(format, args...))
}

func (ix *indexer) idBytes(i int) []byte { return ix.ids[i*ix.hs : (i+1)*ix.hs] }

func (ix *indexer) id(i int) object.Hash {
	h, _ := object.FromBytes(ix.idBytes(i))
	return h
}

func (ix *indexer) setID(i int, h object.Hash) { copy(ix.idBytes(i), h.Bytes()) }

// endOf is the offset just past entry i.
func (ix *indexer) endOf(i int) int64 {
	if i+1 < len(ix.entries) {
		return ix.entries[i+1].off()
	}
	return ix.packEnd
}

// byID returns the entry indexes in id order. Ids are spread evenly, so the entries
// are placed by their ids' first two bytes (one pass over the ids in order), and only
// each bucket, a few entries, is sorted by comparison: a sort of the whole permutation
// compared ids scattered over the table, a cache miss each, for a quarter of a second
// on git.git. A pack whose ids share a prefix only makes a bucket larger.
func (ix *indexer) byID() []uint32 {
	n := len(ix.entries)
	perm := alloc[uint32](&ix.tab, n)
	next := make([]uint32, 1<<16+1) // bucket b's entries go to perm[next[b]:], once counted and summed
	prefix := func(i int) int { b := ix.idBytes(i); return int(b[0])<<8 | int(b[1]) }
	for i := range n {
		next[prefix(i)+1]++
	}
	for b := 1; b < len(next); b++ {
		next[b] += next[b-1]
	}
	for i := range n {
		p := prefix(i)
		perm[next[p]] = uint32(i)
		next[p]++
	}
	// Each next[b] is now where bucket b ends, and so where b+1 starts.
	cmp := func(a, b uint32) int { return bytes.Compare(ix.idBytes(int(a)), ix.idBytes(int(b))) }
	lo := uint32(0)
	for _, hi := range next[:1<<16] {
		if hi-lo > 1 {
			slices.SortFunc(perm[lo:hi], cmp)
		}
		lo = hi
	}
	return perm
}

// receive streams the pack into the temp file, recording every entry and hashing the
// whole (non-delta) objects as they pass.
func (ix *indexer) receive(r io.Reader) error {
	bw := bufio.NewWriterSize(ix.f, 64<<10)
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
	ix.phase(int64(ix.count))
	// Room for every announced entry at once: growing by doubling held two copies at the
	// end. A lying header costs only address space, since untouched pages are never made
	// resident.
	ix.hs = ix.opt.Format.Size()
	ix.entries = reserve[entry](&ix.tab, int(ix.count), 1<<22)
	ix.ids = reserve[byte](&ix.tab, int(ix.count)*ix.hs, (1<<22)*ix.hs)
	ix.hw = object.NewHasher(ix.opt.Format)
	ix.copyBuf = make([]byte, 32<<10)
	ix.startKeeping()
	ah := ix.startAhead()
	if ah != nil {
		ix.ahead = ah
		defer func() { ah.stop(); ix.ahead = nil }()
	}
	for i := uint32(0); i < ix.count; i++ {
		if err := ix.readEntry(tr); err != nil {
			return fmt.Errorf("object %d at offset %d: %w", i, tr.off, err)
		}
		if ah != nil && !ah.publish(tr.off-int64(bw.Buffered())) {
			return ah.stop()
		}
	}
	if err := tr.flush(); err != nil {
		return err
	}
	ix.packEnd = tr.off
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
	ix.zr, ix.hw, ix.copyBuf, ix.flat = nil, nil, nil, nil
	if err := bw.Flush(); err != nil {
		return err
	}
	if ah != nil {
		ah.flushWhole()
		ah.publishAll(ix.packEnd)
		if err := ah.stop(); err != nil {
			return err
		}
		ix.resolvedAhead = ah.resolved
	}
	return nil
}

func (ix *indexer) readEntry(tr *tapReader) error {
	if err := tr.startEntry(); err != nil {
		return err
	}
	off := tr.off
	if off >= maxPackSize {
		return bad("pack larger than %d bytes", int64(maxPackSize))
	}
	var e entry
	e.setOff(off)
	t, size, _, err := pack.ReadEntryHeader(tr)
	if err != nil {
		return err
	}
	e.kind = t
	switch t {
	case object.OfsDelta:
		d, _, err := pack.ReadOfsDistance(tr)
		if err != nil {
			return err
		}
		if d <= 0 || d > off-12 {
			return bad("delta base offset out of range")
		}
		j, ok := slices.BinarySearchFunc(ix.entries, off-d, func(b entry, o int64) int { return cmp.Compare(b.off(), o) })
		if !ok {
			return bad("delta base at offset %d is not the start of an object", off-d)
		}
		e.base = uint32(j)
	case object.RefDelta:
		n := len(ix.ids)
		ix.ids = append(ix.ids, make([]byte, ix.hs)...)
		if _, err := io.ReadFull(tr, ix.ids[n:]); err != nil {
			return bad("truncated base id")
		}
	}
	if tr.off-off > 255 {
		return bad("entry header of %d bytes", tr.off-off)
	}
	e.hdrLen = uint8(tr.off - off)
	check := (ix.opt.Check != nil || ix.opt.Links) && t.IsBase() && t != object.Blob
	if t.IsBase() {
		e.typ = t
	}
	var slot []byte // a delta goes straight where it is kept, if there is room
	if !t.IsBase() {
		slot = ix.keepSlot(size)
	}
	data, ok, err := ix.inflateBuffered(tr, size, slot)
	if err != nil {
		return err
	}
	if !ok {
		if data, err = ix.inflateStream(tr, t, size, check); err != nil {
			return err
		}
	}
	if e.crc, err = tr.entryCRC(); err != nil {
		return err
	}
	ix.entries = append(ix.entries, e)
	if ok && slot != nil {
		ix.kept1(len(ix.entries)-1, len(data))
	}
	switch {
	case t.IsBase():
		if ok && ix.ahead != nil && ix.ahead.queueWhole(len(ix.entries)-1, t, data) {
			ix.ids = append(ix.ids, make([]byte, ix.hs)...) // ahead hashes it
			break
		}
		if ok { // inflateStream hashed it on the way
			ix.hw.Begin(t, size)
			ix.hw.Write(data)
		}
		id := ix.hw.End()
		ix.ids = append(ix.ids, id.Bytes()...)
		if check && ix.opt.Check != nil {
			if err := ix.opt.Check(id, t, data); err != nil {
				return err
			}
		}
		if check && ix.opt.Links {
			if ix.baseNeeds == nil {
				ix.baseNeeds = newNeedSet(ix.hs)
				ix.addNeeds(ix.baseNeeds)
			}
			ix.links(t, data, nil, ix.baseNeeds, nil)
		}
	case t == object.OfsDelta:
		ix.ids = append(ix.ids, make([]byte, ix.hs)...)
	}
	ix.progress()
	return nil
}

// maxBuffered is the largest object inflateBuffered takes: its zlib data, which a sane
// deflater keeps within a few bytes of the object's size, must fit in the receive buffer.
const maxBuffered = receiveBuffer / 2

// inflateBuffered inflates the entry whose zlib data starts at tr's position from tr's
// read buffer, with package inflate (several times compress/flate's speed on the small
// objects most packs are made of), and consumes exactly the stream's bytes. ok is false,
// and nothing consumed, when the object is large or the stream does not end well within
// the buffered bytes (a hostile or unusual stream): the caller then streams it.
//
// It inflates into dst when dst is not nil (len(dst) == size), else into a buffer of its
// own, reused for every entry.
func (ix *indexer) inflateBuffered(tr *tapReader, size int64, dst []byte) (data []byte, ok bool, err error) {
	if size > maxBuffered {
		return nil, false, nil
	}
	if err := tr.flush(); err != nil {
		return nil, false, err
	}
	// Stored blocks cost 5 bytes per 64 KiB, the zlib header and trailer 6; Huffman-coded
	// data that expands further falls back.
	want := int(size) + int(size>>10) + 64
	src, _ := tr.src.Peek(want) // short at the end of the input; inflate then fails or not
	if dst == nil {
		if cap(ix.flat) < int(size) {
			ix.flat = make([]byte, size, max(size, 64<<10))
		}
		dst = ix.flat[:size]
	}
	n, ierr := inflate.Zlib(dst, src)
	if ierr != nil {
		return nil, false, nil
	}
	if err := tr.consume(src[:n]); err != nil {
		return nil, false, err
	}
	tr.off += int64(n)
	tr.src.Discard(n)
	return dst, true, nil
}

// inflateStream inflates the entry at tr's position from the stream, reading a byte at a
// time so that nothing past the entry is consumed; for a base object it hashes it on the
// way (data stays nil then, except that a commit, tree or tag to check is returned whole).
func (ix *indexer) inflateStream(tr *tapReader, t object.Type, size int64, check bool) (data []byte, err error) {
	zr := ix.zr
	if zr == nil {
		zr, err = zlib.NewReader(tr)
		ix.zr = zr
	} else {
		err = zr.(zlib.Resetter).Reset(tr, nil)
	}
	if err != nil {
		return nil, bad("zlib: %v", err)
	}
	var sink io.Writer = io.Discard
	if t.IsBase() {
		ix.hw.Begin(t, size)
		sink = ix.hw
		if check {
			ix.content.Reset()
			sink = io.MultiWriter(ix.hw, &ix.content)
		}
	}
	n, err := io.CopyBuffer(sink, io.LimitReader(zr, size+1), ix.copyBuf)
	if err != nil {
		return nil, bad("inflate: %v", err)
	}
	if n != size {
		return nil, bad("object inflates to %d bytes, header says %d", n, size)
	}
	// Drain to the end of the zlib stream so its checksum is consumed and verified.
	if extra, err := io.CopyBuffer(io.Discard, zr, ix.copyBuf); err != nil || extra != 0 {
		return nil, bad("zlib stream does not end where the object does")
	}
	zr.Close()
	if check {
		return ix.content.Bytes(), nil
	}
	return nil, nil
}

// phase begins a phase of Options.Progress that will count to total.
func (ix *indexer) phase(total int64) {
	if ix.opt.Progress != nil {
		ix.progMu.Lock()
		ix.done, ix.phaseOf = 0, total
		ix.opt.Progress(0, total)
		ix.progMu.Unlock()
	}
}

// progress counts one more entry received, or one more delta resolved.
func (ix *indexer) progress() { ix.progressBy(1) }

// progressBy counts n more.
func (ix *indexer) progressBy(n int64) {
	if ix.opt.Progress != nil && n > 0 {
		ix.progMu.Lock()
		ix.done += n
		ix.opt.Progress(ix.done, ix.phaseOf)
		ix.progMu.Unlock()
	}
}

// readData inflates entry i's data from the temporary pack, into a buffer from c.
func (ix *indexer) readData(i int, c *bufCache) ([]byte, error) {
	if d := ix.keptDelta(i); d != nil {
		// A copy, as the caller may hand the buffer back to c to be written over.
		ix.countKept()
		return append(c.get(len(d))[:0], d...), nil
	}
	return ix.readAt(ix.entries[i], ix.endOf(i), c, 0)
}

func (ix *indexer) countKept() {
	if w := ix.opt.work; w != nil {
		w.keptReads.Add(1)
	}
}

// readAt inflates the data of entry e, which ends at end, from the temporary pack, into a
// buffer from c; nil if it inflates to more than limit bytes (0: no limit). It reads
// nothing of the indexer's tables, so it may run while they grow (ahead.go).
func (ix *indexer) readAt(e entry, end int64, c *bufCache, limit int64) ([]byte, error) {
	if w := ix.opt.work; w != nil {
		w.inflations.Add(1)
	}
	off := e.off()
	n := end - off
	z := n - int64(e.hdrLen) // zlib bytes
	small := n <= 1<<20
	var raw []byte
	if small {
		raw = c.get(int(n))
		defer c.put(raw)
	} else {
		raw = make([]byte, e.hdrLen)
	}
	if _, err := ix.f.ReadAt(raw, off); err != nil {
		return nil, fmt.Errorf("read entry at %d: %w", off, err)
	}
	_, size, _, err := pack.ReadEntryHeader(bytes.NewReader(raw))
	if err != nil {
		return nil, err
	}
	if size > pack.MaxObjectSize {
		return nil, bad("object too large")
	}
	if limit > 0 && size > limit {
		return nil, nil
	}
	if z <= 0 || size > 1032*z+64 { // deflate cannot expand beyond about 1032:1
		return nil, bad("entry at %d: %d bytes of zlib data cannot inflate to %d", off, z, size)
	}
	buf := c.get(int(size))
	if small {
		if _, err := inflate.Zlib(buf, raw[e.hdrLen:]); err != nil {
			return nil, bad("entry at %d: %v", off, err)
		}
		return buf, nil
	}
	src := bufio.NewReaderSize(io.NewSectionReader(ix.f, off+int64(e.hdrLen), z), 64<<10)
	zr, _ := zreaders.Get().(io.ReadCloser)
	if zr == nil {
		zr, err = zlib.NewReader(src)
	} else {
		err = zr.(zlib.Resetter).Reset(src, nil)
	}
	if err != nil {
		return nil, bad("zlib: %v", err)
	}
	defer zreaders.Put(zr)
	if _, err := io.ReadFull(zr, buf); err != nil {
		return nil, bad("inflate: %v", err)
	}
	return buf, nil
}

// zreaders recycles the zlib readers (each holds a 32 KiB window) that stream entries too
// large to read whole; the others go through package inflate.
var zreaders sync.Pool
