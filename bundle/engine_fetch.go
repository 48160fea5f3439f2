package bundle

import (
	"bufio"
	"context"
	"errors"
	"fmt"

	"git-remote-object-store/engine"
	"git-remote-object-store/gitpack"
	"git-remote-object-store/gitpack/object"
)

// ErrNoBundle: git asked for an object no bundle on the remote ends at (the remote
// changed between list and fetch, or the bucket is damaged).
var ErrNoBundle = errors.New("no bundle on the remote holds the wanted commit")

// ErrShallowPush: a push from a shallow clone, which cannot write a whole-history bundle.
var ErrShallowPush = errors.New("shallow update not allowed")

// Fetch downloads the bundle of every wanted ref the local repository lacks, several at
// once, each streamed straight into the indexer (and checked as git's fetch checks, when
// fetch.fsckObjects or transfer.fsckObjects is set). A bundle shared by several refs
// (same sha) is fetched once. The packs are installed only when all of them verified.
func (e *Engine) Fetch(ctx context.Context, wants []engine.Ref, o engine.Options) error {
	st, err := e.current(ctx)
	if err != nil {
		return err
	}
	if err := engine.CheckFormat(st.format, e.repo.Format()); err != nil {
		return err
	}
	keys := map[object.Hash]string{}
	var order []object.Hash
	deepening := engine.Deepening(e.repo, o)
	for _, w := range wants {
		if _, dup := keys[w.Hash]; dup || e.repo.Has(w.Hash) && !deepening {
			continue
		}
		key := ""
		if r := st.refs[w.Name]; r != nil && len(r.bundles) > 0 && r.hash == w.Hash {
			key = r.bundles[0].Key
		}
		for _, r := range st.refs { // the same commit under another name
			if key == "" && len(r.bundles) > 0 && r.hash == w.Hash {
				key = r.bundles[0].Key
			}
		}
		if key == "" {
			return fmt.Errorf("fetch %s %s: %w (the remote may have changed; fetch again)", w.Hash, w.Name, ErrNoBundle)
		}
		keys[w.Hash] = key
		order = append(order, w.Hash)
	}
	// Every bundle is staged, and installed only once all of them have arrived and
	// verified: a failed fetch leaves the repository as it was.
	in, err := e.repo.Receive(gitpack.ReceiveOptions{Report: e.cfg.Warn})
	if err != nil {
		return err
	}
	defer in.Abort() // nothing once committed
	err = engine.Parallel(ctx, e.cfg.Parallel, len(order), func(ctx context.Context, i int) error {
		return e.fetchBundle(ctx, in, keys[order[i]], order[i], o)
	})
	if err != nil {
		return err
	}
	if err := engine.CommitFetch(e.repo, in, wants, o); err != nil {
		return fmt.Errorf("fetch: %w", err)
	}
	return nil
}

func (e *Engine) fetchBundle(ctx context.Context, in *gitpack.Incoming, key string, want object.Hash, o engine.Options) error {
	rc, _, err := e.st.Get(ctx, key, nil)
	if err != nil {
		return fmt.Errorf("fetch %s: %w", key, err)
	}
	defer rc.Close()
	// Progress as git's index-pack shows it: "Receiving objects" with the bundle's bytes
	// and their rate, then "Resolving deltas".
	rp := engine.NewReceiveProgress(o.Progress)
	br := bufio.NewReaderSize(rp.Reader(rc), 64<<10)
	h, err := ReadHeader(br)
	if err != nil {
		return fmt.Errorf("fetch %s: %w", key, err)
	}
	if h.Format != e.repo.Format() {
		return fmt.Errorf("fetch %s: a %s bundle cannot go into this %s repository", key, h.Format, e.repo.Format())
	}
	found := false
	for _, r := range h.Refs {
		found = found || r.Hash == want
	}
	if !found {
		return fmt.Errorf("fetch %s: the bundle does not contain %s (damaged or mislabelled; run `git object-store doctor`)", key, want)
	}
	for _, p := range h.Prereqs {
		if !in.Has(p.Hash) {
			return fmt.Errorf("fetch %s: the bundle needs %s, which this repository lacks", key, p.Hash)
		}
	}
	if _, err := in.IndexPack(br, gitpack.IndexOptions{FixThin: len(h.Prereqs) > 0, Progress: rp.Indexer(), Links: o.Connectivity != nil}); err != nil {
		rp.Abort()
		return fmt.Errorf("fetch %s: %w", key, err)
	}
	rp.Done()
	if !in.Has(want) {
		return fmt.Errorf("fetch %s: %s is missing after indexing the bundle (damaged bundle)", key, want)
	}
	return nil
}
