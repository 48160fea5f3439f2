package gitpack

import (
	"errors"
	"sync"
	"sync/atomic"

	"git-remote-object-store/gitpack/object"
)

// A walk with nothing uninteresting (a first push) reads its commits on one core for the
// first fifth of its time (1.2 s of git.git's 82 k commits, each read needing the one
// before), while the other core has nothing to do: the trees are walked once every
// commit is known. But with nothing uninteresting, each commit the date-ordered walk
// takes is in the list the moment it is taken (only a have can make one uninteresting
// afterwards), and the trees are walked in that list's order: so they can be walked
// beside the commits, as each is taken. Found objects wait in a queue, reported (after
// the commits, as before) by the goroutine that called ReachableObjects: what is listed,
// and its order, are the same.

// walked is one object the tree walk found.
type walked struct {
	h    object.Hash
	t    object.Type
	path string
}

// rootFeed is the root trees of the commits taken so far, in order; closed once the
// commit walk has ended.
type rootFeed struct {
	mu     sync.Mutex
	cond   sync.Cond
	roots  []object.Hash
	closed bool
}

func (f *rootFeed) add(h object.Hash) {
	f.mu.Lock()
	f.roots = append(f.roots, h)
	f.mu.Unlock()
	f.cond.Signal()
}

func (f *rootFeed) close() {
	f.mu.Lock()
	f.closed = true
	f.mu.Unlock()
	f.cond.Signal()
}

// get waits for root i; ok is false past the last. all says every root is known: they
// are f.roots, which no longer changes.
func (f *rootFeed) get(i int) (root object.Hash, ok, all bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for i >= len(f.roots) && !f.closed {
		f.cond.Wait()
	}
	if i >= len(f.roots) {
		return object.Hash{}, false, true
	}
	return f.roots[i], true, f.closed
}

// foundQueue holds what the tree walk found until it is reported; unbounded, since
// nothing is reported until the commit walk ends.
type foundQueue struct {
	mu    sync.Mutex
	cond  sync.Cond
	full  [][]walked
	ended bool
	err   error
}

const foundBatch = 1024

func (q *foundQueue) push(b []walked) {
	q.mu.Lock()
	q.full = append(q.full, b)
	q.mu.Unlock()
	q.cond.Signal()
}

func (q *foundQueue) end(err error) {
	q.mu.Lock()
	q.ended, q.err = true, err
	q.mu.Unlock()
	q.cond.Signal()
}

// next waits for the next batch; nil once the walk has ended, with its error.
func (q *foundQueue) next() ([]walked, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for len(q.full) == 0 && !q.ended {
		q.cond.Wait()
	}
	if len(q.full) == 0 {
		return nil, q.err
	}
	b := q.full[0]
	q.full[0] = nil
	q.full = q.full[1:]
	return b, nil
}

var errWalkStopped = errors.New("walk stopped")

// commitTaken, set by tests, is called as the commit walk takes each commit, while the
// trees are walked beside it.
var commitTaken func()

// whole is ReachableObjects when nothing is uninteresting, walking trees beside commits.
func (w *walker) whole(cw *commitWalk, tags []object.Hash, others []pending, fn WalkFunc) error {
	// Tags first, as always: their ids are seen before any tree is walked.
	var newTags []object.Hash
	for _, h := range tags {
		if w.seen.Add(h) {
			newTags = append(newTags, h)
		}
	}
	feed := &rootFeed{}
	feed.cond.L = &feed.mu
	cw.taken = func(c object.Hash) {
		feed.add(cw.info[c].tree)
		if commitTaken != nil {
			commitTaken()
		}
	}
	found := &foundQueue{}
	found.cond.L = &found.mu
	var stop atomic.Bool
	var done sync.WaitGroup
	done.Add(1)
	go func() {
		defer done.Done()
		found.end(w.walkFeed(feed, others, found, &stop))
	}()
	drain := func(err error) error {
		stop.Store(true)
		feed.close()
		done.Wait()
		return err
	}
	commits, err := cw.run()
	feed.close()
	if err == nil {
		err = cw.whole(commits)
	}
	if err != nil {
		return drain(err)
	}
	for _, h := range newTags {
		if err := fn(h, object.Tag, ""); err != nil {
			return drain(err)
		}
	}
	for _, c := range commits {
		if err := fn(c, object.Commit, ""); err != nil {
			return drain(err)
		}
	}
	for {
		b, err := found.next()
		if b == nil {
			done.Wait()
			return err
		}
		for _, x := range b {
			if err := fn(x.h, x.t, x.path); err != nil {
				return drain(err)
			}
		}
	}
}

// walkFeed walks the trees of the roots as they come, reading on its own while the
// commits are walked, and with the trees read ahead on another core once they are all
// known; then others.
func (w *walker) walkFeed(feed *rootFeed, others []pending, found *foundQueue, stop *atomic.Bool) error {
	batch := make([]walked, 0, foundBatch)
	emit := func(h object.Hash, t object.Type, path string) error {
		if stop.Load() {
			return errWalkStopped
		}
		if batch = append(batch, walked{h, t, path}); len(batch) == foundBatch {
			found.push(batch)
			batch = make([]walked, 0, foundBatch)
		}
		return nil
	}
	defer w.stopAhead()
	started := false
	for i := 0; ; i++ {
		root, ok, all := feed.get(i)
		if !ok || stop.Load() {
			break
		}
		if all && !started {
			started = true
			feed.mu.Lock()
			rest := feed.roots[i:]
			feed.mu.Unlock()
			w.ahead = startTreesAhead(w.r, rest, w.seen)
		}
		if err := w.visit(root, "", emit); err != nil {
			return err
		}
	}
	w.stopAhead()
	if err := w.finish(others, emit); err != nil {
		return err
	}
	if len(batch) > 0 {
		found.push(batch)
	}
	return nil
}
