package engine

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"git-remote-object-store/internal/quote"
)

// ErrRefConflict refuses a new ref that cannot live beside one the remote has: one name
// is a directory of the other (refs/heads/release and refs/heads/release/1.0). git
// stores refs as files, so no repository can hold both, and a remote that did would make
// every clone fail. git's receive-pack refuses the second one the same way.
var ErrRefConflict = errors.New("ref name conflict")

// RefConflict returns the ref among existing that a ref named name would conflict with
// (either is a directory prefix of the other), or "".
func RefConflict(existing []string, name string) string {
	for _, r := range existing {
		if r != name && (strings.HasPrefix(name, r+"/") || strings.HasPrefix(r, name+"/")) {
			return r
		}
	}
	return ""
}

// RefConflictError is the refusal of creating name beside have, in git's words.
func RefConflictError(have, name string) error {
	return fmt.Errorf("%w: '%s' exists; cannot create '%s'", ErrRefConflict, have, name)
}

// Conflict is a ref left out of a listing because it cannot live beside Kept.
type Conflict struct{ Dropped, Kept string }

// DropConflicts keeps, of every set of refs that cannot coexist, only the shortest name
// (the one that is a directory of the others), so a remote damaged by an older client
// still lists and clones; dropped names the refs left out, in name order. Symrefs are
// kept as they are.
func DropConflicts(refs []Ref) (kept []Ref, dropped []Conflict) {
	names := make([]string, 0, len(refs))
	for _, r := range refs {
		if r.Symref == "" {
			names = append(names, r.Name)
		}
	}
	sort.Strings(names)
	drop := map[string]string{} // dropped → the kept ref it conflicts with
	for i, n := range names {
		// In sorted order a directory's refs follow it, so a shorter conflicting name is
		// among those already seen; the first kept one that is a prefix wins.
		for _, m := range names[:i] {
			if _, gone := drop[m]; !gone && strings.HasPrefix(n, m+"/") {
				drop[n] = m
				dropped = append(dropped, Conflict{Dropped: n, Kept: m})
				break
			}
		}
	}
	for _, r := range refs {
		if _, gone := drop[r.Name]; gone && r.Symref == "" {
			continue
		}
		kept = append(kept, r)
	}
	return kept, dropped
}

// ConflictFindings reports, for doctor, each ref of refs that git cannot hold beside
// another (DropConflicts): clones see only the shorter one. There is no automatic fix:
// which of the two to delete is the user's choice.
func ConflictFindings(refs []RefInfo) []Finding {
	var listed []Ref
	for _, r := range refs {
		if r.Hash != "" {
			listed = append(listed, Ref{Name: r.Name})
		}
	}
	_, dropped := DropConflicts(listed)
	var out []Finding
	for _, c := range dropped {
		out = append(out, Finding{What: fmt.Sprintf("%s cannot live beside %s in a git repository, so clones and fetches leave it out; delete one of them (git object-store delete-branch)", quote.C(c.Dropped), quote.C(c.Kept))})
	}
	return out
}
