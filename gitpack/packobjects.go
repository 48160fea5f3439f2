package gitpack

import (
	"io"

	"git-remote-object-store/gitpack/object"
	"git-remote-object-store/gitpack/packer"
)

// PackOptions tune WritePack.
type PackOptions struct {
	Progress func(done, total int64)
}

// PackResult describes a written pack.
type PackResult = packer.Result

// WritePack streams to w a self-contained pack of every object reachable from wants and
// not from haves (git rev-list --objects wants --not haves | git pack-objects).
func (r *Repo) WritePack(w io.Writer, wants, haves []object.Hash, opt PackOptions) (PackResult, error) {
	var objs []packer.Object
	err := r.ReachableObjects(wants, haves, func(h object.Hash, t object.Type, path string) error {
		objs = append(objs, packer.Object{Hash: h, Type: t, Path: path})
		return nil
	})
	if err != nil {
		return PackResult{}, err
	}
	// The walk read every commit and tree but no blob: a partial clone lacks some, and
	// that must be said before the first byte of the pack goes anywhere.
	for _, o := range objs {
		if o.Type == object.Blob && !r.Has(o.Hash) {
			return PackResult{}, r.missing(o.Hash, o.Type, o.Path)
		}
	}
	return packer.Write(w, r, objs, packer.Options{Format: r.format, Progress: opt.Progress})
}
