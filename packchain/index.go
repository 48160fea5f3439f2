package packchain

import (
	"io"

	"git-remote-object-store/gitpack/indexer"
	"git-remote-object-store/gitpack/object"
)

// indexInto indexes a pack into dir and returns the .idx path. The indexer buffers its
// input itself.
func indexInto(r io.Reader, dir string, f object.Format) (string, error) {
	res, err := indexer.Index(r, dir, indexer.Options{Format: f})
	if err != nil {
		return "", err
	}
	return res.IdxPath, nil
}
