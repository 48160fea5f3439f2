package packchain

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"git-remote-object-store/engine"
	"git-remote-object-store/gitpack"
	"git-remote-object-store/gitpack/object"
	"git-remote-object-store/gitpack/pack"
	"git-remote-object-store/internal/quote"
	"git-remote-object-store/store"
)

// Doctor inspects the packchain layout: the manifest decodes; every pack it names is on
// the bucket at the size it records, with an .idx that parses; every ref tip is in some
// pack; HEAD names a ref; ref names are valid. Packs nobody names are reported as notes
// (gc deletes them after the grace). o.TmpDir holds the scratch repository a missing
// .idx is rebuilt in by --fix ("" = the system's temp dir).
func (e *Engine) Doctor(ctx context.Context, o engine.DoctorOptions) (engine.Diagnosis, error) {
	findings, notes, err := e.doctor(ctx, o.TmpDir)
	return engine.Diagnosis{Findings: findings, Notes: notes}, err
}

func (e *Engine) doctor(ctx context.Context, tmpDir string) (findings []engine.Finding, notes []string, err error) {
	m, _, err := e.load(ctx)
	if err != nil {
		return nil, nil, err
	}
	sizes := map[string]int64{}
	err = e.st.List(ctx, PacksPrefix, func(i store.Info) error {
		sizes[strings.TrimPrefix(i.Key, PacksPrefix)] = i.Size
		return nil
	})
	if err != nil {
		return nil, nil, fmt.Errorf("list %s: %w", PacksPrefix, err)
	}
	var idxs []*pack.Idx
	for _, p := range m.Packs {
		size, ok := sizes[p.Name+".pack"]
		switch {
		case !ok:
			findings = append(findings, e.missingPackFinding(p))
			continue
		case p.Size > 0 && size != p.Size:
			findings = append(findings, engine.Finding{What: fmt.Sprintf("%s is %d bytes, the manifest says %d (damaged); push again from a clone that has its commits", quote.C(packKey(p.Name)), size, p.Size)})
			continue
		}
		if _, ok := sizes[p.Name+".idx"]; !ok {
			findings = append(findings, engine.Finding{
				What: fmt.Sprintf("%s is missing (cat cannot read that pack; fetches still work)", quote.C(idxKey(p.Name))),
				Fix:  func(ctx context.Context) error { return e.rebuildIdx(ctx, p, tmpDir) },
			})
			continue
		}
		idx, err := e.readIdx(ctx, p.Name, m.Format(), size)
		if err != nil {
			findings = append(findings, engine.Finding{
				What: fmt.Sprintf("%s: %v", quote.C(idxKey(p.Name)), err),
				Fix:  func(ctx context.Context) error { return e.rebuildIdx(ctx, p, tmpDir) },
			})
			continue
		}
		idxs = append(idxs, idx)
	}
	names := make([]string, 0, len(m.Refs))
	for name := range m.Refs {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if err := gitpack.CheckRefName(name); err != nil || name == "HEAD" {
			findings = append(findings, engine.Finding{What: fmt.Sprintf("ref %s in the manifest is not a valid ref name; clients ignore it", trim(quote.Q(name)))})
			continue
		}
		h, _ := object.ParseHash(m.Refs[name])
		found := false
		for _, x := range idxs {
			if x.Find(h) >= 0 {
				found = true
				break
			}
		}
		if !found && len(idxs) == len(m.Packs) {
			findings = append(findings, engine.Finding{What: fmt.Sprintf("%s points at %s, which is in no pack; fetches of it fail (push it again from a clone that has it)", quote.C(name), h)})
		}
	}
	if _, ok := m.Refs[m.Head]; !ok && len(m.Refs) > 0 {
		head := engine.PickHead(names)
		findings = append(findings, engine.Finding{
			What: fmt.Sprintf("HEAD is %s, which is not a ref of the remote (--fix points it at %s)", trim(quote.Q(m.Head)), quote.C(head)),
			Fix: func(ctx context.Context) error {
				return e.update(ctx, func(next *Manifest) error {
					if _, ok := next.Refs[next.Head]; ok {
						return errNoChange
					}
					var names []string
					for n := range next.Refs {
						names = append(names, n)
					}
					sort.Strings(names)
					next.Head = engine.PickHead(names)
					return nil
				})
			},
		})
	}
	named := map[string]bool{}
	for _, p := range m.Packs {
		named[p.Name] = true
	}
	retired := map[string]bool{}
	for _, r := range m.Retired {
		retired[r.Name] = true
	}
	var stray, old int
	var strayBytes int64
	for key, size := range sizes {
		name, ok := strings.CutSuffix(key, ".pack")
		if !ok || named[name] {
			continue
		}
		if retired[name] {
			old++
		} else {
			stray++
			strayBytes += size
		}
	}
	if old > 0 {
		notes = append(notes, fmt.Sprintf("%d pack(s) retired by compaction await gc", old))
	}
	if stray > 0 {
		notes = append(notes, fmt.Sprintf("%d stray pack(s), %d bytes, from lost races or interrupted pushes; gc deletes them after the grace", stray, strayBytes))
	}
	return findings, notes, nil
}

// missingPackFinding reports a pack the manifest names but the bucket lacks. Run inside a
// clone that has the pack's commits, --fix writes it again from there (repair.go).
func (e *Engine) missingPackFinding(p PackEntry) engine.Finding {
	f := engine.Finding{What: fmt.Sprintf("%s is named by the manifest but missing from the bucket; clones and fetches of its commits fail. Run doctor --fix inside a clone that has its commits (%s), or push from one",
		quote.C(packKey(p.Name)), strings.Join(shortIDs(p.Tips), ", "))}
	if e.repo == nil {
		return f
	}
	if _, err := e.rebuildable(p); err != nil {
		f.What += fmt.Sprintf(" (this clone cannot: %v)", err)
		return f
	}
	f.Fix = func(ctx context.Context) error {
		m, _, err := e.load(ctx)
		if err != nil {
			return err
		}
		rb, err := e.rebuildPack(ctx, m, p, engine.Options{})
		if err != nil {
			return err
		}
		// Named like any new pack: within the push window of its upload (window.go).
		window := PushWindow()
		ctx, cancel := rb.up.deadline(ctx, window)
		defer cancel()
		return e.update(ctx, func(next *Manifest) error {
			if !next.HasPack(p.Name) {
				return errNoChange
			}
			if !next.HasPack(rb.entry.Name) && !rb.up.fresh(window) {
				return fmt.Errorf("the rebuilt pack %s was uploaded more than half the push window (%s) ago; run doctor --fix again", rb.entry.Name, window)
			}
			replacePack(next, p.Name, *rb.entry)
			return nil
		})
	}
	return f
}

func shortIDs(ids []string) []string {
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		out = append(out, id[:min(len(id), 12)])
	}
	return out
}

// readIdx reads the index of the pack name, of packSize bytes, no further than a pack of
// that size and of its header's object count can need (pack.ReadIdxFor): an index on the
// bucket is outside input, and a junk one must not be held whole.
func (e *Engine) readIdx(ctx context.Context, name string, f object.Format, packSize int64) (*pack.Idx, error) {
	rc, _, err := e.st.Get(ctx, packKey(name), &store.Range{Offset: 0, Length: 12})
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", packKey(name), err)
	}
	var hdr [12]byte
	_, err = io.ReadFull(rc, hdr[:])
	rc.Close()
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("read %s: %w", packKey(name), err)
	}
	count, err := pack.ReadCount(bytes.NewReader(hdr[:]))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", packKey(name), err)
	}
	if rc, _, err = e.st.Get(ctx, idxKey(name), nil); err != nil {
		return nil, fmt.Errorf("read %s: %w", idxKey(name), err)
	}
	defer rc.Close()
	return pack.ReadIdxFor(rc, f, packSize, count)
}

// rebuildIdx downloads a pack into a scratch repository, indexes it (checking every
// object) and uploads the index beside it.
func (e *Engine) rebuildIdx(ctx context.Context, p PackEntry, tmpDir string) error {
	m, _, err := e.load(ctx)
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp(tmpDir, "git-object-store-doctor-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	scratch, err := gitpack.InitBare(dir, m.Format())
	if err != nil {
		return err
	}
	defer scratch.Close()
	if err := e.with(scratch).fetchPack(ctx, p, engine.Options{}); err != nil {
		return err
	}
	// Installed under its trailer, which is not the bucket's name when that is the set
	// name: the scratch repository holds this one pack.
	idx, err := filepath.Glob(filepath.Join(scratch.ObjectDir(), "pack", "pack-*.idx"))
	if err != nil || len(idx) != 1 {
		return fmt.Errorf("rebuild %s: %d indexes in the scratch repository (%v)", idxKey(p.Name), len(idx), err)
	}
	_, err = e.putFile(ctx, idxKey(p.Name), idx[0], false, engine.Options{})
	return err
}
