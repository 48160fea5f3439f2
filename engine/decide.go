package engine

import (
	"fmt"
	"strings"

	"git-remote-object-store/gitpack/object"
)

// Ancestry is what deciding a ref update needs of the local repository.
type Ancestry interface {
	Has(h object.Hash) bool
	IsAncestor(a, b object.Hash) (bool, error)
}

// Decide applies git's rules to one update against the remote's current value cur (the
// zero Hash when the ref does not exist): --force-with-lease expectations, protection,
// tags that do not move without force, fast-forward checks (fetch first when the local
// repository lacks the remote's commit). It reports whether the update is a forced,
// non-fast-forward one. Both engines decide with it, so they refuse alike.
func Decide(cur object.Hash, protected bool, u Update, repo Ancestry) (forced bool, err error) {
	if u.HasExpect && !sameOrBothZero(cur, u.Expect) {
		return false, ErrStaleInfo
	}
	if u.Delete() {
		if protected {
			return false, fmt.Errorf("%w: %s cannot be deleted (git object-store unprotect to allow it)", ErrProtected, u.Dst)
		}
		if cur.IsZero() {
			return false, fmt.Errorf("%s does not exist on the remote", u.Dst)
		}
		return false, nil
	}
	if cur.IsZero() || cur == u.Src {
		return false, nil
	}
	// A satisfied --force-with-lease is a force: git sends it without "+".
	force := u.Force || u.HasExpect
	if strings.HasPrefix(u.Dst, "refs/tags/") && !force {
		return false, ErrAlreadyExists
	}
	if !repo.Has(cur) {
		if force && !protected {
			return true, nil
		}
		return false, ErrFetchFirst
	}
	ff, err := repo.IsAncestor(cur, u.Src)
	if err != nil {
		return false, fmt.Errorf("check fast-forward of %s: %w", u.Dst, err)
	}
	switch {
	case ff:
		return false, nil
	case !force:
		return false, ErrNonFastForward
	case protected:
		return false, fmt.Errorf("%w: %s accepts fast-forwards only", ErrProtected, u.Dst)
	}
	return true, nil
}

func sameOrBothZero(a, b object.Hash) bool {
	if a.IsZero() || b.IsZero() {
		return a.IsZero() && b.IsZero()
	}
	return a == b
}
