package bundle

import (
	"context"
	"strings"

	"git-remote-object-store/engine"
	"git-remote-object-store/store"
)

// rivalRef looks, under the lock of a ref about to be created, for a ref that cannot
// live beside it (engine.RefConflict): one above or below it with a bundle, or with a
// live lock, since a push creating it may not have uploaded yet. Two pushes racing to
// create such a pair each take their own ref's lock before they look, so the later of
// the two sees the earlier one's lock and backs off: at most one of them lands.
// (Both may back off; each retries as after any refused push.)
func (e *Engine) rivalRef(ctx context.Context, ref string) (rival string, inProgress bool, err error) {
	// One listing covers the refs above and below: everything under the ref's first
	// three components (refs/heads/release/ for refs/heads/release/1.0).
	parts := strings.SplitN(ref, "/", 4)
	prefix := ref + "/"
	if len(parts) == 4 {
		prefix = strings.Join(parts[:3], "/") + "/"
	}
	var locks []store.Info
	var ownLock store.Info
	err = e.st.List(ctx, prefix, func(info store.Info) error {
		if r, ok := strings.CutSuffix(info.Key, "/"+lockName); ok {
			if r == ref {
				ownLock = info
			} else if engine.RefConflict([]string{r}, ref) != "" {
				locks = append(locks, info)
			}
			return nil
		}
		if m := bundleKeyRE.FindStringSubmatch(info.Key); m != nil && rival == "" && engine.RefConflict([]string{m[1]}, ref) != "" {
			rival = m[1]
		}
		return nil
	})
	if err != nil || rival != "" {
		return rival, false, err // a *store.Error names the listing
	}
	// Our own lock was just written: its time is the store's now, against which a lock
	// left by a push that died long ago (older than the lock TTL) does not count.
	for _, l := range locks {
		if ownLock.LastModified.IsZero() || ownLock.LastModified.Sub(l.LastModified) < e.cfg.LockTTL {
			return strings.TrimSuffix(l.Key, "/"+lockName), true, nil
		}
	}
	return "", false, nil
}
