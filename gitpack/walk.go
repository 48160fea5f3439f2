package gitpack

import (
	"container/heap"
	"fmt"

	"git-remote-object-store/gitpack/object"
)

// WalkFunc receives each object of a walk: id, type, and the path name git's rev-list
// prints (used to sort delta candidates; "" for commits and tags).
type WalkFunc func(h object.Hash, t object.Type, path string) error

// ReachableObjects calls fn once for every object reachable from wants but not from
// haves, the set `git rev-list --objects wants --not haves` prints, found the way git
// finds it: commits are walked newest first and the walk stops once nothing interesting
// is left (plus a little slop for skewed clocks), so a push of one commit onto a long
// history reads a handful of commits, not the history. Trees and blobs are then listed
// from the interesting commits, minus everything in the trees of the "edge" commits (the
// uninteresting parents of interesting ones). Haves the local repository lacks are
// ignored. Gitlinks (submodule commits) are not followed.
func (r *Repo) ReachableObjects(wants, haves []object.Hash, fn WalkFunc) error {
	cw := &commitWalk{r: r, info: map[object.Hash]*commitInfo{}}
	w := &walker{r: r, seen: map[object.Hash]bool{}}
	var others []pending // wanted trees and blobs, and tag targets that are not commits
	var tags []object.Hash
	// Peel tags; remember wanted tag objects (reported unless a have also reaches them).
	add := func(h object.Hash, bad bool) error {
		for range 64 {
			t, data, err := r.Read(h)
			if err != nil {
				return fmt.Errorf("walk %s: %w", h, err)
			}
			switch t {
			case object.Commit:
				return cw.push(h, data, bad)
			case object.Tag:
				if bad {
					w.seen[h] = true
				} else {
					tags = append(tags, h)
				}
				if h, _, err = ParseTag(data, r.format); err != nil {
					return fmt.Errorf("walk %s: %w", h, err)
				}
			default:
				if bad {
					return w.visit(h, "", nil)
				}
				others = append(others, pending{h: h, t: t})
				return nil
			}
		}
		return fmt.Errorf("walk %s: tag chain too long", h)
	}
	for _, h := range haves {
		if r.Has(h) {
			if err := add(h, true); err != nil {
				return err
			}
		}
	}
	for _, h := range wants {
		if err := add(h, false); err != nil {
			return err
		}
	}
	commits, err := cw.run()
	if err != nil {
		return err
	}
	// Everything the edge commits' trees hold is on the other side already.
	for _, c := range commits {
		for _, p := range cw.info[c].parents {
			if pi := cw.info[p]; pi != nil && pi.bad {
				if err := w.visit(pi.tree, "", nil); err != nil {
					return err
				}
			}
		}
	}
	for _, h := range tags {
		if !w.seen[h] {
			w.seen[h] = true
			if err := fn(h, object.Tag, ""); err != nil {
				return err
			}
		}
	}
	for _, c := range commits {
		if err := fn(c, object.Commit, ""); err != nil {
			return err
		}
	}
	for _, c := range commits {
		if err := w.visit(cw.info[c].tree, "", fn); err != nil {
			return err
		}
	}
	for _, o := range others {
		if err := w.visit(o.h, "", fn); err != nil {
			return err
		}
	}
	return nil
}

// slop is how many more commits the walk takes once only uninteresting ones are queued,
// in case a commit with a skewed (older) date hides interesting history behind it.
const slop = 5

type commitInfo struct {
	date    int64
	tree    object.Hash
	parents []object.Hash
	bad     bool // uninteresting: reachable from a have
	queued  bool
	done    bool // its parents have been queued
}

// commitWalk is the date-ordered walk of git's limit_list.
type commitWalk struct {
	r     *Repo
	info  map[object.Hash]*commitInfo
	queue commitQueue
}

func (cw *commitWalk) load(h object.Hash, data []byte) (*commitInfo, error) {
	if ci := cw.info[h]; ci != nil {
		return ci, nil
	}
	if data == nil {
		t, d, err := cw.r.Read(h)
		if err != nil {
			return nil, fmt.Errorf("walk %s: %w", h, err)
		}
		if t != object.Commit {
			return nil, fmt.Errorf("walk %s: a commit's parent is a %s", h, t)
		}
		data = d
	}
	tree, parents, err := ParseCommit(data, cw.r.format)
	if err != nil {
		return nil, fmt.Errorf("walk %s: %w", h, err)
	}
	ci := &commitInfo{date: committerTime(data).Unix(), tree: tree, parents: parents}
	cw.info[h] = ci
	return ci, nil
}

func (cw *commitWalk) push(h object.Hash, data []byte, bad bool) error {
	ci, err := cw.load(h, data)
	if err != nil {
		return err
	}
	if bad {
		cw.markBad(h)
	}
	if !ci.queued {
		ci.queued = true
		heap.Push(&cw.queue, queued{h: h, date: ci.date})
	}
	return nil
}

// markBad flags h uninteresting, and every ancestor already walked through.
func (cw *commitWalk) markBad(h object.Hash) {
	stack := []object.Hash{h}
	for len(stack) > 0 {
		h, stack = stack[len(stack)-1], stack[:len(stack)-1]
		ci := cw.info[h]
		if ci == nil || ci.bad {
			continue
		}
		ci.bad = true
		if ci.done {
			stack = append(stack, ci.parents...)
		}
	}
}

func (cw *commitWalk) interestingQueued() bool {
	for _, q := range cw.queue {
		if !cw.info[q.h].bad {
			return true
		}
	}
	return false
}

// run walks until only uninteresting commits remain queued (after the slop) and
// returns the interesting commits, newest first.
func (cw *commitWalk) run() ([]object.Hash, error) {
	left := slop
	var popped []object.Hash
	for cw.queue.Len() > 0 {
		q := heap.Pop(&cw.queue).(queued)
		ci := cw.info[q.h]
		ci.done = true
		for _, p := range ci.parents {
			if err := cw.push(p, nil, ci.bad); err != nil {
				return nil, err
			}
		}
		if !ci.bad {
			popped = append(popped, q.h)
			left = slop
			continue
		}
		if cw.interestingQueued() {
			left = slop
		} else if left--; left <= 0 {
			break
		}
	}
	out := popped[:0]
	for _, h := range popped {
		if !cw.info[h].bad {
			out = append(out, h)
		}
	}
	return out, nil
}

type queued struct {
	h    object.Hash
	date int64
}

// commitQueue is a max-heap on commit date.
type commitQueue []queued

func (q commitQueue) Len() int           { return len(q) }
func (q commitQueue) Less(i, j int) bool { return q[i].date > q[j].date }
func (q commitQueue) Swap(i, j int)      { q[i], q[j] = q[j], q[i] }
func (q *commitQueue) Push(x any)        { *q = append(*q, x.(queued)) }
func (q *commitQueue) Pop() any {
	old := *q
	x := old[len(old)-1]
	*q = old[:len(old)-1]
	return x
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
