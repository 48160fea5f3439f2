package packchain

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"sort"
	"strings"
	"time"

	"git-remote-object-store/engine"
	"git-remote-object-store/gitpack"
	"git-remote-object-store/gitpack/object"
	"git-remote-object-store/internal/quote"
	"git-remote-object-store/store"
)

// Keys of the layout, relative to the remote's prefix.
const (
	FormatKey   = "FORMAT"
	FormatName  = "packchain-v2"
	ManifestKey = "packchain/manifest.json"
	PacksPrefix = "packchain/packs/"
	maxCASTries = 16
)

// casPause waits a little before retrying a lost compare-and-swap, longer after each
// loss and at random, so a crowd of pushers spreads out instead of colliding again.
func casPause(ctx context.Context, try int) error {
	d := time.Duration(rand.Int64N(int64(20*time.Millisecond) << min(try, 5)))
	select {
	case <-time.After(d):
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Engine keeps a remote as packs under one manifest.
type Engine struct {
	st   store.Store // scoped to the remote's prefix
	repo *gitpack.Repo
	warn io.Writer
	cfg  engine.Config
}

var (
	_ engine.Engine     = (*Engine)(nil)
	_ engine.Maintainer = (*Engine)(nil)
)

// New returns the packchain engine over cfg.Store (already scoped to the remote's
// prefix), bound to cfg.Repo.
func New(cfg engine.Config) *Engine {
	if cfg.Parallel <= 0 {
		cfg.Parallel = 4
	}
	cfg.Warn = cfg.WarnOrDiscard()
	return &Engine{st: cfg.Store, repo: cfg.Repo, warn: cfg.Warn, cfg: cfg}
}

// with returns a copy of e bound to another local repository (a scratch one).
func (e *Engine) with(repo *gitpack.Repo) *Engine {
	c := e.cfg
	c.Repo = repo
	return New(c)
}

// Caps: one manifest holds every ref, so a push of several refs can land as one CAS.
func (e *Engine) Caps() engine.Caps { return engine.Caps{Atomic: true} }

// load reads the manifest and its ETag; a missing manifest is an empty remote ("" ETag).
func (e *Engine) load(ctx context.Context) (*Manifest, string, error) {
	rc, info, err := e.st.Get(ctx, ManifestKey, nil)
	if store.IsNotFound(err) {
		f := object.SHA1
		if e.repo != nil {
			f = e.repo.Format()
		}
		return NewManifest(f), "", nil
	}
	if err != nil {
		return nil, "", err // a *store.Error names the manifest's key
	}
	defer rc.Close()
	m, err := DecodeManifest(rc)
	if err != nil {
		return nil, "", fmt.Errorf("%s: %w", ManifestKey, err)
	}
	return m, info.ETag, nil
}

// loadFor is load for a transfer with the local repository: the remote's object format
// must be the repository's. (List and the management verbs read any format: a clone
// learns the format from List before git sets up the new repository for it.)
func (e *Engine) loadFor(ctx context.Context) (*Manifest, string, error) {
	m, etag, err := e.load(ctx)
	if err != nil {
		return nil, "", err
	}
	if etag == "" {
		return m, etag, nil // empty: a fresh manifest in the repository's own format
	}
	if err := engine.CheckFormat(m.Format(), e.repo.Format()); err != nil {
		return nil, "", err
	}
	return m, etag, nil
}

// List implements engine.Transport.
func (e *Engine) List(ctx context.Context, forPush bool) ([]engine.Ref, error) {
	m, _, err := e.load(ctx)
	if err != nil {
		return nil, err
	}
	names := make([]string, 0, len(m.Refs))
	for name := range m.Refs {
		if err := gitpack.CheckRefName(name); err != nil || name == "HEAD" {
			fmt.Fprintf(e.warn, "warning: ignoring ref %s in the manifest: not a valid ref name\n", quote.Q(name))
			continue
		}
		names = append(names, name)
	}
	sort.Strings(names)
	var refs []engine.Ref
	if _, ok := m.Refs[m.Head]; ok && !forPush {
		refs = append(refs, engine.Ref{Name: "HEAD", Symref: m.Head})
	}
	for _, n := range names {
		h, _ := object.ParseHash(m.Refs[n])
		refs = append(refs, engine.Ref{Name: n, Hash: h})
	}
	return refs, nil
}

func packKey(name string) string { return PacksPrefix + name + ".pack" }
func idxKey(name string) string  { return PacksPrefix + name + ".idx" }

func hashes(ids []string) []object.Hash {
	out := make([]object.Hash, 0, len(ids))
	for _, s := range ids {
		if h, err := object.ParseHash(s); err == nil {
			out = append(out, h)
		}
	}
	return out
}

func (e *Engine) writeFormat(ctx context.Context) {
	_, err := e.st.Put(ctx, FormatKey, strings.NewReader(FormatName), int64(len(FormatName)), store.Cond{IfNoneMatch: true})
	if err != nil && !store.IsPrecondition(err) {
		fmt.Fprintf(e.warn, "warning: could not write %s: %v\n", FormatKey, err)
	}
}

func (e *Engine) putManifest(ctx context.Context, m *Manifest, etag string) error {
	data, err := m.Encode()
	if err != nil {
		return err
	}
	c := store.Cond{IfMatch: etag}
	if etag == "" {
		c = store.Cond{IfNoneMatch: true}
	}
	_, err = e.st.Put(ctx, ManifestKey, bytes.NewReader(data), int64(len(data)), c)
	return err
}
