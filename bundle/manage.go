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

// DeleteRef removes a ref's bundles and zip mirror under its lock; protected refs are refused.
func (e *Engine) DeleteRef(ctx context.Context, ref string) error {
	st, err := e.scan(ctx)
	if err != nil {
		return err
	}
	r := st.refs[ref]
	if r == nil || len(r.bundles) == 0 {
		return fmt.Errorf("%s does not exist on the remote", ref)
	}
	return e.pushOne(ctx, st, engine.Update{Dst: ref}, engine.Options{}).Err
}
