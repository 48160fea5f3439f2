package packchain

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"time"

	"git-remote-object-store/engine"
	"git-remote-object-store/gitpack"
	"git-remote-object-store/gitpack/object"
	"git-remote-object-store/gitpack/pack"
	"git-remote-object-store/store"
)

// Push decides every update against the manifest, uploads one pack of exactly the new
// objects (skipped when nothing is new or it is already there), then replaces the
// manifest with one compare-and-swap for all refs. A lost CAS re-reads the manifest,
// decides again and retries; the uploaded pack is reused when it still fits.
func (e *Engine) Push(ctx context.Context, updates []engine.Update, o engine.Options) ([]engine.Result, error) {
	var uploaded *PackEntry
	var up upload
	window := PushWindow()
	rep := &repairer{e: e}
	for try := 0; try < maxCASTries; try++ {
		m, etag, err := e.loadFor(ctx)
		if err != nil {
			return nil, err
		}
		if etag == "" && !o.DryRun {
			// The first push to a remote: before relying on compare-and-swap, check that
			// the server honours it, rather than risk silently lost updates.
			if err := engine.CheckConditionalWritesOnce(ctx, e.st); err != nil {
				return nil, err
			}
		}
		results := make([]engine.Result, len(updates))
		var ok []engine.Update
		for i, u := range updates {
			results[i].Dst = u.Dst
			cur, _ := object.ParseHash(m.Refs[u.Dst])
			if err := gitpack.CheckRefName(u.Dst); err != nil {
				results[i].Err = err
				continue
			}
			results[i].Forced, results[i].Err = engine.Decide(cur, m.IsProtected(u.Dst), u, e.repo)
			if results[i].Err == nil && cur.IsZero() && !u.Delete() {
				if have := engine.RefConflict(refsAfter(m, ok), u.Dst); have != "" {
					results[i].Err = engine.RefConflictError(have, u.Dst)
				}
			}
			if results[i].Err == nil && u.Delete() && u.Dst == m.Head && !u.Forces() {
				rest := slices.DeleteFunc(m.refNames(), func(n string) bool { return n == u.Dst })
				results[i].Err = engine.DeleteCurrentError(engine.ChooseHead(engine.CurrentBranch(e.repo), rest), engine.ForceDeletePush)
			}
			if results[i].Err == nil {
				ok = append(ok, u)
			}
		}
		if o.Atomic && len(ok) != len(updates) {
			for i := range results {
				if results[i].Err == nil {
					results[i].Err = engine.ErrAtomicFailed
				}
			}
			return results, nil
		}
		if len(ok) == 0 || o.DryRun {
			return results, nil
		}
		next := m.Clone()
		tips, prereqs := e.plan(m, ok)
		if len(tips) > 0 {
			// A pack this manifest does not name must have been uploaded within half
			// the push window, or gc may be deleting it (see window.go): upload again.
			stale := uploaded != nil && !m.HasPack(uploaded.Name) && !up.fresh(window)
			if uploaded == nil || stale || !sameTips(uploaded.Tips, tips) || !e.stillBuildsOn(uploaded, prereqs) {
				p, u, err := e.uploadPack(ctx, m, tips, prereqs, o)
				if err != nil {
					return nil, err
				}
				uploaded, up = p, u
				if p != nil && !m.HasPack(p.Name) && !up.fresh(window) {
					return nil, fmt.Errorf("uploading %s took longer than half the push window (%s): gc could delete it before the manifest names it; set %s to more than twice the upload time (the same value for every pusher and gc of this remote)", p.Name, window, PushWindowEnv)
				}
			}
			if uploaded != nil && !next.HasPack(uploaded.Name) {
				next.Packs = append([]PackEntry{*uploaded}, next.Packs...)
				next.Retired = slices.DeleteFunc(next.Retired, func(r Retired) bool { return r.Name == uploaded.Name })
			}
		}
		headDeleted := false
		for _, u := range ok {
			if u.Delete() {
				delete(next.Refs, u.Dst)
				headDeleted = headDeleted || u.Dst == m.Head
				continue
			}
			next.Refs[u.Dst] = u.Src.String()
		}
		// HEAD names a branch of the remote from its first push on: a remote without a
		// valid HEAD (new, or its HEAD named a ref that is gone) or whose default branch
		// this push deleted (with force) gets one, the pushing repository's current
		// branch first (engine.ChooseHead). A valid HEAD is never moved otherwise.
		if _, valid := next.Refs[next.Head]; !valid {
			if h := engine.ChooseHead(engine.CurrentBranch(e.repo), next.refNames()); h != "" {
				next.Head = h
			}
		}
		if etag == "" {
			e.writeFormat(ctx)
		}
		repaired, err := rep.apply(ctx, m, next, window, o)
		if err != nil {
			return nil, err
		}
		casCtx, cancel := earliest(append(repaired, up)...).deadline(ctx, window)
		err = e.putManifest(casCtx, next, etag)
		cancel()
		if err == nil {
			if headDeleted {
				now := next.Head
				if now == m.Head {
					now = "" // no branch left to name
				}
				fmt.Fprintf(e.warn, "warning: %s\n", engine.DeletedCurrentWarning(m.Head, now))
			}
			e.mirrorZips(ctx, ok, next, o)
			return results, nil
		}
		if !errors.Is(err, store.ErrPrecondition) && !errors.Is(err, store.ErrNotFound) {
			return nil, fmt.Errorf("update manifest: %w", err)
		}
		if err := casPause(ctx, try); err != nil {
			return nil, err
		}
		// Lost the race: another push changed the manifest. Decide again.
	}
	return nil, fmt.Errorf("update manifest: lost the compare-and-swap %d times in a row; try again", maxCASTries)
}

// mirrorZips writes or removes the zip mirror of each landed update, then writes those
// the other branches of next (the manifest the push landed) lack
// (engine.BackfillZipMirrors). The push has landed already, so a failure here is a
// warning.
func (e *Engine) mirrorZips(ctx context.Context, landed []engine.Update, next *Manifest, o engine.Options) {
	if !e.cfg.Zip {
		return
	}
	pushed := map[string]bool{}
	for _, u := range landed {
		pushed[u.Dst] = true
		var err error
		if u.Delete() {
			err = e.st.Delete(ctx, engine.ZipKey(u.Dst))
		} else {
			err = engine.PutZipMirror(ctx, e.st, e.repo, u.Dst, u.Src)
		}
		if err != nil {
			fmt.Fprintf(e.warn, "warning: %s was pushed but its zip mirror failed: %v\n", u.Dst, err)
		}
	}
	refs := map[string]object.Hash{}
	for name, hex := range next.Refs {
		if h, err := object.ParseHash(hex); err == nil {
			refs[name] = h
		}
	}
	engine.BackfillZipMirrors(ctx, e.st, e.repo, refs, pushed, e.warn, o.Verbosity > 0)
}

// plan returns the commits the pack must carry (new tips the remote lacks) and the
// remote tips it builds on.
func (e *Engine) plan(m *Manifest, ok []engine.Update) (tips, prereqs []object.Hash) {
	remote := map[object.Hash]bool{}
	for _, s := range m.Refs {
		if h, err := object.ParseHash(s); err == nil {
			remote[h] = true
		}
	}
	for _, u := range ok {
		if !u.Delete() && !remote[u.Src] {
			tips = append(tips, u.Src)
		}
	}
	for h := range remote {
		if e.repo.Has(h) {
			prereqs = append(prereqs, h)
		}
	}
	return tips, prereqs
}

// stillBuildsOn reports whether a pack uploaded for an earlier manifest may be named by
// the current one: every commit it left out must still be reachable from the remote's
// refs. A compaction in between may have dropped a deleted branch the pack relied on.
func (e *Engine) stillBuildsOn(p *PackEntry, prereqs []object.Hash) bool {
	have := map[object.Hash]bool{}
	for _, q := range prereqs {
		have[q] = true
	}
	for _, old := range hashes(p.Prereqs) {
		if have[old] {
			continue
		}
		found := false
		for _, q := range prereqs {
			if ok, err := e.repo.IsAncestor(old, q); err == nil && ok {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

func sameTips(a []string, b []object.Hash) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i].String() {
			return false
		}
	}
	return true
}

// uploadPack writes the pack of tips --not prereqs to a temporary file (its name is its
// hash, known only at the end), indexes it locally for the .idx that single-file reads
// use, and uploads both unless m names them and they are there. It returns nil when the
// pack would hold no object (everything is on the remote already), and when the upload
// started (zero when it was skipped).
func (e *Engine) uploadPack(ctx context.Context, m *Manifest, tips, prereqs []object.Hash, o engine.Options) (*PackEntry, upload, error) {
	dir, err := os.MkdirTemp(filepath.Join(e.repo.ObjectDir(), "pack"), "tmp_packchain_")
	if err != nil {
		return nil, upload{}, err
	}
	defer os.RemoveAll(dir)
	f, err := os.Create(filepath.Join(dir, "out.pack"))
	if err != nil {
		return nil, upload{}, err
	}
	// git's phases of a push: Enumerating, Counting, Compressing and Writing objects
	// (here into the temporary file), then the upload with its own byte meter.
	pp := engine.NewPackProgress(o.Progress)
	bw := bufio.NewWriterSize(pp.Writer(f), 1<<20)
	po := pp.Options()
	po.Index = true // the .idx comes from the writer's records, not a second pass
	res, err := e.repo.WritePack(bw, tips, prereqs, po)
	if err == nil {
		err = bw.Flush()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		pp.Abort()
	} else {
		pp.Done()
	}
	var missing *gitpack.MissingObjectError
	var shallow *gitpack.ShallowError
	if errors.As(err, &missing) || errors.As(err, &shallow) {
		return nil, upload{}, err // about the local repository: say it plainly
	}
	if err != nil {
		return nil, upload{}, fmt.Errorf("write pack: %w", err)
	}
	if res.Objects == 0 {
		return nil, upload{}, nil
	}
	name := "pack-" + res.Hash.String()
	// The idx, uploaded beside the pack, is written from what the writer recorded of
	// each entry (id, offset, CRC): byte for byte what indexing the pack would give.
	idx := filepath.Join(dir, name+".idx")
	if err := writeIdxFile(idx, e.repo.Format(), res); err != nil {
		return nil, upload{}, err
	}
	up := upload{started: time.Now()}
	sent := false
	files := []struct{ key, path string }{{idxKey(name), idx}, {packKey(name), f.Name()}}
	var total int64
	for _, file := range files {
		if fi, err := os.Stat(file.path); err == nil {
			total += fi.Size()
		}
	}
	um := engine.NewMeter(o.Progress, "Uploading pack", total)
	for _, file := range files {
		did, err := e.putFileMeter(ctx, file.key, file.path, m.HasPack(name), um)
		if err != nil {
			um.Abort()
			return nil, upload{}, err
		}
		sent = sent || did
	}
	if !sent {
		up = upload{}
		um.Abort() // nothing went up: no line saying it did
	} else {
		um.Set(total) // a file already there counts as sent
		um.Done()
	}
	entry := &PackEntry{Name: name, Size: res.Size, Objects: res.Objects, Created: time.Now().UTC().Truncate(time.Second)}
	for _, t := range tips {
		entry.Tips = append(entry.Tips, t.String())
	}
	for _, p := range prereqs {
		entry.Prereqs = append(entry.Prereqs, p.String())
	}
	return entry, up, nil
}

// putFile uploads a local file unless the manifest already names it and an object of the
// same size is at key (content-addressed keys: same name, same bytes). A pack on the bucket
// that the manifest does not name is a stray that gc may be about to delete, so it is
// uploaded again, which also makes it young again in gc's eyes.
func (e *Engine) putFile(ctx context.Context, key, path string, named bool, o engine.Options) (uploaded bool, err error) {
	um := engine.NewMeter(o.Progress, "Uploading "+key, 0)
	uploaded, err = e.putFileMeter(ctx, key, path, named, um)
	if err != nil || !uploaded {
		um.Abort()
	} else {
		um.Done()
	}
	return uploaded, err
}

// putFileMeter is putFile counting the bytes sent on um (which may be nil, and is not
// finished here: it may count several files).
func (e *Engine) putFileMeter(ctx context.Context, key, path string, named bool, um *engine.Meter) (uploaded bool, err error) {
	f, err := os.Open(path)
	if err != nil {
		return false, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return false, err
	}
	if named {
		if info, err := e.st.Head(ctx, key); err == nil && info.Size == fi.Size() {
			return false, nil
		}
	}
	_, err = engine.PutResumable(ctx, e.st, key, um.Reader(f), fi.Size(), store.Cond{}, e.resumeOptions())
	if err != nil {
		return false, fmt.Errorf("upload %s: %w", key, err)
	}
	return true, nil
}

// refsAfter is the names m has once the updates accepted so far (ok) apply: a new ref
// must not conflict with any of them (engine.RefConflict).
func refsAfter(m *Manifest, ok []engine.Update) []string {
	names := m.refNames()
	for _, u := range ok {
		if u.Delete() {
			names = slices.DeleteFunc(names, func(n string) bool { return n == u.Dst })
		} else if _, has := m.Refs[u.Dst]; !has {
			names = append(names, u.Dst)
		}
	}
	return names
}

func writeIdxFile(path string, f object.Format, res gitpack.PackResult) error {
	out, err := os.Create(path)
	if err != nil {
		return err
	}
	bw := bufio.NewWriterSize(out, 1<<20)
	err = pack.WriteIdx(bw, f, res.Index, res.Hash.Bytes())
	if err == nil {
		err = bw.Flush()
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("write the pack's index: %w", err)
	}
	return nil
}
