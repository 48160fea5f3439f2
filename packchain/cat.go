package packchain

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"git-remote-object-store/gitpack"
	"git-remote-object-store/gitpack/object"
	"git-remote-object-store/gitpack/pack"
	"git-remote-object-store/store"
)

// ErrNoPath: the path does not exist at the revision asked for.
var ErrNoPath = errors.New("no such path")

// Cat writes one file of the remote at rev (a ref, a branch or tag short name, HEAD, or a
// full commit id) to w without cloning: it reads each pack's .idx and then only the
// ranges of the packs that hold the commit, the trees on the path and the blob. A
// directory is listed the way `git ls-tree` does.
func (e *Engine) Cat(ctx context.Context, rev, path string, w io.Writer) error {
	m, _, err := e.load(ctx)
	if err != nil {
		return err
	}
	start, err := resolveRev(m, rev)
	if err != nil {
		return err
	}
	db := &remoteObjects{ctx: ctx, e: e, m: m, open: map[string]*pack.Pack{}}
	defer db.close()
	h, t, data, err := db.peelToTree(start)
	if err != nil {
		return err
	}
	mode := uint32(0o40000)
	for _, part := range strings.Split(strings.Trim(path, "/"), "/") {
		if part == "" {
			continue
		}
		if t != object.Tree {
			return fmt.Errorf("%s:%s: %w (%s is not a directory)", rev, path, ErrNoPath, part)
		}
		entries, err := gitpack.ParseTree(data, m.Format())
		if err != nil {
			return fmt.Errorf("tree %s: %w", h, err)
		}
		found := false
		for _, en := range entries {
			if en.Name == part {
				h, mode, found = en.Hash, en.Mode, true
				break
			}
		}
		if !found {
			return fmt.Errorf("%s:%s: %w", rev, path, ErrNoPath)
		}
		if mode == 0o160000 {
			return fmt.Errorf("%s:%s is a submodule at commit %s; cat it from that repository", rev, path, h)
		}
		if t, data, err = db.read(h); err != nil {
			return err
		}
	}
	if t == object.Tree {
		entries, err := gitpack.ParseTree(data, m.Format())
		if err != nil {
			return fmt.Errorf("tree %s: %w", h, err)
		}
		for _, en := range entries {
			kind := "blob"
			switch en.Mode {
			case 0o40000:
				kind = "tree"
			case 0o160000:
				kind = "commit"
			}
			if _, err := fmt.Fprintf(w, "%06o %s %s\t%s\n", en.Mode, kind, en.Hash, en.Name); err != nil {
				return err
			}
		}
		return nil
	}
	_, err = w.Write(data)
	return err
}

// resolveRev finds the commit a revision names in the manifest, the way git's short
// names do (refs/<rev>, refs/tags/<rev>, refs/heads/<rev>).
func resolveRev(m *Manifest, rev string) (object.Hash, error) {
	if rev == "" || rev == "HEAD" {
		if id, ok := m.Refs[m.Head]; ok {
			return object.ParseHash(id)
		}
		return object.Hash{}, fmt.Errorf("the remote has no HEAD")
	}
	for _, name := range []string{rev, "refs/" + rev, "refs/tags/" + rev, "refs/heads/" + rev} {
		if id, ok := m.Refs[name]; ok {
			return object.ParseHash(id)
		}
	}
	if h, err := object.ParseHashFormat(rev, m.Format()); err == nil {
		return h, nil
	}
	return object.Hash{}, fmt.Errorf("%q is not a ref of the remote nor a full commit id", rev)
}

// remoteObjects reads objects out of the manifest's packs on the bucket, opening each
// pack (its whole .idx, then ranges of the pack) only when an earlier one lacked the
// object.
type remoteObjects struct {
	ctx    context.Context
	e      *Engine
	m      *Manifest
	open   map[string]*pack.Pack
	opened int
	// waiting is the objects whose reads are under way, each waiting on the REF_DELTA
	// base in another pack that the next one is: a base already in it is a cycle.
	waiting []object.Hash
}

func (db *remoteObjects) close() {
	for _, p := range db.open {
		p.Close()
	}
}

func (db *remoteObjects) pack(i int) (*pack.Pack, error) {
	name := db.m.Packs[i].Name
	if p, ok := db.open[name]; ok {
		return p, nil
	}
	// The pack's real size and its header's object count come first: the index, held
	// in memory, is read only as far as a pack of that size and count can need
	// (pack.ReadIdxFor). The header's block stays in ra's cache for FromReaderAt.
	ra, err := store.NewReaderAt(db.ctx, db.e.st, packKey(name), 64<<10, 256)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", packKey(name), err)
	}
	count, err := pack.ReadCount(ra)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", packKey(name), err)
	}
	rc, _, err := db.e.st.Get(db.ctx, idxKey(name), nil)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", idxKey(name), err)
	}
	idx, err := pack.ReadIdxFor(rc, db.m.Format(), ra.Size(), count)
	rc.Close()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", idxKey(name), err)
	}
	p, err := pack.FromReaderAt(ra, ra.Size(), idx, db.m.Format())
	if err != nil {
		return nil, fmt.Errorf("%s: %w", packKey(name), err)
	}
	db.open[name] = p
	db.opened++
	return p, nil
}

// read returns object h, checking that its content hashes to h (the bucket is outside
// input).
func (db *remoteObjects) read(h object.Hash) (object.Type, []byte, error) {
	return db.readChain(h, 0)
}

// readChain reads h for depth deltas waiting on it (0 when it is asked for directly).
// A delta's base may lie in another pack, so one read can lead through several packs
// and back: bases are followed with the depth counted across packs (pack.ErrDeltaDepth
// past pack.MaxDeltaDepth) and with the objects being resolved remembered, so a base
// that is already one of them is a cycle (pack.ErrDeltaCycle), not endless recursion.
func (db *remoteObjects) readChain(h object.Hash, depth int) (object.Type, []byte, error) {
	if slices.Contains(db.waiting, h) {
		return 0, nil, fmt.Errorf("%w: %s is, through other packs, a delta base of itself", pack.ErrDeltaCycle, h)
	}
	db.waiting = append(db.waiting, h)
	defer func() { db.waiting = db.waiting[:len(db.waiting)-1] }()
	for i := range db.m.Packs {
		p, err := db.pack(i)
		if err != nil {
			return 0, nil, err
		}
		if !p.Has(h) {
			continue
		}
		t, data, err := p.ReadChain(h, depth, db.readChain)
		if err != nil {
			return 0, nil, fmt.Errorf("read %s from %s: %w", h, db.m.Packs[i].Name, err)
		}
		if object.Sum(db.m.Format(), t, data) != h {
			return 0, nil, fmt.Errorf("object %s in %s: content does not match its id (damaged pack)", h, db.m.Packs[i].Name)
		}
		return t, data, nil
	}
	return 0, nil, fmt.Errorf("object %s is in no pack of the remote (damaged manifest; run `git object-store doctor`)", h)
}

// peelToTree follows tags and the commit down to the root tree.
func (db *remoteObjects) peelToTree(h object.Hash) (object.Hash, object.Type, []byte, error) {
	for range 16 {
		t, data, err := db.read(h)
		if err != nil {
			return h, 0, nil, err
		}
		switch t {
		case object.Tree:
			return h, t, data, nil
		case object.Commit:
			if h, _, err = gitpack.ParseCommit(data, db.m.Format()); err != nil {
				return h, 0, nil, fmt.Errorf("commit %s: %w", h, err)
			}
		case object.Tag:
			if h, _, err = gitpack.ParseTag(data, db.m.Format()); err != nil {
				return h, 0, nil, fmt.Errorf("tag %s: %w", h, err)
			}
		default:
			return h, 0, nil, fmt.Errorf("%s is a %s, not a commit", h, t)
		}
	}
	return h, 0, nil, fmt.Errorf("tag chain from %s is too long", h)
}
