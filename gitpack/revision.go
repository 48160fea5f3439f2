package gitpack

import (
	"fmt"
	"strconv"
	"strings"

	"git-remote-object-store/gitpack/object"
)

// ResolveRevision resolves what git passes as a push source: a ref or id (full or
// abbreviated, see Resolve), optionally followed by ancestry steps "~N", "^N", "^" (git
// sends "main~5:refs/heads/x" and "1a2b3c:refs/heads/x" verbatim). Before such steps an
// ambiguous abbreviation resolves to its one commit-ish candidate, if it has one, as in
// git.
func (r *Repo) ResolveRevision(rev string) (object.Hash, error) {
	i := strings.IndexAny(rev, "~^")
	if i < 0 {
		return r.Resolve(rev)
	}
	h, err := r.resolve(rev[:i], hintCommittish)
	if err != nil {
		return object.Hash{}, err
	}
	steps := rev[i:]
	for steps != "" {
		op := steps[0]
		steps = steps[1:]
		j := 0
		for j < len(steps) && steps[j] >= '0' && steps[j] <= '9' {
			j++
		}
		n := 1
		if j > 0 {
			if n, err = strconv.Atoi(steps[:j]); err != nil || n > 1<<20 {
				return object.Hash{}, fmt.Errorf("%w: revision %q", ErrNotFound, rev)
			}
		}
		steps = steps[j:]
		if op == '~' {
			for k := 0; k < n; k++ {
				if h, err = r.parent(h, 1, rev); err != nil {
					return object.Hash{}, err
				}
			}
		} else if n > 0 {
			if h, err = r.parent(h, n, rev); err != nil {
				return object.Hash{}, err
			}
		}
	}
	return h, nil
}

// parent returns the n-th parent (1-based) of the commit h (peeling tags).
func (r *Repo) parent(h object.Hash, n int, rev string) (object.Hash, error) {
	t, data, err := r.Read(h)
	for err == nil && t == object.Tag {
		var target object.Hash
		if target, _, err = ParseTag(data, r.format); err == nil {
			t, data, err = r.Read(target)
		}
	}
	if err != nil {
		return object.Hash{}, err
	}
	if t != object.Commit {
		return object.Hash{}, fmt.Errorf("%w: revision %q: not a commit", ErrNotFound, rev)
	}
	_, parents, err := ParseCommit(data, r.format)
	if err != nil {
		return object.Hash{}, err
	}
	if n > len(parents) {
		return object.Hash{}, fmt.Errorf("%w: revision %q: no such parent", ErrNotFound, rev)
	}
	return parents[n-1], nil
}
