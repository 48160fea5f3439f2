package bundle

// Which bundle readers use when a ref has several (docs/architecture.md, "Concurrency:
// bundle engine"): the descendant, never the latest by clock alone. Last-Modified has
// one-second resolution on S3 (and is the start of the upload for a multipart one), so
// two bundles of one push can carry the same time, or the ancestor the later one.
//
// Ancestry is proven from two sources, both exact:
//   - the local repository, when it holds the candidate descendant: IsAncestor walks its
//     history and answers yes or no (an error, e.g. a shallow history, is "unknown");
//   - the candidate descendant's own bundle, read from its start by one ranged Get of at
//     most ancestryScanBytes. The header names only the tip (our bundles have no
//     prerequisites), so it cannot say anything about another commit; but the pack
//     starts with the commits, newest first (git pack-objects and this project's packer
//     both write commits and tags before any tree or blob), so a commit pushed a few
//     commits after the other one is found within the first kilobytes. Every commit read
//     is hashed here and only parent links of commits reachable from the tip (the id in
//     the key, which the header must name) count, so a proof is never a guess.
//
// Only "yes" is used from the bundle; running out of the budget, a tree or blob (the
// commits are over), a delta on a base not kept, or damage just leave the question open.
// When no candidate is proven to descend from another (diverged, e.g. after racing force
// pushes, or undecidable), the latest Last-Modified wins, then the lowest id.

import (
	"bufio"
	"compress/zlib"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"git-remote-object-store/gitpack"
	"git-remote-object-store/gitpack/object"
	"git-remote-object-store/gitpack/pack"
	"git-remote-object-store/store"
)

const (
	// ancestryScanBytes bounds the ranged read of one bundle made to prove ancestry.
	ancestryScanBytes = 1 << 20
	// ancestryMaxObject: a larger commit or tag ends the scan (no commit is this large).
	ancestryMaxObject = 1 << 20
	// ancestryMaxInflated bounds the inflated commits kept during one scan.
	ancestryMaxInflated = 8 << 20
)

// candidate is one bundle of a ref being ranked.
type candidate struct {
	info    store.Info
	hash    object.Hash // the key's id; zero when it does not parse
	scanned bool
	reach   map[object.Hash]bool // proven reachable from hash by the bundle's own pack
}

// rankBundles orders the bundles of one ref so that the one readers use comes first, and
// says why it won ("" for a single bundle). bs is not modified.
func (e *Engine) rankBundles(ctx context.Context, bs []store.Info) ([]store.Info, string) {
	if len(bs) < 2 {
		return bs, ""
	}
	n := len(bs)
	cs := make([]*candidate, n)
	for i, b := range bs {
		h, _ := object.ParseHash(bundleHex(b.Key))
		cs[i] = &candidate{info: b, hash: h}
	}
	// desc[i][j]: i's commit is proven to descend from j's.
	desc := make([][]bool, n)
	for i := range desc {
		desc[i] = make([]bool, n)
	}
	for i := range cs {
		for j := i + 1; j < n; j++ {
			// At most one way round can hold: no need to ask the other once one does.
			if desc[i][j] = e.descends(ctx, cs, i, j); !desc[i][j] {
				desc[j][i] = e.descends(ctx, cs, j, i)
			}
		}
	}
	// Take, again and again, the best of the candidates no other remaining one descends
	// from: the descendant first; among unrelated ones the latest, then the lowest id.
	left := make([]int, n)
	for i := range left {
		left[i] = i
	}
	order := make([]int, 0, n)
	for len(left) > 0 {
		best := -1
		for _, i := range left {
			dominated := false
			for _, k := range left {
				dominated = dominated || desc[k][i]
			}
			if !dominated && (best < 0 || before(cs[i].info, cs[best].info)) {
				best = i
			}
		}
		if best < 0 { // a cycle cannot happen (ancestry is acyclic); never loop on one
			best = left[0]
			for _, i := range left[1:] {
				if before(cs[i].info, cs[best].info) {
					best = i
				}
			}
		}
		order = append(order, best)
		for k, i := range left {
			if i == best {
				left = append(left[:k], left[k+1:]...)
				break
			}
		}
	}
	out := make([]store.Info, n)
	for k, i := range order {
		out[k] = bs[i]
	}
	w := order[0]
	why, byClock, byID := "it descends from the others", false, false
	for j := range cs {
		if j != w && !desc[w][j] {
			if cs[j].info.LastModified.Equal(cs[w].info.LastModified) {
				byID = true
			} else {
				byClock = true
			}
		}
	}
	switch {
	case byID:
		why = "ancestry does not decide (diverged, or the commits are not at hand) and the upload times are equal: the lowest id"
	case byClock:
		why = "ancestry does not decide (diverged, or the commits are not at hand): the latest upload"
	}
	return out, why
}

// before orders bundles by clock alone, for when ancestry does not decide: the latest
// Last-Modified first, then the lowest key.
func before(a, b store.Info) bool {
	if !a.LastModified.Equal(b.LastModified) {
		return a.LastModified.After(b.LastModified)
	}
	return a.Key < b.Key
}

// descends reports whether cs[i]'s commit is proven to descend from cs[j]'s.
func (e *Engine) descends(ctx context.Context, cs []*candidate, i, j int) bool {
	x, y := cs[i].hash, cs[j].hash
	if x.IsZero() || y.IsZero() || x == y || x.Format() != y.Format() {
		return false
	}
	if e.repo != nil && e.repo.Has(x) {
		if ok, err := e.repo.IsAncestor(y, x); err == nil {
			return ok // the walk read all of x's history: a definite answer either way
		}
	}
	return e.reachable(ctx, cs, i)[y]
}

// reachable scans cs[i]'s bundle once and returns what it proves reachable from its tip.
func (e *Engine) reachable(ctx context.Context, cs []*candidate, i int) map[object.Hash]bool {
	c := cs[i]
	if c.scanned {
		return c.reach
	}
	c.scanned = true
	var want []object.Hash
	for j, o := range cs {
		if j != i && !o.hash.IsZero() {
			want = append(want, o.hash)
		}
	}
	c.reach = map[object.Hash]bool{c.hash: true}
	rc, _, err := e.st.Get(ctx, c.info.Key, &store.Range{Offset: 0, Length: ancestryScanBytes})
	if err != nil {
		return c.reach // gone (a push finished meanwhile) or unreadable: nothing proven
	}
	defer rc.Close()
	c.reach, _ = proveReachable(rc, c.hash, want)
	return c.reach
}

// errScanEnd: the scan stopped before proving everything it was asked; not damage.
var errScanEnd = errors.New("ancestry scan ended")

// proveReachable reads a bundle from its start and returns the commits (and tags) its
// pack proves reachable from tip: tip itself, and the parents (targets) of every commit
// (tag) reached whose content hashes to its id. It stops once every commit in want is
// reached, at the first tree or blob, or at the end of r; the error says why it stopped
// early (the returned set is valid in every case).
func proveReachable(r io.Reader, tip object.Hash, want []object.Hash) (map[object.Hash]bool, error) {
	reach := map[object.Hash]bool{tip: true}
	done := func() bool {
		for _, w := range want {
			if !reach[w] {
				return false
			}
		}
		return true
	}
	if done() {
		return reach, nil
	}
	br := bufio.NewReaderSize(r, 64<<10)
	h, err := ReadHeader(br)
	if err != nil {
		return reach, err
	}
	f := h.Format
	if tip.Format() != f {
		return reach, fmt.Errorf("%w: a %s bundle named by a %s id", ErrFormat, f, tip.Format())
	}
	named := false
	for _, ref := range h.Refs {
		named = named || ref.Hash == tip
	}
	if !named {
		return reach, fmt.Errorf("%w: the header does not name %s", ErrFormat, tip)
	}
	cr := &countingReader{r: br}
	var hdr [12]byte
	if _, err := io.ReadFull(cr, hdr[:]); err != nil {
		return reach, fmt.Errorf("%w: pack header: %v", ErrFormat, err)
	}
	if v := binary.BigEndian.Uint32(hdr[4:8]); string(hdr[:4]) != "PACK" || v != 2 && v != 3 {
		return reach, fmt.Errorf("%w: not a version 2 or 3 pack", ErrFormat)
	}
	count := binary.BigEndian.Uint32(hdr[8:])

	type kept struct {
		t    object.Type
		data []byte
	}
	byOff := map[int64]kept{}
	byID := map[object.Hash]kept{}
	edges := map[object.Hash][]object.Hash{}
	hasher := object.NewHasher(f)
	var zr io.ReadCloser
	var inflated int64
	propagate := func(id object.Hash) {
		stack := []object.Hash{id}
		for len(stack) > 0 {
			h := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			for _, p := range edges[h] {
				if !reach[p] {
					reach[p] = true
					stack = append(stack, p)
				}
			}
		}
	}
	for range count {
		off := cr.n
		t, size, _, err := pack.ReadEntryHeader(cr)
		if err != nil {
			return reach, err
		}
		var base *kept
		switch t {
		case object.Commit, object.Tag:
		case object.OfsDelta:
			d, _, err := pack.ReadOfsDistance(cr)
			if err != nil {
				return reach, err
			}
			b, ok := byOff[off-d]
			if !ok {
				return reach, fmt.Errorf("%w: a delta on an object that is not a commit", errScanEnd)
			}
			base = &b
		case object.RefDelta:
			raw := make([]byte, f.Size())
			if _, err := io.ReadFull(cr, raw); err != nil {
				return reach, err
			}
			id, err := object.FromBytes(raw)
			if err != nil {
				return reach, err
			}
			b, ok := byID[id]
			if !ok {
				return reach, fmt.Errorf("%w: a delta on an object that is not a commit", errScanEnd)
			}
			base = &b
		default:
			return reach, fmt.Errorf("%w: the commits are over", errScanEnd)
		}
		if inflated += size; size > ancestryMaxObject || inflated > ancestryMaxInflated {
			return reach, fmt.Errorf("%w: too large", errScanEnd)
		}
		data := make([]byte, size)
		if zr == nil {
			zr, err = zlib.NewReader(cr)
		} else {
			err = zr.(zlib.Resetter).Reset(cr, nil)
		}
		if err == nil {
			_, err = io.ReadFull(zr, data)
		}
		if err == nil { // the stream must end here (this also reads its checksum)
			var one [1]byte
			if n, rerr := zr.Read(one[:]); n != 0 || rerr != io.EOF {
				err = fmt.Errorf("%w: entry longer than its header says", ErrFormat)
			}
		}
		if err != nil {
			return reach, err
		}
		if base != nil {
			if _, dst, _, err := pack.DeltaSizes(data); err != nil || dst > ancestryMaxObject {
				return reach, fmt.Errorf("%w: a delta too large or damaged", errScanEnd)
			}
			if data, err = pack.ApplyDelta(base.data, data); err != nil {
				return reach, err
			}
			t = base.t
		}
		if t != object.Commit && t != object.Tag {
			return reach, fmt.Errorf("%w: the commits are over", errScanEnd)
		}
		id := hasher.Sum(t, data)
		k := kept{t, data}
		byOff[off], byID[id] = k, k
		if t == object.Commit {
			_, parents, err := gitpack.ParseCommit(data, f)
			if err != nil {
				return reach, err
			}
			edges[id] = parents
		} else {
			target, _, err := gitpack.ParseTag(data, f)
			if err != nil {
				return reach, err
			}
			edges[id] = []object.Hash{target}
		}
		if reach[id] {
			propagate(id)
			if done() {
				return reach, nil
			}
		}
	}
	return reach, fmt.Errorf("%w: the pack ended", errScanEnd)
}

// countingReader counts the bytes read through it, for OFS_DELTA offsets; it is an
// io.ByteReader so zlib never reads past the end of an entry.
type countingReader struct {
	r *bufio.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

func (c *countingReader) ReadByte() (byte, error) {
	b, err := c.r.ReadByte()
	if err == nil {
		c.n++
	}
	return b, err
}
