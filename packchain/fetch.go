package packchain

import (
	"context"
	"fmt"

	"git-remote-object-store/engine"
	"git-remote-object-store/gitpack"
	"git-remote-object-store/gitpack/object"
)

// Fetch downloads the packs that hold wanted commits the local repository lacks. Packs
// are walked newest first: a pack is needed when one of its tips is missing, and then its
// prerequisites the repository lacks become missing too. Wanted commits no pack names as
// a tip (a ref moved to an older commit) are found by downloading the remaining packs.
func (e *Engine) Fetch(ctx context.Context, wants []engine.Ref, o engine.Options) error {
	m, _, err := e.loadFor(ctx)
	if err != nil {
		return err
	}
	if (o.Deepen.Shallow() || e.repo.IsShallow()) && o.Deepen.Depth != gitpack.InfiniteDepth {
		// A shallow history is a small part of the packs: read just it. (--unshallow
		// needs all of it, which whole packs bring faster.)
		return e.fetchShallow(ctx, m, wants, o)
	}
	missing := map[object.Hash]bool{}
	for _, w := range wants {
		if !e.repo.Has(w.Hash) {
			missing[w.Hash] = true
		}
	}
	var chosen []PackEntry
	taken := map[string]bool{}
	for _, p := range m.Packs {
		need := false
		for _, t := range hashes(p.Tips) {
			if missing[t] {
				need = true
				delete(missing, t)
			}
		}
		if !need {
			continue
		}
		chosen, taken[p.Name] = append(chosen, p), true
		for _, q := range hashes(p.Prereqs) {
			if !e.repo.Has(q) {
				missing[q] = true
			}
		}
	}
	// A deeper history lies in packs whose tips a shallow repository has.
	deepening := engine.Deepening(e.repo, o)
	if len(missing) > 0 || deepening {
		for _, p := range m.Packs {
			if !taken[p.Name] && (deepening || !allLocal(e.repo, hashes(p.Tips))) {
				chosen, taken[p.Name] = append(chosen, p), true
			}
		}
	}
	in, err := e.repo.Receive(gitpack.ReceiveOptions{Report: e.warn})
	if err != nil {
		return err
	}
	defer in.Abort() // nothing once committed
	if err := e.receive(ctx, in, chosen, o); err != nil {
		return err
	}
	for _, w := range wants {
		if !in.Has(w.Hash) {
			return fmt.Errorf("fetch %s: %s is in no pack of the remote (damaged manifest; run `git object-store doctor`)", w.Name, w.Hash)
		}
	}
	if err := engine.CommitFetch(e.repo, in, wants, o); err != nil {
		return fmt.Errorf("fetch: %w", err)
	}
	return nil
}

func allLocal(repo *gitpack.Repo, hs []object.Hash) bool {
	for _, h := range hs {
		if !repo.Has(h) {
			return false
		}
	}
	return len(hs) > 0
}

// download streams each pack into the indexer, a few at once, and installs them all
// once every one has arrived and verified: a failure leaves the repository as it was.
func (e *Engine) download(ctx context.Context, packs []PackEntry, o engine.Options) error {
	in, err := e.repo.Receive(gitpack.ReceiveOptions{Report: e.warn})
	if err != nil {
		return err
	}
	defer in.Abort()
	if err := e.receive(ctx, in, packs, o); err != nil {
		return err
	}
	return in.Commit()
}

// receive stages each pack in in, a few at once.
func (e *Engine) receive(ctx context.Context, in *gitpack.Incoming, packs []PackEntry, o engine.Options) error {
	return engine.Parallel(ctx, e.cfg.Parallel, len(packs), func(ctx context.Context, i int) error {
		return e.receivePack(ctx, in, packs[i], o)
	})
}

// fetchPack downloads and installs one pack.
func (e *Engine) fetchPack(ctx context.Context, p PackEntry, o engine.Options) error {
	return e.download(ctx, []PackEntry{p}, o)
}

func (e *Engine) receivePack(ctx context.Context, in *gitpack.Incoming, p PackEntry, o engine.Options) error {
	key := packKey(p.Name)
	rc, info, err := e.st.Get(ctx, key, nil)
	if err != nil {
		return fmt.Errorf("fetch %s: %w", key, err)
	}
	defer rc.Close()
	if p.Size > 0 && info.Size != p.Size {
		return fmt.Errorf("fetch %s: %d bytes on the bucket, the manifest says %d (damaged; run `git object-store doctor`)", key, info.Size, p.Size)
	}
	// Progress as git's index-pack shows it: "Receiving objects" with the pack's bytes
	// and their rate, then "Resolving deltas".
	rp := engine.NewReceiveProgress(o.Progress)
	res, err := in.IndexPack(rp.Reader(rc), gitpack.IndexOptions{Progress: rp.Indexer(), Links: o.Connectivity != nil})
	if err != nil {
		rp.Abort()
		return fmt.Errorf("fetch %s: %w", key, err)
	}
	rp.Done()
	// A pack is named by its objects (pack.SetName) or, when that name was taken, by
	// its trailer (push.go): either way the name is checked against the content.
	if p.Name != "pack-"+res.Set.String() && p.Name != "pack-"+res.Hash.String() {
		return fmt.Errorf("fetch %s: its content is pack-%s, holding the objects of pack-%s (damaged or misnamed)", key, res.Hash, res.Set)
	}
	return nil
}
