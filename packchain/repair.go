package packchain

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"git-remote-object-store/engine"
	"git-remote-object-store/gitpack/object"
	"git-remote-object-store/store"
)

// A manifest that names a pack missing from the bucket (deleted by hand, lost by a
// store, or by an older gc that raced a push) makes every clone fail. Any clone that has
// the pack's commits can put it back: the pack is written again from the local objects
// (tips --not the prereqs it has), uploaded, and swapped in for the missing one. Every
// push does this, and so does doctor --fix run inside a clone.

// errCannotRebuild: the local repository lacks a commit the missing pack carried.
var errCannotRebuild = errors.New("this repository lacks its commits")

// listPacks returns the .pack keys on the bucket, by pack name.
func (e *Engine) listPacks(ctx context.Context) (map[string]bool, error) {
	have := map[string]bool{}
	err := e.st.List(ctx, PacksPrefix, func(i store.Info) error {
		if name, ok := strings.CutSuffix(strings.TrimPrefix(i.Key, PacksPrefix), ".pack"); ok {
			have[name] = true
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", PacksPrefix, err)
	}
	return have, nil
}

// missingPacks returns the packs m names that are not on the bucket. listed is one
// listing; a pack it does not show (named since, by another push) is checked with Head
// rather than taken for missing.
func (e *Engine) missingPacks(ctx context.Context, m *Manifest, listed map[string]bool) ([]PackEntry, error) {
	var out []PackEntry
	for _, p := range m.Packs {
		if listed[p.Name] {
			continue
		}
		_, err := e.st.Head(ctx, packKey(p.Name))
		switch {
		case err == nil:
			listed[p.Name] = true
		case store.IsNotFound(err):
			out = append(out, p)
		default:
			return nil, fmt.Errorf("check %s: %w", packKey(p.Name), err)
		}
	}
	return out, nil
}

// rebuiltPack is a missing pack written again: the entry that replaces it, and when its
// upload started (the push window applies to it as to any new pack).
type rebuiltPack struct {
	entry *PackEntry
	up    upload
}

// rebuildable checks that the local repository has every tip of p, and returns the
// prerequisites of p it has (the rebuilt pack leaves out what those reach).
func (e *Engine) rebuildable(p PackEntry) ([]object.Hash, error) {
	for _, t := range hashes(p.Tips) {
		if !e.repo.Has(t) {
			return nil, fmt.Errorf("%w (%s)", errCannotRebuild, t)
		}
	}
	var prereqs []object.Hash
	for _, q := range hashes(p.Prereqs) {
		if e.repo.Has(q) {
			prereqs = append(prereqs, q)
		}
	}
	return prereqs, nil
}

// rebuildPack writes the missing pack p again from the local repository and uploads it.
// The new pack may differ in bytes (and so in name) from the lost one, but holds the same
// objects, or more when this repository lacks some of p's prerequisites.
func (e *Engine) rebuildPack(ctx context.Context, m *Manifest, p PackEntry, o engine.Options) (rebuiltPack, error) {
	prereqs, err := e.rebuildable(p)
	if err != nil {
		return rebuiltPack{}, err
	}
	entry, up, err := e.uploadPack(ctx, m, hashes(p.Tips), prereqs, o)
	if err != nil {
		return rebuiltPack{}, fmt.Errorf("rebuild %s: %w", p.Name, err)
	}
	if entry == nil {
		return rebuiltPack{}, fmt.Errorf("rebuild %s: %w (no objects)", p.Name, errCannotRebuild)
	}
	return rebuiltPack{entry: entry, up: up}, nil
}

// replacePack puts rebuilt in old's place in m (or drops old when m names rebuilt already).
func replacePack(m *Manifest, old string, rebuilt PackEntry) {
	for i, p := range m.Packs {
		if p.Name != old {
			continue
		}
		if old != rebuilt.Name && m.HasPack(rebuilt.Name) {
			m.Packs = append(m.Packs[:i], m.Packs[i+1:]...)
		} else {
			m.Packs[i] = rebuilt
		}
		return
	}
}

// repairer rebuilds, within one push, the packs its manifests name but the bucket lacks.
type repairer struct {
	e      *Engine
	listed map[string]bool
	done   map[string]rebuiltPack // by missing pack name
	warned map[string]bool
}

// apply rebuilds what next names but the bucket lacks (reusing this push's earlier
// rebuilds while they are fresh) and swaps the rebuilt packs in. It returns the uploads
// the coming CAS depends on.
func (r *repairer) apply(ctx context.Context, base, next *Manifest, window time.Duration, o engine.Options) ([]upload, error) {
	e := r.e
	if r.listed == nil {
		listed, err := e.listPacks(ctx)
		if err != nil {
			return nil, err
		}
		r.listed, r.done, r.warned = listed, map[string]rebuiltPack{}, map[string]bool{}
	}
	missing, err := e.missingPacks(ctx, next, r.listed)
	if err != nil {
		return nil, err
	}
	var ups []upload
	for _, p := range missing {
		rb, ok := r.done[p.Name]
		if !ok || !rb.up.fresh(window) {
			rb, err = e.rebuildPack(ctx, base, p, o)
			if err != nil && ctx.Err() != nil {
				return nil, err
			}
			if err != nil {
				// This push goes on without the repair: it is not what the user asked
				// for, and another clone may be able to do it.
				if !r.warned[p.Name] {
					r.warned[p.Name] = true
					fmt.Fprintf(e.warn, "warning: the remote's manifest names %s, which is missing from the bucket, and this clone cannot write it again: %v; a clone that has those commits repairs it by pushing\n", packKey(p.Name), err)
				}
				continue
			}
			r.done[p.Name] = rb
			fmt.Fprintf(e.warn, "warning: the remote's manifest named %s, which was missing from the bucket; uploaded its objects again as %s\n", packKey(p.Name), rb.entry.Name)
		}
		replacePack(next, p.Name, *rb.entry)
		ups = append(ups, rb.up)
	}
	return ups, nil
}
