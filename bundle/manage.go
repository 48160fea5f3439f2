package bundle

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"git-remote-object-store/engine"
	"git-remote-object-store/gitpack"
	"git-remote-object-store/store"
)

// Refs lists every ref the bucket knows, with protection and bundle counts.
func (e *Engine) Refs(ctx context.Context) ([]engine.RefInfo, string, error) {
	st, err := e.scan(ctx)
	if err != nil {
		return nil, "", err
	}
	var out []engine.RefInfo
	for name, r := range st.refs {
		ri := engine.RefInfo{Name: name, Protected: r.protected}
		if len(r.bundles) > 0 {
			ri.Hash = r.hash.String()
		}
		out = append(out, ri)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, st.head, nil
}

// SetProtected writes or removes <ref>/PROTECTED#.
func (e *Engine) SetProtected(ctx context.Context, ref string, on bool) error {
	if err := gitpack.CheckRefName(ref); err != nil {
		return err
	}
	key := ref + "/" + protectName
	if !on {
		return e.st.Delete(ctx, key)
	}
	_, err := e.st.Put(ctx, key, strings.NewReader(""), 0, store.Cond{})
	return err
}

// DeleteRef removes a ref's bundles and zip mirror under its lock, as a push deleting it
// would: protected refs are refused, and so is the default branch without force (with
// force, HEAD moves to another branch).
func (e *Engine) DeleteRef(ctx context.Context, ref string, force bool) error {
	st, err := e.scan(ctx)
	if err != nil {
		return err
	}
	r := st.refs[ref]
	if r == nil || len(r.bundles) == 0 {
		return fmt.Errorf("%s does not exist on the remote", ref)
	}
	if ref == st.head && !force {
		return engine.DeleteCurrentError(engine.ChooseHead(engine.CurrentBranch(e.repo), st.withBundles(ref)), engine.ForceDeleteCLI)
	}
	u := engine.Update{Dst: ref, Force: true} // the default branch was checked just now
	res := e.pushOne(ctx, st, st.withBundles(""), u, engine.Options{})
	if res.Err == nil {
		e.settleHead(ctx, st, []engine.Update{u}, []engine.Result{res})
	}
	return res.Err
}

// SetHead rewrites HEAD to name ref, which must have a bundle. It is a plain write, as a
// push's HEAD update after the fact would be: the last of two racing set-heads wins.
func (e *Engine) SetHead(ctx context.Context, ref string) error {
	st, err := e.scan(ctx)
	if err != nil {
		return err
	}
	r := st.refs[ref]
	if err := engine.CheckHeadTarget(ref, r != nil && len(r.bundles) > 0); err != nil {
		return err
	}
	_, err = e.st.Put(ctx, HeadKey, strings.NewReader(ref), int64(len(ref)), store.Cond{})
	return err
}
