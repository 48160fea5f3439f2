package bundle

import (
	"cmp"
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"git-remote-object-store/engine"
	"git-remote-object-store/gitpack"
	"git-remote-object-store/internal/quote"
	"git-remote-object-store/store"
)

// Doctor inspects the bundle layout: several bundles for one ref (an interrupted push
// of an older client), stale locks, keys that are not valid refs, a HEAD naming a ref
// with no bundle. Lock ages are judged on o.Now, the store's clock, against the engine's
// lock TTL.
func (e *Engine) Doctor(ctx context.Context, o engine.DoctorOptions) (engine.Diagnosis, error) {
	out, err := e.doctor(ctx, cmp.Or(o.Now, time.Now()), e.cfg.LockTTL)
	return engine.Diagnosis{Findings: out}, err
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
