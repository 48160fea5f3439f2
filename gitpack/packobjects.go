package gitpack

import (
	"io"

	"git-remote-object-store/gitpack/object"
	"git-remote-object-store/gitpack/pack"
	"git-remote-object-store/gitpack/packer"
)

// PackOptions tune WritePack.
type PackOptions struct {
	// Progress, if set, is told how the pack is made, phase by phase, as git
	// pack-objects shows it: Enumerating (each object the walk finds; total is -1 until
	// the walk ends, then one last call has total == done), then packer's Counting,
	// Compressing (only when deltas are searched) and Writing. Each phase begins with
	// done 0; all calls come from the goroutine that called WritePack.
	Progress func(phase PackPhase, done, total int64)
	// Index asks for PackResult.Index, the records the pack's .idx is written from.
	Index bool
	// Begin, if set, is called once the walk has found the objects and before the first
	// byte of the pack is written, with the pack's set name (pack.SetName): a caller
	// that names the pack by it can open its destination then. An error from Begin ends
	// WritePack with that error and nothing written. It is not called for a pack of no
	// objects.
	Begin func(set object.Hash) error
}

// PackPhase is a step of WritePack (packer.Phase).
type PackPhase = packer.Phase

// The phases of WritePack, in order.
const (
	Enumerating = packer.Enumerating
	Counting    = packer.Counting
	Compressing = packer.Compressing
	Writing     = packer.Writing
)

// PackResult describes a written pack.
type PackResult = packer.Result

// WritePack streams to w a self-contained pack of every object reachable from wants and
// not from haves (git rev-list --objects wants --not haves | git pack-objects).
func (r *Repo) WritePack(w io.Writer, wants, haves []object.Hash, opt PackOptions) (PackResult, error) {
	var objs []packer.Object
	tell := func(phase PackPhase, done, total int64) {
		if opt.Progress != nil {
			opt.Progress(phase, done, total)
		}
	}
	tell(Enumerating, 0, -1)
	err := r.ReachableObjects(wants, haves, func(h object.Hash, t object.Type, path string) error {
		// The walk read every commit and tree but no blob: a partial clone lacks some,
		// and that must be said, with the path, before the first byte of the pack goes
		// anywhere. Checked here because only the path's hash is kept.
		if t == object.Blob && !r.Has(h) {
			return r.missing(h, t, path)
		}
		objs = append(objs, packer.Object{Hash: h, Type: t, NameHash: packer.NameHash(path)})
		tell(Enumerating, int64(len(objs)), -1)
		return nil
	})
	if err != nil {
		return PackResult{}, err
	}
	tell(Enumerating, int64(len(objs)), int64(len(objs)))
	var byID []int32
	if opt.Begin != nil && len(objs) > 0 {
		byID = packer.ByID(objs)
		set := pack.SortedSetName(r.format, len(byID), func(i int) object.Hash { return objs[byID[i]].Hash })
		if err := opt.Begin(set); err != nil {
			return PackResult{}, err
		}
	}
	return packer.Write(w, r, objs, packer.Options{Format: r.format, Progress: opt.Progress, Index: opt.Index, ByID: byID})
}
