package gitpack

import (
	"fmt"

	"git-remote-object-store/gitpack/object"
)

// WalkFunc receives each object of a walk: id, type, and the path name git's rev-list
// prints (used to sort delta candidates; "" for commits and tags).
type WalkFunc func(h object.Hash, t object.Type, path string) error

// ReachableObjects calls fn once for every object reachable from wants but not from
// haves — the set `git rev-list --objects wants --not haves` prints. Haves the local
// repository lacks are ignored. Gitlinks (submodule commits) are not followed.
func (r *Repo) ReachableObjects(wants, haves []object.Hash, fn WalkFunc) error {
	w := &walker{r: r, seen: map[object.Hash]bool{}}
	// Mark everything the haves reach as seen, without reporting.
	for _, h := range haves {
		if r.Has(h) {
			if err := w.visit(h, "", nil); err != nil {
				return err
			}
		}
	}
	for _, h := range wants {
		if err := w.visit(h, "", fn); err != nil {
			return err
		}
	}
	return nil
}

type walker struct {
	r    *Repo
	seen map[object.Hash]bool
}

type pending struct {
	h    object.Hash
	path string
	t    object.Type // 0: unknown yet
}

// visit walks from start; commits first (depth-first over parents), their trees after,
// iteratively so deep histories do not grow the goroutine stack.
func (w *walker) visit(start object.Hash, _ string, fn WalkFunc) error {
	stack := []pending{{h: start}}
	var trees []pending
	report := func(p pending, t object.Type) error {
		if fn == nil {
			return nil
		}
		return fn(p.h, t, p.path)
	}
	for len(stack) > 0 || len(trees) > 0 {
		var p pending
		if len(stack) > 0 {
			p, stack = stack[len(stack)-1], stack[:len(stack)-1]
		} else {
			p, trees = trees[len(trees)-1], trees[:len(trees)-1]
		}
		if w.seen[p.h] {
			continue
		}
		w.seen[p.h] = true
		if p.t == object.Blob {
			if err := report(p, object.Blob); err != nil {
				return err
			}
			continue
		}
		t, data, err := w.r.Read(p.h)
		if err != nil {
			return fmt.Errorf("walk %s: %w", p.h, err)
		}
		if err := report(p, t); err != nil {
			return err
		}
		switch t {
		case object.Commit:
			tree, parents, err := ParseCommit(data, w.r.format)
			if err != nil {
				return fmt.Errorf("walk %s: %w", p.h, err)
			}
			trees = append(trees, pending{h: tree, t: object.Tree})
			for i := len(parents) - 1; i >= 0; i-- {
				stack = append(stack, pending{h: parents[i]})
			}
		case object.Tag:
			target, tt, err := ParseTag(data, w.r.format)
			if err != nil {
				return fmt.Errorf("walk %s: %w", p.h, err)
			}
			stack = append(stack, pending{h: target, t: tt})
		case object.Tree:
			entries, err := ParseTree(data, w.r.format)
			if err != nil {
				return fmt.Errorf("walk %s: %w", p.h, err)
			}
			for i := len(entries) - 1; i >= 0; i-- {
				e := entries[i]
				path := e.Name
				if p.path != "" {
					path = p.path + "/" + e.Name
				}
				switch e.Mode & 0o170000 {
				case 0o160000: // gitlink: lives in the submodule's repository
				case 0o040000:
					trees = append(trees, pending{h: e.Hash, path: path, t: object.Tree})
				default:
					trees = append(trees, pending{h: e.Hash, path: path, t: object.Blob})
				}
			}
		}
	}
	return nil
}

// IsAncestor reports whether a is reachable from b (a == b counts).
func (r *Repo) IsAncestor(a, b object.Hash) (bool, error) {
	seen := map[object.Hash]bool{}
	stack := []object.Hash{b}
	for len(stack) > 0 {
		h := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if h == a {
			return true, nil
		}
		if seen[h] {
			continue
		}
		seen[h] = true
		t, data, err := r.Read(h)
		if err != nil {
			return false, err
		}
		for t == object.Tag {
			target, _, err := ParseTag(data, r.format)
			if err != nil {
				return false, err
			}
			if target == a {
				return true, nil
			}
			if t, data, err = r.Read(target); err != nil {
				return false, err
			}
		}
		if t != object.Commit {
			continue
		}
		_, parents, err := ParseCommit(data, r.format)
		if err != nil {
			return false, err
		}
		stack = append(stack, parents...)
	}
	return false, nil
}
