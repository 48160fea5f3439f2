package bundle

// The bundle engine: docs/architecture.md, "Bucket layout: bundle engine" and
// "Concurrency: bundle engine"; byte-compatible with awslabs/git-remote-s3.

import (
	"context"
	"fmt"
	"io"
	"path"
	"regexp"
	"sort"
	"strings"
	"sync"

	"git-remote-object-store/engine"
	"git-remote-object-store/gitpack"
	"git-remote-object-store/gitpack/object"
	"git-remote-object-store/internal/quote"
	"git-remote-object-store/reflock"
	"git-remote-object-store/store"
)

// Keys of the layout, relative to the remote's prefix.
const (
	FormatKey    = "FORMAT"
	HeadKey      = "HEAD"
	FormatName   = "bundle"
	lockName     = "LOCK#.lock"
	protectName  = "PROTECTED#"
	bundleSuffix = ".bundle"
)

var bundleKeyRE = regexp.MustCompile(`^(refs/.+)/([0-9a-f]{40}|[0-9a-f]{64})\.bundle$`)

// Engine stores one full-history bundle per ref.
type Engine struct {
	st   store.Store // scoped to the remote's prefix
	repo *gitpack.Repo
	cfg  engine.Config

	mu    sync.Mutex
	state *remoteState // the last listing, reused by Fetch and Push
}

var _ engine.Engine = (*Engine)(nil)

// New returns the bundle engine over cfg.Store (already scoped to the remote's prefix),
// bound to cfg.Repo.
func New(cfg engine.Config) *Engine {
	if cfg.LockTTL <= 0 {
		cfg.LockTTL = reflock.TTLFromEnv()
	}
	if cfg.Parallel <= 0 {
		cfg.Parallel = 4
	}
	cfg.Warn = cfg.WarnOrDiscard()
	return &Engine{st: cfg.Store, repo: cfg.Repo, cfg: cfg}
}

// Caps: --atomic is honoured by locking every ref, uploading every bundle and only then
// removing the old ones (pushAtomic).
func (e *Engine) Caps() engine.Caps { return engine.Caps{Atomic: true} }

// refState is what the bucket holds for one ref.
type refState struct {
	bundles   []store.Info // the one readers use first (rankBundles)
	hash      object.Hash  // from the newest bundle's name
	protected bool
	locked    bool // a push holds (or left) the ref's lock
}

type remoteState struct {
	refs map[string]*refState
	head string // the ref the HEAD key names ("" when it names none, or no valid one)
	// headETag is the HEAD key's version ("" when there is none): settleHead replaces it
	// only if nobody else did first.
	headETag string
	// format is the hash function the bundles' names use (0: no bundles yet).
	format object.Format
}

// settleFormat decides the remote's object format from the bundles' names: scan put the
// sha1-length names in st and the others in odd. A remote of one format is that format
// (a clone learns it from List before git sets up the new repository); a remote with
// both is damaged, and the format of the local repository (sha1 without one) wins, with
// a warning for each bundle left out.
func (e *Engine) settleFormat(st *remoteState, odd []store.Info) object.Format {
	sha1s := 0
	for _, r := range st.refs {
		sha1s += len(r.bundles)
	}
	keep := object.SHA1
	switch {
	case len(odd) == 0 && sha1s == 0:
		return 0
	case sha1s == 0:
		keep = object.SHA256
	case len(odd) > 0 && e.repo != nil:
		keep = e.repo.Format()
	}
	if keep == object.SHA256 {
		for _, r := range st.refs { // every sha1-named bundle is out
			for _, b := range r.bundles {
				e.warnf("ignoring %s: a 40-digit id on a sha256 remote", quote.Q(b.Key))
			}
			r.bundles = nil
		}
	}
	for _, b := range odd {
		if len(bundleHex(b.Key)) != keep.HexSize() {
			e.warnf("ignoring %s: a %d-digit id on a %s remote", quote.Q(b.Key), len(bundleHex(b.Key)), keep)
			continue
		}
		m := bundleKeyRE.FindStringSubmatch(b.Key)
		r := st.refs[m[1]]
		if r == nil {
			r = &refState{}
			st.refs[m[1]] = r
		}
		r.bundles = append(r.bundles, b)
	}
	return keep
}

// withBundles is the names of the refs that have a bundle (branches and tags), except
// skip, sorted.
func (st *remoteState) withBundles(skip string) []string {
	var out []string
	for name, r := range st.refs {
		if len(r.bundles) > 0 && name != skip {
			out = append(out, name)
		}
	}
	sort.Strings(out)
	return out
}

func (e *Engine) warnf(format string, args ...any) {
	fmt.Fprintf(e.cfg.Warn, "warning: "+format+"\n", args...)
}

// scan lists the whole prefix once and classifies every key.
func (e *Engine) scan(ctx context.Context) (*remoteState, error) {
	st := &remoteState{refs: map[string]*refState{}}
	get := func(ref string) *refState {
		r := st.refs[ref]
		if r == nil {
			r = &refState{}
			st.refs[ref] = r
		}
		return r
	}
	var odd []store.Info // bundles named by an id of the other hash function's length
	err := e.st.List(ctx, "refs/", func(info store.Info) error {
		key := info.Key
		switch {
		case strings.HasSuffix(key, "/"+protectName):
			ref := strings.TrimSuffix(key, "/"+protectName)
			if gitpack.CheckRefName(ref) == nil {
				get(ref).protected = true
			}
			return nil
		case strings.HasSuffix(key, "/"+lockName):
			get(strings.TrimSuffix(key, "/"+lockName)).locked = true
			return nil
		case !strings.HasSuffix(key, bundleSuffix):
			return nil // zips, clock probes, anything else
		}
		m := bundleKeyRE.FindStringSubmatch(key)
		if m == nil {
			e.warnf("ignoring %s: not <ref>/<sha>.bundle", quote.Q(key))
			return nil
		}
		ref, hex := m[1], m[2]
		if err := gitpack.CheckRefName(ref); err != nil {
			e.warnf("ignoring %s: %v", quote.Q(key), err)
			return nil
		}
		if len(hex) != object.SHA1.HexSize() {
			odd = append(odd, info)
			return nil
		}
		r := get(ref)
		r.bundles = append(r.bundles, info)
		return nil
	})
	if err != nil {
		return nil, err // a *store.Error names the listing
	}
	st.format = e.settleFormat(st, odd)
	refNames := make([]string, 0, len(st.refs))
	for ref := range st.refs {
		refNames = append(refNames, ref)
	}
	sort.Strings(refNames) // warnings in a stable order
	for _, ref := range refNames {
		r := st.refs[ref]
		if len(r.bundles) == 0 {
			continue
		}
		var why string
		r.bundles, why = e.rankBundles(ctx, r.bundles)
		if len(r.bundles) > 1 && !r.locked { // with the lock held it is a push in progress
			e.warnf("%s has %d bundles on the remote; using the newest, %s (%s) (run `git object-store doctor --fix`)",
				ref, len(r.bundles), bundleHex(r.bundles[0].Key), why)
		}
		r.hash, _ = object.ParseHash(bundleHex(r.bundles[0].Key))
	}
	st.head, st.headETag, err = e.readHead(ctx)
	if err != nil {
		return nil, err
	}
	e.mu.Lock()
	e.state = st
	e.mu.Unlock()
	return st, nil
}

func bundleHex(key string) string {
	return strings.TrimSuffix(path.Base(key), bundleSuffix)
}

// readHead reads the ref the HEAD key names ("" when there is no key or it names no
// valid ref name) and the key's ETag ("" when there is none).
func (e *Engine) readHead(ctx context.Context) (head, etag string, err error) {
	rc, info, err := e.st.Get(ctx, HeadKey, nil)
	if store.IsNotFound(err) {
		return "", "", nil
	}
	if err != nil {
		return "", "", err // a *store.Error names the key
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, 4096))
	if err != nil {
		return "", "", fmt.Errorf("read HEAD: %w", err)
	}
	head = strings.TrimSpace(string(b))
	head = strings.TrimPrefix(head, "ref: ")
	if gitpack.CheckRefName(head) != nil {
		e.warnf("ignoring the remote HEAD %s: not a valid ref name", quote.Q(head))
		return "", info.ETag, nil
	}
	return head, info.ETag, nil
}

// List advertises one ref per bundle (the newest when there are several) and HEAD.
func (e *Engine) List(ctx context.Context, forPush bool) ([]engine.Ref, error) {
	st, err := e.scan(ctx)
	if err != nil {
		return nil, err
	}
	var refs []engine.Ref
	names := make([]string, 0, len(st.refs))
	for name, r := range st.refs {
		if len(r.bundles) > 0 {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	if !forPush && st.head != "" {
		if r := st.refs[st.head]; r != nil && len(r.bundles) > 0 {
			refs = append(refs, engine.Ref{Name: "HEAD", Symref: st.head})
		}
	}
	for _, name := range names {
		refs = append(refs, engine.Ref{Name: name, Hash: st.refs[name].hash})
	}
	return refs, nil
}

func (e *Engine) current(ctx context.Context) (*remoteState, error) {
	e.mu.Lock()
	st := e.state
	e.mu.Unlock()
	if st != nil {
		return st, nil
	}
	return e.scan(ctx)
}
