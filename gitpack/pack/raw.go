package pack

import (
	"bufio"
	"fmt"
	"hash/crc32"
	"io"
	"sort"
	"sync"

	"git-remote-object-store/gitpack/object"
)

// Entry describes one stored entry, for copying it into another pack without inflating it.
type Entry struct {
	Offset   int64 // start of the entry header
	End      int64 // first byte after the entry
	Kind     object.Type
	Size     int64 // inflated size (of the delta, for deltas)
	Data     int64 // start of the zlib data
	BaseOff  int64 // OFS_DELTA base offset
	BaseHash object.Hash
	CRC      uint32 // from the index
}

// Entry returns the entry of the i-th object of the index.
func (p *Pack) Entry(i int) (Entry, error) {
	off := p.Idx.Offset(i)
	e, err := p.entryAt(off)
	if err != nil {
		return Entry{}, err
	}
	end, err := p.entryEnd(off)
	if err != nil {
		return Entry{}, err
	}
	out := Entry{Offset: off, End: end, Kind: e.t, Size: e.size, Data: e.data, BaseOff: e.baseOff, BaseHash: e.baseHash, CRC: p.Idx.CRC(i)}
	if out.Kind == object.OfsDelta {
		h, ok := p.HashAt(e.baseOff)
		if !ok {
			return Entry{}, fmt.Errorf("%w: delta base offset %d is not an object", ErrCorrupt, e.baseOff)
		}
		out.BaseHash = h
	}
	return out, nil
}

// Entries returns the entries of the index positions is (in that order). They are read
// in pack order through one large sequential buffer: a pack writer planning reuse needs
// the header of every object, and one read per header was as slow as the copying itself.
// Entries far apart (a few objects of a large pack, read by range from a bucket) are
// read with a small buffer that skips the gaps instead of reading through them.
// sparseGap is the mean distance between wanted entries above which Entries stops
// reading through the gaps.
const sparseGap = 16 << 10

// Entries reads in two halves at once from entriesSplitCount entries spread over
// entriesSplitSpan bytes (variables for tests).
var (
	entriesSplitCount       = 4096
	entriesSplitSpan  int64 = 16 << 20
)

func (p *Pack) Entries(is []int) ([]Entry, error) {
	out := make([]Entry, len(is))
	if len(is) == 0 {
		return out, nil
	}
	// Pack order without sorting: mark each wanted entry's rank among the pack's
	// offsets, then read the marks in order.
	offs, _ := p.offsets()
	ranks := p.ranks()
	want := make([]int32, len(offs)) // k+1 at the rank of is[k]
	for k, i := range is {
		if i < 0 || i >= len(ranks) {
			return nil, fmt.Errorf("%w: index position %d of %d", ErrCorrupt, i, len(ranks))
		}
		want[ranks[i]] = int32(k) + 1
	}
	order := make([]int32, 0, len(is)) // ranks, in pack order
	for r, k := range want {
		if k != 0 {
			order = append(order, int32(r))
		}
	}
	if len(order) != len(is) {
		return nil, fmt.Errorf("entries: an index position is asked for twice")
	}
	// Two halves of the bytes, read at once: a first push reads every header of a pack
	// of hundreds of megabytes.
	cut := len(order)
	if span := offs[order[len(order)-1]] - offs[order[0]]; len(order) >= entriesSplitCount && span >= entriesSplitSpan {
		mid := offs[order[0]] + span/2
		cut = sort.Search(len(order), func(j int) bool { return offs[order[j]] >= mid })
	}
	var wg sync.WaitGroup
	var errs [2]error
	if cut < len(order) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[1] = p.readEntries(order[cut:], want, is, out)
		}()
	}
	errs[0] = p.readEntries(order[:cut], want, is, out)
	wg.Wait()
	if errs[0] != nil {
		return nil, errs[0]
	}
	if errs[1] != nil {
		return nil, errs[1]
	}
	return out, nil
}

// readEntries fills out for the entries at ranks order (ascending), which want maps to
// their place in is and out.
func (p *Pack) readEntries(order []int32, want []int32, is []int, out []Entry) error {
	offs, _ := p.offsets()
	start := offs[order[0]]
	bufSize := 1 << 20
	if span := offs[order[len(order)-1]] - start; span/int64(len(order)) > sparseGap {
		bufSize = 16 << 10
	}
	br := bufio.NewReaderSize(io.NewSectionReader(p.f, start, p.size-start), bufSize)
	pos := start
	hs := p.fmt.Size()
	trailer := p.size - int64(hs)
	for _, r := range order {
		k := want[r] - 1
		i := is[k]
		off := offs[r]
		if off < pos {
			return fmt.Errorf("%w: entry offsets overlap at %d", ErrCorrupt, off)
		}
		if off-pos > int64(bufSize) {
			br.Reset(io.NewSectionReader(p.f, off, p.size-off))
			pos = off
		}
		if _, err := br.Discard(int(off - pos)); err != nil {
			return fmt.Errorf("%w: entry at %d: %v", ErrCorrupt, off, err)
		}
		t, size, n, err := ReadEntryHeader(br)
		if err != nil {
			return fmt.Errorf("entry at %d: %w", off, err)
		}
		pos = off + int64(n)
		e := Entry{Offset: off, Kind: t, Size: size, CRC: p.Idx.CRC(i), End: trailer}
		if int(r)+1 < len(offs) {
			e.End = offs[r+1]
		}
		switch t {
		case object.OfsDelta:
			d, m, err := ReadOfsDistance(br)
			if err != nil {
				return fmt.Errorf("entry at %d: %w", off, err)
			}
			pos += int64(m)
			if d <= 0 || d >= off {
				return fmt.Errorf("%w: delta base offset out of range at %d", ErrCorrupt, off)
			}
			e.BaseOff = off - d
			h, ok := p.HashAt(e.BaseOff)
			if !ok {
				return fmt.Errorf("%w: delta base offset %d is not an object", ErrCorrupt, e.BaseOff)
			}
			e.BaseHash = h
		case object.RefDelta:
			raw := make([]byte, hs)
			if _, err := io.ReadFull(br, raw); err != nil {
				return fmt.Errorf("%w: truncated delta base id at %d", ErrCorrupt, off)
			}
			pos += int64(hs)
			e.BaseHash, _ = object.FromBytes(raw)
		}
		e.Data = pos
		if e.End <= e.Data {
			return fmt.Errorf("%w: empty entry at %d", ErrCorrupt, off)
		}
		out[k] = e
	}
	return nil
}

// offsets is the pack's entry offsets in pack order, with the index position of each.
func (p *Pack) offsets() ([]int64, []int) {
	p.offsOnce.Do(func() {
		n := p.Idx.Count()
		pos := make([]int, n)
		for i := range pos {
			pos[i] = i
		}
		sort.Slice(pos, func(a, b int) bool { return p.Idx.Offset(pos[a]) < p.Idx.Offset(pos[b]) })
		offs := make([]int64, n)
		for k, i := range pos {
			offs[k] = p.Idx.Offset(i)
		}
		p.sortedOffs, p.offPos = offs, pos
	})
	return p.sortedOffs, p.offPos
}

// ranks is, for each index position, the rank of its entry in pack order.
func (p *Pack) ranks() []int32 {
	p.ranksOnce.Do(func() {
		_, pos := p.offsets()
		p.rankOf = make([]int32, len(pos))
		for r, i := range pos {
			p.rankOf[i] = int32(r)
		}
	})
	return p.rankOf
}

// entryEnd is where the entry at off ends: the next entry, or the trailer.
func (p *Pack) entryEnd(off int64) (int64, error) {
	offs, _ := p.offsets()
	k := sort.Search(len(offs), func(k int) bool { return offs[k] > off })
	if k < len(offs) {
		return offs[k], nil
	}
	return p.size - int64(p.fmt.Size()), nil
}

// HashAt returns the id of the object whose entry starts at off.
func (p *Pack) HashAt(off int64) (object.Hash, bool) {
	offs, pos := p.offsets()
	k := sort.Search(len(offs), func(k int) bool { return offs[k] >= off })
	if k < len(offs) && offs[k] == off {
		return p.Idx.Hash(pos[k]), true
	}
	return object.Hash{}, false
}

// MaxSmallEntry is the largest entry EntryData reads into memory.
const MaxSmallEntry = 1 << 20

// EntryData reads a small entry (at most MaxSmallEntry bytes, header included) with one
// read, checks it against the index's CRC-32 and returns its zlib data. It reads the
// entry alone, not through the chunks a walk reads through: a pack writer copies entries
// in its own order, scattered over the stored pack, so nearly every read missed them and
// copied 64 KiB for a few hundred bytes (an eighth of a first push's time).
func (p *Pack) EntryData(e Entry) ([]byte, error) {
	if !small(e) {
		return nil, fmt.Errorf("%w: entry at %d is not a small entry", ErrCorrupt, e.Offset)
	}
	buf := make([]byte, e.End-e.Offset)
	if _, err := p.f.ReadAt(buf, e.Offset); err != nil {
		return nil, err
	}
	if crc32.ChecksumIEEE(buf) != e.CRC {
		return nil, fmt.Errorf("%w: CRC mismatch for the entry at %d", ErrCorrupt, e.Offset)
	}
	return buf[e.Data-e.Offset:], nil
}

// small reports whether e is a well-formed entry EntryData reads.
func small(e Entry) bool {
	n := e.End - e.Offset
	return n > 0 && n <= MaxSmallEntry && e.Data >= e.Offset && e.Data <= e.End
}

// readGap is the most ReadEntries reads and throws away between two entries to read
// them in one call: a system call costs more than copying a few KiB.
const readGap = 4 << 10

// ReadEntries is EntryData for many small entries at once: es must be sorted by offset,
// and data[k] gets the zlib data of es[k]. Entries close together are read with one
// call (up to readGap apart, up to MaxSmallEntry a read), each checked against its CRC-32.
// A pack writer reading entries one call each spent a seventh of a first push in the
// kernel.
func (p *Pack) ReadEntries(es []Entry, data [][]byte) error {
	for k := 0; k < len(es); {
		start, end := es[k].Offset, es[k].End
		j := k + 1
		if small(es[k]) {
			for ; j < len(es); j++ {
				e := es[j]
				if !small(e) || e.Offset < end || e.Offset-end > readGap || e.End-start > MaxSmallEntry {
					break
				}
				end = e.End
			}
		}
		if j == k+1 { // alone, or malformed: EntryData reads it or says what is wrong
			d, err := p.EntryData(es[k])
			if err != nil {
				return err
			}
			data[k] = d
			k = j
			continue
		}
		buf := make([]byte, end-start)
		if _, err := p.f.ReadAt(buf, start); err != nil {
			return err
		}
		for ; k < j; k++ {
			e := es[k]
			raw := buf[e.Offset-start : e.End-start : e.End-start]
			if crc32.ChecksumIEEE(raw) != e.CRC {
				return fmt.Errorf("%w: CRC mismatch for the entry at %d", ErrCorrupt, e.Offset)
			}
			data[k] = raw[e.Data-e.Offset:]
		}
	}
	return nil
}

// CopyData copies the zlib data of e (from Data to End) to w after checking the whole
// raw entry against the index's CRC-32, so a damaged pack is never copied onward.
func (p *Pack) CopyData(w io.Writer, e Entry) error {
	if e.End-e.Offset <= MaxSmallEntry {
		// Small entries (nearly all): one read, checked and copied from memory.
		data, err := p.EntryData(e)
		if err != nil {
			return err
		}
		_, err = w.Write(data)
		return err
	}
	raw := io.NewSectionReader(p.f, e.Offset, e.End-e.Offset)
	crc := crc32.NewIEEE()
	if _, err := io.Copy(crc, raw); err != nil {
		return err
	}
	if crc.Sum32() != e.CRC {
		return fmt.Errorf("%w: CRC mismatch for the entry at %d", ErrCorrupt, e.Offset)
	}
	_, err := io.Copy(w, io.NewSectionReader(p.f, e.Data, e.End-e.Data))
	return err
}
