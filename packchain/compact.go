package packchain

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"time"

	"git-remote-object-store/engine"
	"git-remote-object-store/gitpack"
	"git-remote-object-store/gitpack/object"
)

// errOvertaken: another compaction replaced the packs this one merged.
var errOvertaken = errors.New("another compaction finished first")

// Compact merges the manifest's packs into one holding exactly the objects the refs
// reach, when it names more than co.MaxPacks packs (0: always, which also drops what
// deleted branches left behind). The packs are gathered into a scratch repository in
// co.TmpDir, written out again as one pack (stored deltas reused), uploaded with its .idx,
// and swapped in by compare-and-swap. Pushes that land meanwhile keep their packs: they
// build on commits the merged pack holds. The merged-away packs are listed as retired
// and deleted later by gc, once no fetch can still be reading them.
func (e *Engine) Compact(ctx context.Context, co engine.CompactOptions) (engine.CompactResult, error) {
	maxPacks, tmpDir, o := co.MaxPacks, co.TmpDir, engine.Options{Progress: co.Progress}
	m, _, err := e.load(ctx)
	if err != nil {
		return engine.CompactResult{}, err
	}
	res := engine.CompactResult{Before: len(m.Packs)}
	if len(m.Packs) == 0 || len(m.Packs) <= maxPacks {
		return res, nil
	}
	dir, err := os.MkdirTemp(tmpDir, "git-object-store-compact-")
	if err != nil {
		return res, err
	}
	defer os.RemoveAll(dir)
	scratch, err := gitpack.InitBare(dir, m.Format())
	if err != nil {
		return res, err
	}
	defer scratch.Close()
	se := e.with(scratch)
	if err := se.download(ctx, m.Packs, o); err != nil {
		return res, fmt.Errorf("compact: %w", err)
	}
	var tips []object.Hash
	for _, id := range m.Refs {
		h, err := object.ParseHash(id)
		if err != nil || slices.Contains(tips, h) {
			continue
		}
		if !scratch.Has(h) {
			return res, fmt.Errorf("compact: ref tip %s is in no pack (damaged remote; run `git object-store doctor`)", h)
		}
		tips = append(tips, h)
	}
	slices.SortFunc(tips, object.Hash.Compare)
	merged := map[string]bool{}
	for _, p := range m.Packs {
		merged[p.Name] = true
	}
	var entry *PackEntry
	var up upload
	if len(tips) > 0 {
		if entry, up, err = se.uploadPack(ctx, m, tips, nil, o); err != nil {
			return res, fmt.Errorf("compact: %w", err)
		}
	}
	// The merged pack may be named only within the push window of its upload (window.go);
	// a compaction that ran out of it gives up, and the next one starts afresh.
	window := PushWindow()
	ctx, cancel := up.deadline(ctx, window)
	defer cancel()
	now := time.Now().UTC().Truncate(time.Second)
	err = e.update(ctx, func(next *Manifest) error {
		if !slices.ContainsFunc(next.Packs, func(p PackEntry) bool { return merged[p.Name] }) {
			return errOvertaken
		}
		if entry != nil && !next.HasPack(entry.Name) && !up.fresh(window) {
			return fmt.Errorf("the merged pack %s was uploaded more than half the push window (%s) ago; run compact again", entry.Name, window)
		}
		var keep []PackEntry
		for _, p := range next.Packs {
			if merged[p.Name] && (entry == nil || p.Name != entry.Name) {
				next.Retired = append(next.Retired, Retired{Name: p.Name, Since: now})
			} else {
				keep = append(keep, p)
			}
		}
		if entry != nil && !slices.ContainsFunc(keep, func(p PackEntry) bool { return p.Name == entry.Name }) {
			keep = append(keep, *entry) // the oldest: every newer pack builds on it
			next.Retired = slices.DeleteFunc(next.Retired, func(r Retired) bool { return r.Name == entry.Name })
		}
		next.Packs = keep
		return nil
	})
	if err != nil {
		return res, fmt.Errorf("compact: %w", err)
	}
	if entry != nil {
		res.Pack, res.Objects, res.Size = entry.Name, entry.Objects, entry.Size
	}
	return res, nil
}
