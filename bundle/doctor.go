package bundle

import (
	"cmp"
	"context"
	"fmt"
	"os"
	"sort"
	"strings"
	"time"

	"git-remote-object-store/engine"
	"git-remote-object-store/gitpack"
	"git-remote-object-store/gitpack/object"
	"git-remote-object-store/internal/quote"
	"git-remote-object-store/store"
)

// Doctor inspects the bundle layout: several bundles for one ref (an interrupted push
// of an older client), stale locks, keys that are not valid refs, a HEAD naming a ref
// with no bundle. Lock ages are judged on o.Now, the store's clock, against the engine's
// lock TTL.
func (e *Engine) Doctor(ctx context.Context, o engine.DoctorOptions) (engine.Diagnosis, error) {
	out, err := e.doctor(ctx, cmp.Or(o.Now, time.Now()), e.cfg.LockTTL)
	if err != nil {
		return engine.Diagnosis{}, err
	}
	damaged, err := e.verifyBundles(ctx, o.TmpDir)
	return engine.Diagnosis{Findings: append(out, damaged...)}, err
}

// verifyBundles reads every ref's bundle the way a fetch does (the one readers choose
// when a ref has several): header, pack indexed into a scratch repository and every
// object hashed, the ref's commit in it. A bundle a fetch would refuse is reported, so
// doctor never calls healthy a remote that no clone can read.
func (e *Engine) verifyBundles(ctx context.Context, tmpDir string) ([]engine.Finding, error) {
	// The layout's oddities are findings already: the listing here is quiet about them.
	st, err := New(engine.Config{Store: e.st, LockTTL: e.cfg.LockTTL}).scan(ctx)
	if err != nil {
		return nil, err
	}
	type target struct {
		ref  string
		key  string
		want object.Hash
	}
	var targets []target
	for _, ref := range st.withBundles("") {
		r := st.refs[ref]
		targets = append(targets, target{ref, r.bundles[0].Key, r.hash})
	}
	if len(targets) == 0 {
		return nil, nil
	}
	dir, err := os.MkdirTemp(tmpDir, "doctor-bundles-")
	if err != nil {
		return nil, fmt.Errorf("doctor: %w", err)
	}
	defer os.RemoveAll(dir)
	scratch, err := gitpack.InitBare(dir, cmp.Or(st.format, object.SHA1))
	if err != nil {
		return nil, fmt.Errorf("doctor: %w", err)
	}
	defer scratch.Close()
	reader := New(engine.Config{Store: e.st, Repo: scratch, Parallel: e.cfg.Parallel})
	problems := make([]error, len(targets))
	err = engine.Parallel(ctx, e.cfg.Parallel, len(targets), func(ctx context.Context, i int) error {
		in, err := scratch.Receive(gitpack.ReceiveOptions{})
		if err != nil {
			return err
		}
		defer in.Abort() // read, checked, and thrown away
		problems[i] = reader.fetchBundle(ctx, in, targets[i].key, targets[i].want, engine.Options{})
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("doctor: %w", err)
	}
	var out []engine.Finding
	for i, p := range problems {
		if p != nil {
			out = append(out, engine.Finding{What: fmt.Sprintf("%s cannot be fetched: %v; push the branch again from a repository that has it (git push --force <url> %s)",
				quote.C(targets[i].ref), p, strings.TrimPrefix(strings.TrimPrefix(targets[i].ref, "refs/heads/"), "refs/tags/"))})
		}
	}
	return out, nil
}

func (e *Engine) doctor(ctx context.Context, now time.Time, ttl time.Duration) ([]engine.Finding, error) {
	var out []engine.Finding
	type lock struct {
		key string
		age time.Duration
	}
	var locks []lock
	bundles := map[string][]store.Info{}
	err := e.st.List(ctx, "refs/", func(info store.Info) error {
		key := info.Key
		switch {
		case strings.HasSuffix(key, ".lock"):
			locks = append(locks, lock{key, now.Sub(info.LastModified)})
		case strings.HasSuffix(key, bundleSuffix):
			m := bundleKeyRE.FindStringSubmatch(key)
			if m == nil || gitpack.CheckRefName(m[1]) != nil {
				out = append(out, engine.Finding{What: fmt.Sprintf("%s is not <valid ref>/<sha>.bundle; readers ignore it (remove it by hand if it is junk)", quote.C(key))})
				return nil
			}
			bundles[m[1]] = append(bundles[m[1]], info)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("doctor: list: %w", err)
	}
	refs := make([]string, 0, len(bundles))
	for r := range bundles {
		refs = append(refs, r)
	}
	sort.Strings(refs)
	for _, ref := range refs {
		bs := bundles[ref]
		if len(bs) < 2 {
			continue
		}
		// The same choice readers make: the descendant stays, the others move aside.
		bs, why := e.rankBundles(ctx, bs)
		for _, old := range bs[1:] {
			sha := bundleHex(old.Key)
			to := fmt.Sprintf("%s-doctor-%s/%s%s", ref, sha[:8], sha, bundleSuffix)
			out = append(out, engine.Finding{
				What: fmt.Sprintf("%s has %d bundles; the newest (%s) is used, %s; %s would move to %s", quote.C(ref), len(bs), quote.C(bundleHex(bs[0].Key)), why, quote.C(old.Key), quote.C(to)),
				Fix:  func(ctx context.Context) error { return e.move(ctx, old.Key, to) },
			})
		}
	}
	for _, l := range locks {
		if l.age > ttl {
			out = append(out, engine.Finding{
				What: fmt.Sprintf("%s is a stale lock (%s old, stale after %s)", quote.C(l.key), l.age.Round(time.Second), ttl),
				Fix:  func(ctx context.Context) error { return e.st.Delete(ctx, l.key) },
			})
		}
	}
	head, _, err := e.readHead(ctx)
	if err != nil {
		return nil, err
	}
	if len(refs) > 0 && (head == "" || len(bundles[head]) == 0) {
		target := engine.PickHead(refs)
		out = append(out, engine.Finding{
			What: fmt.Sprintf("HEAD is %s, which has no bundle; it would point at %s", quote.Q(head), quote.C(target)),
			Fix: func(ctx context.Context) error {
				_, err := e.st.Put(ctx, HeadKey, strings.NewReader(target), int64(len(target)), store.Cond{})
				return err
			},
		})
	}
	return out, nil
}

// move copies a bundle to a new key (streamed) and then deletes the old one, so nothing
// is lost if it stops halfway.
func (e *Engine) move(ctx context.Context, from, to string) error {
	rc, info, err := e.st.Get(ctx, from, nil)
	if err != nil {
		return err
	}
	_, err = e.st.Put(ctx, to, rc, info.Size, store.Cond{IfNoneMatch: true})
	rc.Close()
	if err != nil && !store.IsPrecondition(err) {
		return fmt.Errorf("copy %s to %s: %w", from, to, err)
	}
	return e.st.Delete(ctx, from)
}
