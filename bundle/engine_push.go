package bundle

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path"
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
	if len(st.refs) == 0 && st.head == "" && !o.DryRun {
		// The first push to a remote: the locks rely on conditional writes, so check
		// that the server honours them rather than risk silently lost updates.
		if err := engine.CheckConditionalWritesOnce(ctx, e.st); err != nil {
			return nil, err
		}
	}
	results := make([]engine.Result, len(updates))
	for i, u := range updates {
		results[i] = e.pushOne(ctx, st, u, o)
	}
	return results, nil
}

func (e *Engine) pushOne(ctx context.Context, st *remoteState, u engine.Update, o engine.Options) engine.Result {
	res := engine.Result{Dst: u.Dst}
	r := st.refs[u.Dst]
	if r == nil {
		r = &refState{}
	}
	forced, err := e.check(r, u)
	if err != nil || o.DryRun {
		res.Err, res.Forced = err, forced
		return res
	}
	lock, err := reflock.Acquire(ctx, e.st, u.Dst+"/"+lockName, reflock.Options{TTL: e.cfg.LockTTL})
	if err != nil {
		if errors.Is(err, reflock.ErrLocked) {
			err = fmt.Errorf("%s: %w", u.Dst, err)
		} // other failures name the lock's key, which holds the ref
		res.Err = err
		return res
	}
	lock.KeepAlive(ctx) // a long upload must not let the lock go stale under us
	defer func() {
		if err := lock.Release(context.WithoutCancel(ctx)); err != nil {
			e.warnf("could not release the lock of %s: %v (it expires after %s)", u.Dst, err, e.cfg.LockTTL)
		}
	}()
	now, err := e.refNow(ctx, u.Dst)
	if err != nil {
		res.Err = err
		return res
	}
	if len(now.bundles) > 1 {
		// Under the lock every finished push has removed its old bundle, so the others
		// were left by a push that died between upload and clean-up. The push is decided
		// against the one readers advertise (the descendant), and replaces them all.
		e.warnf("%s had %d bundles on the remote (a push was interrupted); this push replaces them", u.Dst, len(now.bundles))
	}
	if now.hash != r.hash {
		res.Err = fmt.Errorf("%s moved while we prepared the push: %w", u.Dst, engine.ErrFetchFirst)
		return res
	}
	if u.Delete() {
		res.Err = e.deleteKeys(ctx, now, "")
		return res
	}
	key := u.Dst + "/" + u.Src.String() + bundleSuffix
	if err := e.upload(ctx, key, u, o); err != nil {
		res.Err = err
		return res
	}
	if err := lock.Lost(); err != nil {
		// Someone took the lock over while we uploaded: the ref may have moved, so our
		// bundle must not replace anything. Withdraw it; the user fetches and retries.
		e.st.Delete(context.WithoutCancel(ctx), key)
		res.Err = fmt.Errorf("%s: the push lock was lost during the upload (%v): %w", u.Dst, err, engine.ErrFetchFirst)
		return res
	}
	if err := e.ensureMarkers(ctx, u.Dst); err != nil {
		e.warnf("%v", err)
	}
	if err := e.deleteKeys(ctx, now, key); err != nil {
		e.warnf("the new bundle of %s landed but an old one could not be removed: %v (run `git object-store doctor --fix`)", u.Dst, err)
	}
	if e.cfg.Zip {
		if err := engine.PutZipMirror(ctx, e.st, e.repo, u.Dst, u.Src); err != nil {
			e.warnf("%s was pushed but its zip mirror failed: %v", u.Dst, err)
		}
	}
	res.Forced = forced
	return res
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
		return nil, fmt.Errorf("list %s: %w", ref, err)
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
func (e *Engine) upload(ctx context.Context, key string, u engine.Update, o engine.Options) error {
	pr, pw := io.Pipe()
	go func() {
		pw.CloseWithError(e.writeBundle(pw, u.Dst, u.Src))
	}()
	body := engine.CountingReader(pr, o.Progress, "Writing "+key, -1)
	_, err := engine.PutResumable(ctx, e.st, key, body, -1, store.Cond{}, e.resumeOptions())
	pr.CloseWithError(errors.New("upload ended"))
	if err != nil {
		return fmt.Errorf("upload %s: %w", key, err)
	}
	return nil
}

// writeBundle writes a self-contained bundle of the whole history of tip.
func (e *Engine) writeBundle(w io.Writer, ref string, tip object.Hash) error {
	h := &Header{Version: 2, Format: e.repo.Format(), Refs: []Ref{{Hash: tip, Name: ref}}}
	if h.Format != object.SHA1 {
		h.Version = 3
	}
	if err := WriteHeader(w, h); err != nil {
		return err
	}
	_, err := e.repo.WritePack(w, []object.Hash{tip}, nil, gitpack.PackOptions{})
	return err
}

// ensureMarkers writes FORMAT and, for the first branch pushed, HEAD, if absent.
func (e *Engine) ensureMarkers(ctx context.Context, ref string) error {
	put := func(key, body string) error {
		_, err := e.st.Put(ctx, key, strings.NewReader(body), int64(len(body)), store.Cond{IfNoneMatch: true})
		if err != nil && !store.IsPrecondition(err) {
			return fmt.Errorf("write %s: %w", key, err)
		}
		return nil
	}
	if err := put(FormatKey, FormatName); err != nil {
		return err
	}
	if strings.HasPrefix(ref, "refs/heads/") {
		return put(HeadKey, ref)
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
