package gitpack

import (
	"io"
	"os"
	"path/filepath"

	"git-remote-object-store/gitpack/indexer"
)

// IndexOptions tune IndexPack.
type IndexOptions struct {
	FixThin  bool // complete REF_DELTA bases from this repository
	Progress func(done, total int64)
	// Links finds out whether the pack is self-contained and connected
	// (IndexResult.SelfContained; index-pack --check-self-contained-and-connected).
	Links bool
}

// IndexResult names the installed pack.
type IndexResult = indexer.Result

// IndexPack receives a pack stream into this repository's objects/pack (git index-pack
// --stdin [--fix-thin]). The repository sees the objects only once pack and index are
// both complete and verified.
func (r *Repo) IndexPack(rd io.Reader, opt IndexOptions) (IndexResult, error) {
	dir := filepath.Join(r.ObjectDir(), "pack")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return IndexResult{}, err
	}
	res, err := indexer.Index(rd, dir, indexer.Options{Format: r.format, FixThin: opt.FixThin, Bases: r, Progress: opt.Progress, Links: opt.Links})
	if err == nil {
		r.allPacks(true)
	}
	return res, err
}
