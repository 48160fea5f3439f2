package packchain

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"

	"git-remote-object-store/engine"
	"git-remote-object-store/gitpack"
	"git-remote-object-store/gitpack/object"
	"git-remote-object-store/gitpack/pack"
	"git-remote-object-store/gitpack/packer"
)

// fetchShallow is Fetch for a shallow history (--depth and friends): instead of
// downloading whole packs it reads each pack's .idx and then, by ranged reads cached in
// blocks (so neighbouring objects come in one request), just the commits, trees and
// blobs of the shallow history that the repository lacks. They are packed locally,
// stored entries copied as they are, and indexed and checked like any fetched pack.
func (e *Engine) fetchShallow(ctx context.Context, m *Manifest, wants []engine.Ref, o engine.Options) error {
	db := &remoteObjects{ctx: ctx, e: e, m: m, open: map[string]*pack.Pack{}}
	defer db.close()
	src := &localThenRemote{repo: e.repo, db: db}
	hs := make([]object.Hash, len(wants))
	for i, w := range wants {
		hs[i] = w.Hash
	}
	plan, err := e.repo.PlanShallow(src, hs, o.Deepen)
	if err != nil {
		return fmt.Errorf("fetch: %w", err)
	}
	in, err := e.repo.Receive(gitpack.ReceiveOptions{Report: e.warn})
	if err != nil {
		return err
	}
	defer in.Abort() // nothing once committed
	if len(plan.Objects) > 0 {
		pr, pw := io.Pipe()
		go func() {
			_, err := packer.Write(pw, src, plan.Objects, packer.Options{Format: e.repo.Format()})
			pw.CloseWithError(err)
		}()
		rp := engine.NewReceiveProgress(o.Progress)
		_, err := in.IndexPack(rp.Reader(pr), gitpack.IndexOptions{Progress: rp.Indexer()})
		pr.CloseWithError(errors.New("fetch ended"))
		if err != nil {
			rp.Abort()
			return fmt.Errorf("fetch: %w", err)
		}
		rp.Done()
	}
	for _, w := range wants {
		if !in.Has(w.Hash) {
			return fmt.Errorf("fetch %s: %s is in no pack of the remote (damaged manifest; run `git object-store doctor`)", w.Name, w.Hash)
		}
	}
	if err := in.Commit(); err != nil {
		return fmt.Errorf("fetch: %w", err)
	}
	return e.repo.UpdateShallow(plan)
}

// localThenRemote reads an object from the local repository when it has it, else from
// the remote's packs. The pack writer reads from several goroutines; the remote side is
// not safe for that, so it is serialised.
type localThenRemote struct {
	repo *gitpack.Repo
	mu   sync.Mutex
	db   *remoteObjects
}

func (s *localThenRemote) Has(h object.Hash) bool {
	if s.repo.Has(h) {
		return true
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := range s.db.m.Packs {
		p, err := s.db.pack(i)
		if err == nil && p.Has(h) {
			return true
		}
	}
	return false
}

func (s *localThenRemote) Read(h object.Hash) (object.Type, []byte, error) {
	if t, data, err := s.repo.Read(h); err == nil {
		return t, data, nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.db.read(h)
}

// Locate lets the pack writer copy an object's stored entry (and keep a stored delta
// whose base it also writes) from a local pack or a remote one, without inflating it.
func (s *localThenRemote) Locate(h object.Hash) (*pack.Pack, int, bool) {
	if p, i, ok := s.repo.Locate(h); ok {
		return p, i, true
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := range s.db.m.Packs {
		p, err := s.db.pack(i)
		if err != nil {
			continue
		}
		if j := p.Idx.Find(h); j >= 0 {
			return p, j, true
		}
	}
	return nil, 0, false
}
