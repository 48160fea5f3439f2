package packchain

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"git-remote-object-store/engine"
	"git-remote-object-store/store"
)

// GC deletes the packs the manifest no longer names once they are older than grace:
// those compaction retired (counted from their retirement) and stray uploads that never
// made it into the manifest (counted from their upload). It never touches a pack the
// manifest names, so nothing a ref reaches is lost; objects that no ref reaches inside a
// named pack go when compaction rewrites it. With dryRun it only reports.
//
// Ages are judged on the store's clock, read before the manifest, and grace may not be
// shorter than the push window: together they guarantee that a pack a push is about to
// name is never deleted (window.go).
func (e *Engine) GC(ctx context.Context, grace time.Duration, dryRun bool) ([]engine.GCItem, error) {
	if w := PushWindow(); grace < w {
		return nil, fmt.Errorf("--grace %s is %w (%s), so gc could delete a pack a push has uploaded but not yet named; use --grace %s or more (%s sets the window)", shortDur(grace), ErrGraceTooShort, shortDur(w), shortDur(w), PushWindowEnv)
	}
	now, err := e.storeNow(ctx)
	if err != nil {
		return nil, err
	}
	m, _, err := e.load(ctx)
	if err != nil {
		return nil, err
	}
	// One second more: S3 truncates Last-Modified to whole seconds, which can make a pack
	// look up to a second older than it is.
	cutoff := now.Add(-grace - time.Second)
	type files struct {
		bytes  int64
		newest time.Time
		keys   []string
	}
	onBucket := map[string]*files{}
	err = e.st.List(ctx, PacksPrefix, func(i store.Info) error {
		base := strings.TrimPrefix(i.Key, PacksPrefix)
		name, ok := strings.CutSuffix(base, ".pack")
		if !ok {
			name, ok = strings.CutSuffix(base, ".idx")
		}
		if !ok || !packNameRE.MatchString(name) {
			return nil // not ours to delete; doctor reports it
		}
		f := onBucket[name]
		if f == nil {
			f = &files{}
			onBucket[name] = f
		}
		f.bytes += i.Size
		f.keys = append(f.keys, i.Key)
		if i.LastModified.After(f.newest) {
			f.newest = i.LastModified
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", PacksPrefix, err)
	}
	retired := map[string]time.Time{}
	for _, r := range m.Retired {
		retired[r.Name] = r.Since
	}
	var items []engine.GCItem
	for name, f := range onBucket {
		if m.HasPack(name) || f.newest.After(cutoff) {
			continue
		}
		reason := "never named (a lost race or an interrupted push)"
		if since, ok := retired[name]; ok {
			if since.After(cutoff) {
				continue
			}
			reason = "retired by compaction " + since.Format(time.RFC3339)
		}
		items = append(items, engine.GCItem{Name: name, Bytes: f.bytes, Reason: reason})
	}
	sort.Slice(items, func(i, j int) bool { return items[i].Name < items[j].Name })
	if dryRun || len(items) == 0 && len(m.Retired) == 0 {
		return items, nil
	}
	// First forget them in the manifest (a push that named one meanwhile wins: it is
	// then kept), then delete, checking each object's age once more just before: a push
	// that uploaded the same content again has made it young.
	doomed := map[string]bool{}
	err = e.update(ctx, func(next *Manifest) error {
		clear(doomed)
		for _, it := range items {
			if !next.HasPack(it.Name) {
				doomed[it.Name] = true
			}
		}
		n := len(next.Retired)
		next.Retired = slices.DeleteFunc(next.Retired, func(r Retired) bool {
			_, present := onBucket[r.Name]
			return doomed[r.Name] || !present && !next.HasPack(r.Name)
		})
		if len(next.Retired) == n {
			return errNoChange
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("gc: %w", err)
	}
	// Progress, when the caller asked for it (engine.WithProgress), counts the packs
	// removed, as git counts what it prunes.
	rm := engine.NewCounter(engine.ProgressOf(ctx), "Removing packs", int64(len(doomed)))
	var done []engine.GCItem
	for _, it := range items {
		if !doomed[it.Name] {
			continue
		}
		for _, key := range onBucket[it.Name].keys {
			if info, err := e.st.Head(ctx, key); err == nil && info.LastModified.After(cutoff) {
				continue
			}
			if err := e.st.Delete(ctx, key); err != nil {
				rm.Abort()
				return done, fmt.Errorf("gc: delete %s: %w", key, err)
			}
		}
		done = append(done, it)
		rm.Add(1)
	}
	rm.Done()
	return done, nil
}

// shortDur writes d as a user would type it: 6h, not Go's 6h0m0s.
func shortDur(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}
