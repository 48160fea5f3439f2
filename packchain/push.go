package packchain

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"time"

	"git-remote-object-store/engine"
	"git-remote-object-store/gitpack"
	"git-remote-object-store/gitpack/object"
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

// uploadPack uploads the pack of tips --not prereqs and its .idx, and returns the
// manifest entry naming them; nil when the pack would hold no object (everything is on
// the remote already). The upload is the time this process began it, zero when it
// uploaded nothing (m names the pack already, and it is there).
//
// The pack is named by its set of objects (pack.SetName), known once the walk ends, so
// it streams into the store under its final key as it is written, with no temporary
// file (streamPack). Such a key is only ever created, never replaced: two pushes of the
// same objects from different clones make different bytes, and a pack replaced under
// its .idx would make the pair disagree. When the key is taken by a pack m does not name
// (a stray of a killed push, or another push of the same objects in flight), the pack is
// written to a temporary file and named by its trailer instead (uploadPackFile), which
// is a true content address: one name, one content. Readers accept either name
// (fetch.go checks the one the pack has).
func (e *Engine) uploadPack(ctx context.Context, m *Manifest, tips, prereqs []object.Hash, o engine.Options) (*PackEntry, upload, error) {
	entry, up, err := e.streamPack(ctx, m, tips, prereqs, o)
	if errors.Is(err, errNameTaken) {
		return e.uploadPackFile(ctx, m, tips, prereqs, o)
	}
	return entry, up, err
}

var (
	// errNameTaken: a pack of the same objects is on the bucket and the manifest does
	// not name it, so its key is not ours to write.
	errNameTaken = errors.New("a pack of these objects is on the bucket already, not named by the manifest")
	// errNamed: the manifest names a pack of exactly these objects, and it is there.
	errNamed = errors.New("the manifest names a pack of these objects")
)

// streamPack is uploadPack's usual way: the pack goes into the store as it is written,
// created under pack-<set name> only if that key is free (errNameTaken otherwise).
func (e *Engine) streamPack(ctx context.Context, m *Manifest, tips, prereqs []object.Hash, o engine.Options) (*PackEntry, upload, error) {
	// git's phases of a push, as the bundle engine shows them: Enumerating, Counting,
	// Compressing, then Writing objects, counted as the upload takes the bytes.
	pp := engine.NewPackProgress(o.Progress)
	po := pp.Options()
	po.Index = true // the .idx comes from the writer's records, not a second pass
	var have *PackEntry
	names := make(chan string, 1)
	pr, pw := io.Pipe()
	// Until Begin names the pack, nothing reads the pipe: a pack of no objects, whose
	// header and trailer WritePack still writes, goes nowhere.
	out := &laterWriter{}
	po.Begin = func(set object.Hash) error {
		name := "pack-" + set.String()
		if p := m.pack(name); p != nil && e.present(ctx, *p) {
			have = p
			return errNamed
		}
		if _, err := e.st.Head(ctx, packKey(name)); err == nil {
			return errNameTaken
		} else if !errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("look for %s: %w", packKey(name), err)
		}
		out.w = pw
		names <- name
		return nil
	}
	type written struct {
		res gitpack.PackResult
		err error
		idx []byte // the .idx, made while the upload finishes; nil: to be streamed
	}
	done := make(chan written, 1)
	go func() {
		res, err := e.repo.WritePack(pp.Writer(out), tips, prereqs, po)
		pw.CloseWithError(err)
		close(names)
		var idx []byte
		if err == nil {
			idx = e.idxAhead(res)
		}
		done <- written{res, err, idx}
	}()
	name, streaming := <-names
	var up upload
	var putErr error
	if streaming {
		up = upload{started: time.Now()}
		_, putErr = engine.PutResumable(ctx, e.st, packKey(name), pr, -1, store.Cond{IfNoneMatch: true}, e.resumeOptions())
	}
	pr.CloseWithError(errors.New("upload ended"))
	w := <-done
	err := w.err
	if errors.Is(err, errNamed) {
		pp.Abort()
		return have, upload{}, nil
	}
	if err == nil && putErr != nil {
		err = putErr
	}
	switch {
	case packDone(pp, err):
		return nil, upload{}, err // about the local repository: say it plainly
	case errors.Is(err, errNameTaken):
		return nil, upload{}, err
	case store.IsPrecondition(putErr):
		// Another push of the same objects created the key while this one uploaded.
		return nil, upload{}, fmt.Errorf("%w (created during this upload)", errNameTaken)
	case putErr != nil:
		return nil, upload{}, fmt.Errorf("upload %s: %w", packKey(name), putErr)
	case err != nil:
		return nil, upload{}, fmt.Errorf("write pack: %w", err)
	case w.res.Objects == 0:
		return nil, upload{}, nil
	}
	if err := e.putIdx(ctx, name, w.res, w.idx); err != nil {
		return nil, upload{}, err
	}
	return newEntry(name, w.res, tips, prereqs), up, nil
}

// laterWriter discards what is written to it until w is set (on the writing goroutine).
type laterWriter struct{ w io.Writer }

func (l *laterWriter) Write(p []byte) (int, error) {
	if l.w == nil {
		return len(p), nil
	}
	return l.w.Write(p)
}

// packDone ends pp as err says and reports whether err is about the local repository
// (an object it lacks, a shallow boundary), to be said plainly, not as a failed write.
func packDone(pp *engine.PackProgress, err error) (local bool) {
	if err != nil {
		pp.Abort()
	} else {
		pp.Done()
	}
	var missing *gitpack.MissingObjectError
	var shallow *gitpack.ShallowError
	return errors.As(err, &missing) || errors.As(err, &shallow)
}

// present reports whether p's pack and index are on the bucket, the pack of the size
// the manifest gives.
func (e *Engine) present(ctx context.Context, p PackEntry) bool {
	info, err := e.st.Head(ctx, packKey(p.Name))
	if err != nil || info.Size != p.Size {
		return false
	}
	_, err = e.st.Head(ctx, idxKey(p.Name))
	return err == nil
}

// idxAheadMax bounds the .idx idxAhead makes in memory (that of 2.5 M objects).
var idxAheadMax int64 = 80 << 20

// idxAhead makes the .idx of the pack written as res, if it is small enough to hold:
// done while the upload of the pack's last parts and its completion go on (a second or
// so on git.git), the .idx is then ready to send, not made after them.
func (e *Engine) idxAhead(res gitpack.PackResult) []byte {
	hs := e.repo.Format().Size()
	size := int64(res.Index.Len())*int64(hs+16) + 1100 + 2*int64(hs) // large offsets: 8 more each
	if res.Objects == 0 || size > idxAheadMax {
		return nil
	}
	var b bytes.Buffer
	b.Grow(int(size))
	if err := res.Index.WriteIdx(&b, e.repo.Format(), res.Hash.Bytes()); err != nil {
		return nil // putIdx writes it again, and says what is wrong
	}
	return b.Bytes()
}

// putIdx uploads the .idx of the pack written as res under name, made from what the
// writer recorded of each entry (id, offset, CRC): byte for byte what indexing the pack
// would give. idx, when not nil, is that .idx already made (idxAhead).
func (e *Engine) putIdx(ctx context.Context, name string, res gitpack.PackResult, idx []byte) error {
	if idx != nil {
		if _, err := e.st.Put(ctx, idxKey(name), bytes.NewReader(idx), int64(len(idx)), store.Cond{}); err != nil {
			return fmt.Errorf("upload %s: %w", idxKey(name), err)
		}
		return nil
	}
	pr, pw := io.Pipe()
	go func() {
		bw := bufio.NewWriterSize(pw, 256<<10)
		err := res.Index.WriteIdx(bw, e.repo.Format(), res.Hash.Bytes())
		if err == nil {
			err = bw.Flush()
		}
		pw.CloseWithError(err)
	}()
	_, err := e.st.Put(ctx, idxKey(name), pr, -1, store.Cond{})
	pr.CloseWithError(errors.New("upload ended"))
	if err != nil {
		return fmt.Errorf("upload %s: %w", idxKey(name), err)
	}
	return nil
}

func newEntry(name string, res gitpack.PackResult, tips, prereqs []object.Hash) *PackEntry {
	entry := &PackEntry{Name: name, Size: res.Size, Objects: res.Objects, Created: time.Now().UTC().Truncate(time.Second)}
	for _, t := range tips {
		entry.Tips = append(entry.Tips, t.String())
	}
	for _, p := range prereqs {
		entry.Prereqs = append(entry.Prereqs, p.String())
	}
	return entry
}

// uploadPackFile is uploadPack when the set name is taken: the pack is written to a
// temporary file and named by its trailer, known only at the end, then uploaded with
// its index unless m names them and they are there.
func (e *Engine) uploadPackFile(ctx context.Context, m *Manifest, tips, prereqs []object.Hash, o engine.Options) (*PackEntry, upload, error) {
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
	po.Index = true
	res, err := e.repo.WritePack(bw, tips, prereqs, po)
	if err == nil {
		err = bw.Flush()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if packDone(pp, err) {
		return nil, upload{}, err
	}
	if err != nil {
		return nil, upload{}, fmt.Errorf("write pack: %w", err)
	}
	if res.Objects == 0 {
		return nil, upload{}, nil
	}
	name := "pack-" + res.Hash.String()
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
	return newEntry(name, res, tips, prereqs), up, nil
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
	err = res.Index.WriteIdx(bw, f, res.Hash.Bytes())
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
