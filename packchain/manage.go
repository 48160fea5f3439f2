package packchain

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"git-remote-object-store/engine"
	"git-remote-object-store/gitpack"
	"git-remote-object-store/store"
)

// errNoChange from an update function: leave the manifest as it is.
var errNoChange = errors.New("no change")

// update applies fn to the manifest with compare-and-swap, retrying lost races.
func (e *Engine) update(ctx context.Context, fn func(m *Manifest) error) error {
	for try := 0; try < maxCASTries; try++ {
		m, etag, err := e.load(ctx)
		if err != nil {
			return err
		}
		next := m.Clone()
		if err := fn(next); errors.Is(err, errNoChange) {
			return nil
		} else if err != nil {
			return err
		}
		if etag == "" {
			e.writeFormat(ctx)
		}
		err = e.putManifest(ctx, next, etag)
		if err == nil {
			return nil
		}
		if !errors.Is(err, store.ErrPrecondition) && !errors.Is(err, store.ErrNotFound) {
			return err
		}
		if err := casPause(ctx, try); err != nil {
			return err
		}
	}
	return fmt.Errorf("update manifest: lost the compare-and-swap %d times in a row; try again", maxCASTries)
}

// SetProtected adds or removes ref from the manifest's protected list.
func (e *Engine) SetProtected(ctx context.Context, ref string, on bool) error {
	if err := gitpack.CheckRefName(ref); err != nil {
		return err
	}
	return e.update(ctx, func(m *Manifest) error {
		m.Protected = slices.DeleteFunc(m.Protected, func(r string) bool { return r == ref })
		if on {
			m.Protected = append(m.Protected, ref)
		}
		return nil
	})
}

// Refs lists the manifest's refs and HEAD.
func (e *Engine) Refs(ctx context.Context) ([]engine.RefInfo, string, error) {
	m, _, err := e.load(ctx)
	if err != nil {
		return nil, "", err
	}
	var out []engine.RefInfo
	for name, h := range m.Refs {
		out = append(out, engine.RefInfo{Name: name, Hash: h, Protected: m.IsProtected(name)})
	}
	for _, p := range m.Protected {
		if _, ok := m.Refs[p]; !ok {
			out = append(out, engine.RefInfo{Name: p, Protected: true})
		}
	}
	slices.SortFunc(out, func(a, b engine.RefInfo) int {
		if a.Name < b.Name {
			return -1
		}
		if a.Name > b.Name {
			return 1
		}
		return 0
	})
	return out, m.Head, nil
}

// DeleteRef removes a ref (refused when protected, and when it is the default branch
// unless force; with force, HEAD moves to another branch and a warning says which).
func (e *Engine) DeleteRef(ctx context.Context, ref string, force bool) error {
	var warning string
	err := e.update(ctx, func(m *Manifest) error {
		warning = ""
		if _, ok := m.Refs[ref]; !ok {
			return fmt.Errorf("%s does not exist on the remote", ref)
		}
		if m.IsProtected(ref) {
			return fmt.Errorf("%s is protected (git object-store unprotect to allow it)", ref)
		}
		delete(m.Refs, ref)
		if ref == m.Head {
			next := engine.ChooseHead(engine.CurrentBranch(e.repo), m.refNames())
			if !force {
				return engine.DeleteCurrentError(next, engine.ForceDeleteCLI)
			}
			if next != "" {
				m.Head = next
			}
			warning = engine.DeletedCurrentWarning(ref, next)
		}
		return nil
	})
	if err == nil && warning != "" {
		fmt.Fprintf(e.warn, "warning: %s\n", warning)
	}
	return err
}

// SetHead makes ref, which the manifest must name, the remote's HEAD (compare-and-swap,
// like every manifest change).
func (e *Engine) SetHead(ctx context.Context, ref string) error {
	return e.update(ctx, func(m *Manifest) error {
		_, ok := m.Refs[ref]
		if err := engine.CheckHeadTarget(ref, ok); err != nil {
			return err
		}
		if m.Head == ref {
			return errNoChange
		}
		m.Head = ref
		return nil
	})
}
