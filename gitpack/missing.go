package gitpack

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"git-remote-object-store/gitpack/object"
)

// ErrMissingObject: an object a pack must hold is not in the repository. In a partial
// clone (git clone --filter) that is expected; anywhere else the repository is damaged.
var ErrMissingObject = errors.New("missing object")

// MissingObjectError says which object a pack needed and why the repository lacks it,
// and what the user can do; pushes report it before a byte has left.
type MissingObjectError struct {
	Hash    object.Hash
	Type    object.Type
	Path    string // where the walk met it ("" for commits and tags)
	Partial bool   // the repository is a partial clone
}

func (e *MissingObjectError) Error() string {
	what := "object " + e.Hash.String()
	if e.Type != 0 {
		what = e.Type.String() + " " + e.Hash.String()
	}
	if e.Path != "" {
		what += " (" + e.Path + ")"
	}
	if e.Partial {
		return fmt.Sprintf("this repository is a partial clone (--filter) and lacks %s: fetch the missing objects from the remote you cloned from (git backfill, git ≥ 2.49, fetches blobs), or push from a full clone", what)
	}
	return fmt.Sprintf("this repository lacks %s (run git fsck)", what)
}

func (e *MissingObjectError) Unwrap() error { return ErrMissingObject }

// IsPartial reports whether the repository is a partial clone: a promisor remote in its
// config, or a promisor pack.
func (r *Repo) IsPartial() bool {
	if r.config.Get("extensions", "", "partialclone") != "" {
		return true
	}
	for _, e := range r.config.Entries {
		if e.Section == "remote" && e.Key == "promisor" && (e.NoValue || strings.EqualFold(e.Value, "true")) {
			return true
		}
	}
	promisors, _ := filepath.Glob(filepath.Join(r.ObjectDir(), "pack", "*.promisor"))
	return len(promisors) > 0
}

// missing is the error for an object a pack needs and the repository lacks.
func (r *Repo) missing(h object.Hash, t object.Type, path string) error {
	return &MissingObjectError{Hash: h, Type: t, Path: path, Partial: r.IsPartial()}
}
