package indexer

import (
	"bufio"
	"bytes"
	"cmp"
	"compress/zlib"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"io"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"

	"git-remote-object-store/gitpack/object"
	"git-remote-object-store/gitpack/pack"
)

// resolveAll resolves every delta as a tree from its base: each base is inflated once,
// its children are applied, hashed and descended into, depth first, so only one chain
// of inflated objects is alive at a time per worker. Trees are independent, so they are
// resolved on all cores (a REF delta whose base id appears twice in the pack is claimed
// by whichever tree reaches it first).
func (ix *indexer) resolveAll() error {
	r := newResolver(ix)
	n := len(ix.entries)
	roots := make(chan int, 1024)
	errs := make(chan error, 1)
	var stop atomic.Bool
	var wg sync.WaitGroup
	for range max(1, min(runtime.GOMAXPROCS(0), ix.opt.threads())) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range roots {
				if stop.Load() {
					continue
				}
				if err := r.descend(i, nil, 0); err != nil {
					if stop.CompareAndSwap(false, true) {
						errs <- err
					}
				}
			}
		}()
	}
	for i := 0; i < n; i++ {
		if ix.entries[i].kind.IsBase() && r.hasKids(&ix.entries[i]) {
			roots <- i
		}
	}
	close(roots)
	wg.Wait()
	if stop.Load() {
		return <-errs
	}
	// What is left are REF deltas on bases outside the pack: a thin pack.
	var missing []object.Hash
	seen := map[object.Hash]bool{}
	for i := 0; i < n; i++ {
		e := ix.entries[i]
		if !e.resolved && e.kind == object.RefDelta && !seen[ix.refBases[e.baseOff]] {
			seen[ix.refBases[e.baseOff]] = true
			missing = append(missing, ix.refBases[e.baseOff])
		}
	}
	if len(missing) > 0 {
		if !ix.opt.FixThin || ix.opt.Bases == nil {
			return bad("%d delta bases are not in the pack (a thin pack; first missing %s)", len(missing), missing[0])
		}
		if err := ix.appendBases(r, missing); err != nil {
			return err
		}
	}
	for _, e := range ix.entries {
		if !e.resolved {
			return bad("delta at offset %d could not be resolved (missing or cyclic base)", e.off)
		}
	}
	return nil
}

// ofsKid and refKid index the deltas by base, sorted, so children are found by binary
// search: far smaller than maps of slices on packs of millions of objects.
type ofsKid struct {
	base int64
	i    int32
}

type refKid struct {
	base object.Hash
	i    int32
}

type resolver struct {
	ix      *indexer
	ofs     []ofsKid
	ref     []refKid
	claimed []atomic.Bool
}

func newResolver(ix *indexer) *resolver {
	r := &resolver{ix: ix, claimed: make([]atomic.Bool, len(ix.entries))}
	nofs, nref := 0, 0
	for i := range ix.entries {
		switch ix.entries[i].kind {
		case object.OfsDelta:
			nofs++
		case object.RefDelta:
			nref++
		}
	}
	r.ofs, r.ref = make([]ofsKid, 0, nofs), make([]refKid, 0, nref)
	for i, e := range ix.entries {
		switch e.kind {
		case object.OfsDelta:
			r.ofs = append(r.ofs, ofsKid{e.baseOff, int32(i)})
		case object.RefDelta:
			r.ref = append(r.ref, refKid{ix.refBases[e.baseOff], int32(i)})
		}
	}
	slices.SortFunc(r.ofs, func(a, b ofsKid) int { return cmp.Compare(a.base, b.base) })
	slices.SortFunc(r.ref, func(a, b refKid) int { return a.base.Compare(b.base) })
	return r
}

// kids returns the delta entries whose base is e.
func (r *resolver) kids(e *entry) []int {
	var out []int
	lo, _ := slices.BinarySearchFunc(r.ofs, e.off, func(k ofsKid, off int64) int { return cmp.Compare(k.base, off) })
	for j := lo; j < len(r.ofs) && r.ofs[j].base == e.off; j++ {
		out = append(out, int(r.ofs[j].i))
	}
	if len(r.ref) > 0 && !e.hash.IsZero() {
		lo, _ = slices.BinarySearchFunc(r.ref, e.hash, func(k refKid, h object.Hash) int { return k.base.Compare(h) })
		for j := lo; j < len(r.ref) && r.ref[j].base == e.hash; j++ {
			out = append(out, int(r.ref[j].i))
		}
	}
	return out
}

func (r *resolver) hasKids(e *entry) bool { return len(r.kids(e)) > 0 }

func (r *resolver) descend(i int, data []byte, depth int) error {
	if depth > pack.MaxDeltaDepth {
		return bad("delta chain deeper than %d", pack.MaxDeltaDepth)
	}
	e := &r.ix.entries[i]
	kids := r.kids(e)
	if len(kids) == 0 {
		return nil
	}
	if data == nil {
		var err error
		if data, err = r.ix.readData(e); err != nil {
			return err
		}
	}
	for n, k := range kids {
		if !r.claimed[k].CompareAndSwap(false, true) {
			continue // a REF delta named a base twice in the pack: already done
		}
		child := &r.ix.entries[k]
		delta, err := r.ix.readData(child)
		if err != nil {
			return err
		}
		out, err := pack.ApplyDelta(data, delta)
		if err != nil {
			return fmt.Errorf("delta at offset %d: %w", child.off, err)
		}
		child.typ = e.typ
		child.hash = object.Sum(r.ix.opt.Format, child.typ, out)
		child.resolved = true
		r.ix.progress()
		if n == len(kids)-1 {
			// The base is done with: let it go before descending, so a long chain of
			// single deltas holds one object at a time, not the whole chain.
			data = nil
		}
		if err := r.descend(k, out, depth+1); err != nil {
			return err
		}
	}
	return nil
}

// appendBases completes a thin pack: each missing base is read from the repository,
// appended as a whole object, and its delta children resolved; then the header count
// and the trailer are rewritten.
func (ix *indexer) appendBases(r *resolver, missing []object.Hash) error {
	hs := int64(ix.opt.Format.Size())
	end := int64(12)
	if len(ix.entries) > 0 {
		end = ix.entries[len(ix.entries)-1].end
	}
	if err := ix.f.Truncate(end); err != nil {
		return err
	}
	for _, h := range missing {
		t, data, err := ix.opt.Bases.Read(h)
		if err != nil {
			return bad("thin pack base %s is not in the local repository: %v", h, err)
		}
		if object.Sum(ix.opt.Format, t, data) != h {
			return bad("local object %s does not match its id", h)
		}
		var buf bytes.Buffer
		hdr := pack.AppendEntryHeader(nil, t, int64(len(data)))
		buf.Write(hdr)
		zw := zlib.NewWriter(&buf)
		zw.Write(data)
		zw.Close()
		if _, err := ix.f.WriteAt(buf.Bytes(), end); err != nil {
			return err
		}
		e := entry{off: end, end: end + int64(buf.Len()), crc: crc32.ChecksumIEEE(buf.Bytes()), typ: t, kind: t,
			size: int64(len(data)), hash: h, resolved: true, hdrLen: uint8(len(hdr))}
		ix.entries = append(ix.entries, e)
		r.claimed = append(r.claimed, atomic.Bool{})
		ix.appended++
		end = e.end
		if err := r.descend(len(ix.entries)-1, data, 0); err != nil {
			return err
		}
	}
	var cnt [4]byte
	binary.BigEndian.PutUint32(cnt[:], uint32(len(ix.entries)))
	if _, err := ix.f.WriteAt(cnt[:], 8); err != nil {
		return err
	}
	sum := ix.opt.Format.New()
	if _, err := io.Copy(sum, bufio.NewReaderSize(io.NewSectionReader(ix.f, 0, end), 256<<10)); err != nil {
		return err
	}
	trailer := sum.Sum(nil)
	if _, err := ix.f.WriteAt(trailer, end); err != nil {
		return err
	}
	if err := ix.f.Truncate(end + hs); err != nil {
		return err
	}
	ix.trailer, _ = object.FromBytes(trailer)
	return nil
}
