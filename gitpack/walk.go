package gitpack

import (
	"container/heap"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"git-remote-object-store/gitpack/object"
	"git-remote-object-store/gitpack/pack"
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
	if boundary, err := r.ShallowCommits(); err != nil {
		return err
	} else if len(boundary) > 0 {
		cw.shallow = object.NewSet(len(boundary))
		for _, h := range boundary {
			cw.shallow.Add(h)
		}
	}
	w := &walker{r: r, seen: object.NewSet(1 << 10), starts: newTreeStarts(treeStartsBytes)}
	var others []pending // wanted trees and blobs, and tag targets that are not commits
	var tags []object.Hash
	anyBad := false
	// Peel tags; remember wanted tag objects (reported unless a have also reaches them).
	add := func(h object.Hash, bad bool) error {
		anyBad = anyBad || bad
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
					w.seen.Add(h)
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
	if !anyBad && runtime.GOMAXPROCS(0) >= 2 {
		return w.whole(cw, tags, others, fn)
	}
	commits, err := cw.run()
	if err == nil {
		err = cw.whole(commits)
	}
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
		if w.seen.Add(h) {
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
	roots := make([]object.Hash, len(commits))
	for i, c := range commits {
		roots[i] = cw.info[c].tree
	}
	w.ahead = startTreesAhead(r, roots, w.seen)
	defer w.stopAhead()
	for _, root := range roots {
		if err := w.visit(root, "", fn); err != nil {
			return err
		}
	}
	w.stopAhead()
	return w.finish(others, fn)
}

// whole refuses a list of commits one of which is on the shallow boundary: what is sent
// must be whole, and the other side would hold a commit without the parents it names.
func (cw *commitWalk) whole(commits []object.Hash) error {
	for _, c := range commits {
		if cw.info[c].shallow {
			return &ShallowError{Commit: c}
		}
	}
	return nil
}

// finish walks what was wanted that is not a commit, last, as rev-list lists it.
func (w *walker) finish(others []pending, fn WalkFunc) error {
	for _, o := range others {
		if err := w.visit(o.h, "", fn); err != nil {
			return err
		}
	}
	if walkDone != nil {
		walkDone(w.copied)
	}
	return nil
}

// walkDone, set by tests, is told how many tree entries a walk stepped over.
var walkDone func(copied int)

// slop is how many more commits the walk takes once only uninteresting ones are queued,
// in case a commit with a skewed (older) date hides interesting history behind it.
const slop = 5

type commitInfo struct {
	date    int64
	tree    object.Hash
	parents []object.Hash
	bad     bool // uninteresting: reachable from a have
	shallow bool // on the repository's shallow boundary
	queued  bool
	done    bool // its parents have been queued
}

// commitWalk is the date-ordered walk of git's limit_list.
type commitWalk struct {
	r       *Repo
	shallow *object.Set // the shallow boundary (nil in a complete repository)
	info    map[object.Hash]*commitInfo
	queue   commitQueue
	taken   func(c object.Hash) // told of each interesting commit as the walk takes it (may be nil)
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
	if cw.shallow != nil && cw.shallow.Has(h) {
		// On a shallow clone's boundary: its parents are not here, and git reads it as
		// having none.
		ci.parents, ci.shallow = nil, true
	}
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
			if cw.taken != nil {
				cw.taken(q.h)
			}
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
	r      *Repo
	seen   *object.Set
	kids   []pending   // scratch: one tree's new entries
	ahead  *treesAhead // the trees the walk will read next, read on another core (nil: none)
	st     pack.Stored // scratch: how the tree read last is stored
	scan   treeScan
	starts *treeStarts
	copied int // tree entries stepped over (treeScan)
}

type pending struct {
	h    object.Hash
	path string
	t    object.Type // 0: unknown yet
}

// treesAhead reads, on another core, the trees a walk of the commits' root trees will
// read, in the order it will read them: a full walk spends most of its time inflating
// trees. It walks the same trees the same way (depth first, in tree order, each tree
// once, starting from a copy of the walk's seen set), leaving out only blobs, so its
// sequence is the walk's; should the two ever differ (a tree named as a blob somewhere,
// say), the walk stops it and reads for itself. The walk's order, and so its result,
// never depends on it.
type treesAhead struct {
	out   chan aheadTree
	stop  chan struct{}
	done  sync.WaitGroup
	mu    sync.Mutex
	cond  sync.Cond
	held  int64 // bytes read ahead and not yet taken, under mu
	ended bool  // under mu
}

type aheadTree struct {
	h    object.Hash
	t    object.Type
	data []byte
	st   pack.Stored
	err  error
}

// aheadBytes bounds what treesAhead holds that the walk has not taken.
const aheadBytes = 16 << 20

func startTreesAhead(r *Repo, roots []object.Hash, seen *object.Set) *treesAhead {
	if runtime.GOMAXPROCS(0) < 2 || len(roots) == 0 {
		return nil
	}
	a := &treesAhead{out: make(chan aheadTree, 4096), stop: make(chan struct{})}
	a.cond.L = &a.mu
	seen = seen.Clone()
	hs := r.format.Size()
	a.done.Add(1)
	go func() {
		defer a.done.Done()
		defer close(a.out)
		// The roots are known now: a third goroutine reads them ahead of this one,
		// which then reads only the trees below them.
		ra := startReadAhead(r, roots)
		defer ra.close()
		var stack []object.Hash
		var kids []object.Hash
		var scan treeScan
		starts := newTreeStarts(treeStartsBytes)
		for i, root := range roots {
			if !seen.Add(root) {
				continue
			}
			stack = append(stack[:0], root)
			for len(stack) > 0 {
				h := stack[len(stack)-1]
				stack = stack[:len(stack)-1]
				x := aheadTree{h: h}
				if h == root {
					sl := ra.take(i)
					x.t, x.data, x.st, x.err = sl.t, sl.data, sl.st, sl.err
					sl.data, sl.st = nil, pack.Stored{}
				} else {
					x.t, x.data, x.err = r.readStored(h, &x.st)
				}
				if !a.send(x) || x.err != nil || x.t != object.Tree {
					return
				}
				kids = kids[:0]
				for scan.start(x.data, hs, &x.st, starts); ; {
					mode, _, raw, ok, err := scan.next()
					if err != nil {
						return // the walk finds it too, and says so
					}
					if !ok {
						break
					}
					if mode&0o170000 == 0o040000 && seen.AddRaw(raw) {
						k, _ := object.FromBytes(raw)
						kids = append(kids, k)
					}
				}
				for i := len(kids) - 1; i >= 0; i-- {
					stack = append(stack, kids[i])
				}
			}
		}
	}()
	return a
}

// send hands a tree to the walk, waiting while too much is held; false once stopped.
func (a *treesAhead) send(x aheadTree) bool {
	a.mu.Lock()
	for a.held > aheadBytes && !a.ended {
		a.cond.Wait()
	}
	ended := a.ended
	a.held += int64(len(x.data))
	a.mu.Unlock()
	if ended {
		return false
	}
	select {
	case a.out <- x:
		return true
	case <-a.stop:
		return false
	}
}

// take returns the next tree read ahead if it is h; ok is false when it is not, or
// there is none (the worker stopped early), and the walk reads h itself from then on.
func (a *treesAhead) take(h object.Hash) (aheadTree, bool) {
	x, ok := <-a.out
	if ok {
		a.mu.Lock()
		a.held -= int64(len(x.data))
		a.cond.Signal()
		a.mu.Unlock()
	}
	if !ok || x.h != h {
		return aheadTree{}, false
	}
	return x, true
}

func (a *treesAhead) close() {
	a.mu.Lock()
	a.ended = true
	a.cond.Broadcast()
	a.mu.Unlock()
	close(a.stop)
	for range a.out { // let a blocked send finish
	}
	a.done.Wait()
}

// treeSlot is one root tree's read, done by whichever of readAhead's worker and its
// taker claims it first.
type treeSlot struct {
	h     object.Hash
	state atomic.Int32 // 0 queued, 1 claimed, 2 done by the worker
	t     object.Type
	data  []byte
	st    pack.Stored
	err   error
}

// readAhead reads the root trees of the commits to list, in order, on another core a
// little ahead of treesAhead's worker, which takes them: each commit's root is known
// before the walk reaches it (the trees below it are not), so their reads need not wait
// for the trees above. Nothing's order depends on it.
type readAhead struct {
	r     *Repo
	slots []treeSlot
	taken atomic.Int64 // how far the walk has got
	stop  atomic.Bool
	wg    sync.WaitGroup
}

// readAheadLead bounds how many roots the worker reads before the walk takes them.
const readAheadLead = 256

func startReadAhead(r *Repo, roots []object.Hash) *readAhead {
	ra := &readAhead{r: r, slots: make([]treeSlot, len(roots))}
	for i, h := range roots {
		ra.slots[i].h = h
	}
	if runtime.GOMAXPROCS(0) < 2 || len(roots) < 2 {
		return ra
	}
	ra.wg.Add(1)
	go func() {
		defer ra.wg.Done()
		for i := range ra.slots {
			for int64(i)-ra.taken.Load() > readAheadLead {
				if ra.stop.Load() {
					return
				}
				time.Sleep(50 * time.Microsecond)
			}
			if ra.stop.Load() {
				return
			}
			sl := &ra.slots[i]
			if sl.state.CompareAndSwap(0, 1) {
				sl.t, sl.data, sl.err = r.readStored(sl.h, &sl.st)
				sl.state.Store(2)
			}
		}
	}()
	return ra
}

// take returns root i: read ahead, or read now if readAhead's worker has not got to it.
func (ra *readAhead) take(i int) *treeSlot {
	ra.taken.Store(int64(i))
	sl := &ra.slots[i]
	if sl.state.CompareAndSwap(0, 1) {
		sl.t, sl.data, sl.err = ra.r.readStored(sl.h, &sl.st)
		return sl
	}
	for sl.state.Load() != 2 {
		runtime.Gosched() // the worker is reading it right now: a short wait
	}
	return sl
}

func (ra *readAhead) close() {
	ra.stop.Store(true)
	ra.wg.Wait()
}

// stopAhead stops the read-ahead, if any: it is done with, or out of step.
func (w *walker) stopAhead() {
	if w.ahead != nil {
		w.ahead.close()
		w.ahead = nil
	}
}

// read returns p's object: read ahead, when it is a tree the read-ahead has, else read.
// w.st says how it is stored.
func (w *walker) read(p pending) (object.Type, []byte, error) {
	if w.ahead != nil && p.t != object.Blob {
		if x, ok := w.ahead.take(p.h); ok {
			w.st = x.st
			return x.t, x.data, x.err
		}
		w.stopAhead()
	}
	return w.r.readStored(p.h, &w.st)
}

// visit reports start (unless seen) and every object below it not seen yet, depth first
// in tree order as rev-list does. An id is marked seen when it is first queued, and a
// tree entry's path string is built only then: a full walk meets each id many times
// (every tree that holds it) but lists it once.
func (w *walker) visit(start object.Hash, path string, fn WalkFunc) error {
	if !w.seen.Add(start) {
		return nil
	}
	stack := []pending{{h: start, path: path}}
	hs := w.r.format.Size()
	for len(stack) > 0 {
		p := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if p.t == object.Blob {
			if fn != nil {
				if err := fn(p.h, object.Blob, p.path); err != nil {
					return err
				}
			}
			continue
		}
		t, data, err := w.read(p)
		if errors.Is(err, ErrNotFound) {
			return w.r.missing(p.h, p.t, p.path)
		}
		if err != nil {
			return fmt.Errorf("walk %s: %w", p.h, err)
		}
		if fn != nil {
			if err := fn(p.h, t, p.path); err != nil {
				return err
			}
		}
		switch t {
		case object.Commit:
			tree, _, err := ParseCommit(data, w.r.format)
			if err != nil {
				return fmt.Errorf("walk %s: %w", p.h, err)
			}
			if w.seen.Add(tree) {
				stack = append(stack, pending{h: tree, t: object.Tree})
			}
		case object.Tag:
			target, tt, err := ParseTag(data, w.r.format)
			if err != nil {
				return fmt.Errorf("walk %s: %w", p.h, err)
			}
			if w.seen.Add(target) {
				stack = append(stack, pending{h: target, t: tt})
			}
		case object.Tree:
			w.kids = w.kids[:0]
			for w.scan.start(data, hs, &w.st, w.starts); ; {
				mode, name, raw, ok, err := w.scan.next()
				if err != nil {
					return fmt.Errorf("walk %s: %w", p.h, err)
				}
				if !ok {
					w.copied += w.scan.copied
					break
				}
				if mode&0o170000 == 0o160000 || !w.seen.AddRaw(raw) {
					continue // a gitlink lives in the submodule's repository
				}
				h, _ := object.FromBytes(raw)
				kt := object.Blob
				if mode&0o170000 == 0o040000 {
					kt = object.Tree
				}
				kp := string(name)
				if p.path != "" {
					kp = p.path + "/" + kp
				}
				w.kids = append(w.kids, pending{h: h, path: kp, t: kt})
			}
			for i := len(w.kids) - 1; i >= 0; i-- {
				stack = append(stack, w.kids[i])
			}
		}
	}
	return nil
}

// parseMode reads a tree entry's octal mode.
func parseMode(b []byte) (uint32, bool) {
	if len(b) == 0 || len(b) > 7 {
		return 0, false
	}
	var m uint32
	for _, c := range b {
		if c < '0' || c > '7' {
			return 0, false
		}
		m = m<<3 | uint32(c-'0')
	}
	return m, true
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
