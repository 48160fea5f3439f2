package bundle

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path"
	"slices"
	"strings"

	"git-remote-object-store/engine"
	"git-remote-object-store/gitpack"
	"git-remote-object-store/gitpack/object"
	"git-remote-object-store/reflock"
	"git-remote-object-store/store"
)

// Push applies each update on its own (the bundle layout has no multi-ref transaction):
// decide against a fresh listing, take the ref's lock, re-check that the ref did not
// move, stream the new bundle up, then delete the old one. A failure leaves the remote
// as it was: the old bundle goes only after the new one has landed.
func (e *Engine) Push(ctx context.Context, updates []engine.Update, o engine.Options) ([]engine.Result, error) {
	st, err := e.scan(ctx)
	if err != nil {
		return nil, err
	}
	if err := engine.CheckFormat(st.format, e.repo.Format()); err != nil {
		return nil, err
	}
	if len(st.refs) == 0 && st.head == "" && !o.DryRun {
		// The first push to a remote: the locks rely on conditional writes, so check
		// that the server honours them rather than risk silently lost updates.
		if err := engine.CheckConditionalWritesOnce(ctx, e.st); err != nil {
			return nil, err
		}
	}
	var results []engine.Result
	if o.Atomic {
		results = e.pushAtomic(ctx, st, updates, o)
	} else {
		results = make([]engine.Result, len(updates))
		names := st.withBundles("") // the refs the remote has as the updates land
		for i, u := range updates {
			results[i] = e.pushOne(ctx, st, names, u, o)
			if results[i].Err == nil && !o.DryRun {
				names = afterUpdate(names, u)
			}
		}
	}
	if !o.DryRun {
		e.settleHead(ctx, st, updates, results)
		if e.cfg.Zip {
			e.backfillZips(ctx, st, updates, results, o)
		}
	}
	return results, nil
}

// settleHead keeps the remote's HEAD naming one of its branches once updates have been
// applied (results): when the remote had no valid HEAD before (a new remote, or a HEAD
// naming a ref without a bundle), or the push deleted the branch HEAD named (which takes
// force, see pushOne), HEAD is set to engine.ChooseHead among the branches the remote has
// now, the pushing repository's current branch first. A valid HEAD is never moved
// otherwise. The key is written create-if-absent, or replace-if-match on the version the
// listing read, so when two pushes race the first one's choice stands.
func (e *Engine) settleHead(ctx context.Context, st *remoteState, updates []engine.Update, results []engine.Result) {
	after := map[string]bool{}
	for _, name := range st.withBundles("") {
		after[name] = true
	}
	valid, deleted, landed := after[st.head], false, false
	for i, u := range updates {
		if results[i].Err != nil {
			continue
		}
		landed = true
		if u.Delete() {
			delete(after, u.Dst)
			deleted = deleted || u.Dst == st.head
		} else {
			after[u.Dst] = true
		}
	}
	if !landed || valid && !deleted {
		return
	}
	names := make([]string, 0, len(after))
	for name := range after {
		names = append(names, name)
	}
	next := engine.ChooseHead(engine.CurrentBranch(e.repo), names)
	if next == "" || next == st.head {
		if deleted {
			e.warnf("%s", engine.DeletedCurrentWarning(st.head, ""))
		}
		return
	}
	c := store.Cond{IfNoneMatch: true}
	if st.headETag != "" {
		c = store.Cond{IfMatch: st.headETag}
	}
	_, err := e.st.Put(ctx, HeadKey, strings.NewReader(next), int64(len(next)), c)
	switch {
	case err == nil:
		if deleted {
			e.warnf("%s", engine.DeletedCurrentWarning(st.head, next))
		}
	case store.IsPrecondition(err) || store.IsNotFound(err):
		// Another push set HEAD since we listed: its choice stands.
		if deleted {
			e.warnf("deleted the remote's default branch %s; another push has just set the default", engine.ShortRef(st.head))
		}
	default:
		e.warnf("could not make %s the remote's default branch: %v (git object-store doctor --fix sets one)", engine.ShortRef(next), err)
	}
}

// backfillZips writes the zip mirrors a zip=1 remote's branches lack (see
// engine.BackfillZipMirrors), after the push.
func (e *Engine) backfillZips(ctx context.Context, st *remoteState, updates []engine.Update, results []engine.Result, o engine.Options) {
	refs := map[string]object.Hash{}
	for _, name := range st.withBundles("") {
		refs[name] = st.refs[name].hash
	}
	pushed := map[string]bool{}
	for i, u := range updates {
		pushed[u.Dst] = true
		if results[i].Err == nil && u.Delete() {
			delete(refs, u.Dst)
		}
	}
	engine.BackfillZipMirrors(ctx, e.st, e.repo, refs, pushed, e.cfg.Warn, o.Verbosity > 0)
}

// afterUpdate is names once u has landed.
func afterUpdate(names []string, u engine.Update) []string {
	names = slices.DeleteFunc(names, func(n string) bool { return n == u.Dst })
	if !u.Delete() {
		names = append(names, u.Dst)
	}
	return names
}

// decide judges u against the listing st, names being the refs the remote has once the
// updates before u land: git's rules (engine.Decide), the default branch that is not
// deleted without force, and a new ref that cannot live beside one the remote has
// (engine.RefConflict; checked against the listing here, and again under the ref's lock
// by lockRef, where two pushes racing to create such a pair see each other).
func (e *Engine) decide(st *remoteState, names []string, u engine.Update) (forced bool, err error) {
	r := st.refs[u.Dst]
	if r == nil {
		r = &refState{}
	}
	if !u.Delete() && len(r.bundles) == 0 {
		if have := engine.RefConflict(names, u.Dst); have != "" {
			return false, engine.RefConflictError(have, u.Dst)
		}
	}
	forced, err = e.check(r, u)
	if err == nil && u.Delete() && u.Dst == st.head && !u.Forces() {
		err = engine.DeleteCurrentError(engine.ChooseHead(engine.CurrentBranch(e.repo), st.withBundles(u.Dst)), engine.ForceDeletePush)
	}
	return forced, err
}

// staged is one decided update whose ref this push has locked and listed again.
type staged struct {
	u    engine.Update
	lock *reflock.Lock
	now  *refState // the ref under the lock
	key  string    // the new bundle once uploaded ("" before, and for a delete)
}

// lockRef takes u's ref lock and re-lists the ref under it; the ref must not have moved
// since the listing st (it would have been decided against a stale value).
func (e *Engine) lockRef(ctx context.Context, st *remoteState, u engine.Update) (*staged, error) {
	lock, err := reflock.Acquire(ctx, e.st, u.Dst+"/"+lockName, reflock.Options{TTL: e.cfg.LockTTL})
	if err != nil {
		if errors.Is(err, reflock.ErrLocked) {
			err = fmt.Errorf("%s: %w", u.Dst, err)
		} // other failures name the lock's key, which holds the ref
		return nil, err
	}
	lock.KeepAlive(ctx) // a long upload must not let the lock go stale under us
	s := &staged{u: u, lock: lock}
	if s.now, err = e.refNow(ctx, u.Dst); err != nil {
		e.unlock(ctx, s)
		return nil, err
	}
	if len(s.now.bundles) > 1 {
		// Under the lock every finished push has removed its old bundle, so the others
		// were left by a push that died between upload and clean-up. The push is decided
		// against the one readers advertise (the descendant), and replaces them all.
		e.warnf("%s had %d bundles on the remote (a push was interrupted); this push replaces them", u.Dst, len(s.now.bundles))
	}
	var was object.Hash
	if r := st.refs[u.Dst]; r != nil {
		was = r.hash
	}
	if s.now.hash != was {
		e.unlock(ctx, s)
		return nil, fmt.Errorf("%s moved while we prepared the push: %w", u.Dst, engine.ErrFetchFirst)
	}
	if !u.Delete() && len(s.now.bundles) == 0 {
		rival, inProgress, err := e.rivalRef(ctx, u.Dst)
		switch {
		case err != nil:
		case inProgress:
			err = fmt.Errorf("%w: '%s' is being pushed; cannot create '%s' beside it", engine.ErrRefConflict, rival, u.Dst)
		case rival != "":
			err = engine.RefConflictError(rival, u.Dst)
		}
		if err != nil {
			e.unlock(ctx, s)
			return nil, err
		}
	}
	return s, nil
}

func (e *Engine) unlock(ctx context.Context, s *staged) {
	if err := s.lock.Release(context.WithoutCancel(ctx)); err != nil {
		e.warnf("could not release the lock of %s: %v (it expires after %s)", s.u.Dst, err, e.cfg.LockTTL)
	}
}

// stage uploads the new bundle of a locked update (nothing for a delete). Until finish
// removes the old bundle, withdraw takes it back and the ref is as it was.
func (e *Engine) stage(ctx context.Context, s *staged, o engine.Options) error {
	if s.u.Delete() {
		return nil
	}
	key := s.u.Dst + "/" + s.u.Src.String() + bundleSuffix
	if err := e.upload(ctx, key, s.u, o); err != nil {
		return err
	}
	s.key = key
	if err := s.lock.Lost(); err != nil {
		// Someone took the lock over while we uploaded: the ref may have moved, so our
		// bundle must not replace anything. Withdraw it; the user fetches and retries.
		e.withdraw(ctx, s)
		return fmt.Errorf("%s: the push lock was lost during the upload (%v): %w", s.u.Dst, err, engine.ErrFetchFirst)
	}
	return nil
}

// withdraw deletes the bundle stage uploaded, leaving the ref as it was.
func (e *Engine) withdraw(ctx context.Context, s *staged) {
	if s.key == "" || s.now.hash == s.u.Src {
		return // nothing uploaded, or the bundle is the one the ref already had
	}
	if err := e.st.Delete(context.WithoutCancel(ctx), s.key); err != nil {
		e.warnf("could not withdraw the new bundle of %s: %v (run `git object-store doctor --fix`)", s.u.Dst, err)
	}
	s.key = ""
}

// finish switches a staged update over: the ref's old bundles go (all of them for a
// delete), and its zip mirror is written.
func (e *Engine) finish(ctx context.Context, s *staged) error {
	if s.u.Delete() {
		return e.deleteKeys(ctx, s.now, "")
	}
	if err := e.ensureFormat(ctx); err != nil {
		e.warnf("%v", err)
	}
	if err := e.deleteKeys(ctx, s.now, s.key); err != nil {
		e.warnf("the new bundle of %s landed but an old one could not be removed: %v (run `git object-store doctor --fix`)", s.u.Dst, err)
	}
	if e.cfg.Zip {
		if err := engine.PutZipMirror(ctx, e.st, e.repo, s.u.Dst, s.u.Src); err != nil {
			e.warnf("%s was pushed but its zip mirror failed: %v", s.u.Dst, err)
		}
	}
	return nil
}

// pushOne decides one update against the listing, takes the ref's lock, checks the ref
// did not move, uploads the new bundle, then removes the old one.
func (e *Engine) pushOne(ctx context.Context, st *remoteState, names []string, u engine.Update, o engine.Options) engine.Result {
	res := engine.Result{Dst: u.Dst}
	res.Forced, res.Err = e.decide(st, names, u)
	if res.Err != nil || o.DryRun {
		return res
	}
	s, err := e.lockRef(ctx, st, u)
	if err != nil {
		res.Err = err
		return res
	}
	defer e.unlock(ctx, s)
	if res.Err = e.stage(ctx, s, o); res.Err == nil {
		res.Err = e.finish(ctx, s)
	}
	return res
}

// pushAtomic lands every update or none (git push --atomic): each is decided, every
// ref is locked (in name order, so two atomic pushes cannot each hold what the other
// waits for), every new bundle is uploaded, and only then are the old bundles removed.
// A failure before that switch withdraws what was uploaded and releases every lock, so
// the remote ends as it was. Readers may see a ref's new bundle during the upload of the
// others; the outcome, not that moment, is atomic.
func (e *Engine) pushAtomic(ctx context.Context, st *remoteState, updates []engine.Update, o engine.Options) []engine.Result {
	results := make([]engine.Result, len(updates))
	failAll := func(i int, err error) []engine.Result {
		for j := range results {
			results[j].Dst = updates[j].Dst
			switch {
			case j == i:
				results[j].Err = err
			case results[j].Err == nil:
				results[j].Err = engine.ErrAtomicFailed
			}
		}
		return results
	}
	names := st.withBundles("")
	failed := false
	for i, u := range updates {
		results[i].Dst = u.Dst
		results[i].Forced, results[i].Err = e.decide(st, names, u)
		if results[i].Err != nil {
			failed = true
		} else {
			names = afterUpdate(names, u)
		}
	}
	if failed {
		return failAll(-1, nil)
	}
	if o.DryRun {
		return results
	}
	order := make([]int, len(updates))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int { return strings.Compare(updates[a].Dst, updates[b].Dst) })
	var held []*staged
	defer func() {
		for _, s := range held {
			e.unlock(ctx, s)
		}
	}()
	for _, i := range order {
		s, err := e.lockRef(ctx, st, updates[i])
		if err != nil {
			return failAll(i, err)
		}
		held = append(held, s)
	}
	withdrawAll := func() {
		for _, s := range held {
			e.withdraw(ctx, s)
		}
	}
	for k, s := range held {
		if err := e.stage(ctx, s, o); err != nil {
			withdrawAll()
			return failAll(order[k], err)
		}
	}
	for k, s := range held {
		if err := s.lock.Lost(); err != nil {
			withdrawAll()
			return failAll(order[k], fmt.Errorf("%s: the push lock was lost during the upload (%v): %w", s.u.Dst, err, engine.ErrFetchFirst))
		}
	}
	for k, s := range held {
		results[order[k]].Err = e.finish(ctx, s)
	}
	return results
}

// check decides an update against the listed state (the newest bundle's sha; extra
// bundles are judged under the lock).
func (e *Engine) check(r *refState, u engine.Update) (forced bool, err error) {
	cur := r.hash
	if len(r.bundles) == 0 {
		cur = object.Hash{}
	}
	return engine.Decide(cur, r.protected, u, e.repo)
}

// refNow re-lists one ref under its lock.
func (e *Engine) refNow(ctx context.Context, ref string) (*refState, error) {
	r := &refState{}
	err := e.st.List(ctx, ref+"/", func(info store.Info) error {
		if m := bundleKeyRE.FindStringSubmatch(info.Key); m != nil && m[1] == ref {
			r.bundles = append(r.bundles, info)
		}
		return nil
	})
	if err != nil {
		return nil, err // a *store.Error names the listing
	}
	if len(r.bundles) > 0 {
		// Chosen as readers choose (newest.go), so the push is decided against what
		// every clone and fetch was shown.
		r.bundles, _ = e.rankBundles(ctx, r.bundles)
		r.hash, _ = object.ParseHash(bundleHex(r.bundles[0].Key))
	}
	return r, nil
}

// upload streams header + pack straight into the store: no temporary file, no buffer
// beyond a few parts. The pack is written deterministically, so a push killed part-way
// resumes (engine.PutResumable) instead of starting from zero.
//
// Progress is git's for a push: the packer's phases, the last of which, "Writing
// objects", counts the bytes as the upload takes them from the pipe, so its rate is the
// upload's; it says done once the store has the whole bundle.
func (e *Engine) upload(ctx context.Context, key string, u engine.Update, o engine.Options) error {
	pp := engine.NewPackProgress(o.Progress)
	pr, pw := io.Pipe()
	go func() {
		pw.CloseWithError(e.writeBundleProgress(pw, u.Dst, u.Src, pp))
	}()
	_, err := engine.PutResumable(ctx, e.st, key, pr, -1, store.Cond{}, e.resumeOptions())
	pr.CloseWithError(errors.New("upload ended"))
	if err != nil {
		pp.Abort()
	} else {
		pp.Done()
	}
	var missing *gitpack.MissingObjectError
	if errors.As(err, &missing) {
		return missing // about the local repository, not the upload it stopped
	}
	var shallow *gitpack.ShallowError
	if errors.As(err, &shallow) {
		return fmt.Errorf("%w: this repository is a shallow clone, and the bundle engine stores each ref's whole history, which it does not have: run git fetch --unshallow, then push again", ErrShallowPush)
	}
	if err != nil {
		return fmt.Errorf("upload %s: %w", key, err)
	}
	return nil
}

// writeBundle writes a self-contained bundle of the whole history of tip.
func (e *Engine) writeBundle(w io.Writer, ref string, tip object.Hash) error {
	return e.writeBundleProgress(w, ref, tip, nil)
}

// writeBundleProgress is writeBundle telling pp (which may be nil) how the pack is made.
func (e *Engine) writeBundleProgress(w io.Writer, ref string, tip object.Hash, pp *engine.PackProgress) error {
	h := &Header{Version: 2, Format: e.repo.Format(), Refs: []Ref{{Hash: tip, Name: ref}}}
	if h.Format != object.SHA1 {
		h.Version = 3
	}
	if err := WriteHeader(w, h); err != nil {
		return err
	}
	_, err := e.repo.WritePack(pp.Writer(w), []object.Hash{tip}, nil, pp.Options())
	return err
}

// ensureFormat writes FORMAT if absent. (HEAD is settled once the whole push is done:
// settleHead.)
func (e *Engine) ensureFormat(ctx context.Context) error {
	_, err := e.st.Put(ctx, FormatKey, strings.NewReader(FormatName), int64(len(FormatName)), store.Cond{IfNoneMatch: true})
	if err != nil && !store.IsPrecondition(err) {
		return err // a *store.Error names the key
	}
	return nil
}

// deleteKeys removes a ref's bundles (all but keep) and, on delete, its zip mirror.
func (e *Engine) deleteKeys(ctx context.Context, r *refState, keep string) error {
	var errs []error
	for _, b := range r.bundles {
		if b.Key != keep {
			if err := e.st.Delete(ctx, b.Key); err != nil {
				errs = append(errs, err)
			}
		}
	}
	if keep == "" && len(r.bundles) > 0 {
		ref := strings.TrimSuffix(r.bundles[0].Key, "/"+path.Base(r.bundles[0].Key))
		if err := e.st.Delete(ctx, engine.ZipKey(ref)); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
