package remote

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"git-remote-object-store/bundle"
	"git-remote-object-store/engine"
	"git-remote-object-store/gitpack"
	"git-remote-object-store/packchain"
	"git-remote-object-store/store"
)

// ErrEngine: the bucket holds a layout this URL or this tool cannot use. Its errors
// read "wrong engine: <what the bucket holds>; <what to do>".
var ErrEngine = errors.New("wrong engine")

// Remote is an opened remote: its location, its store scoped to the prefix, and the
// engine the bucket uses. It is the one place that chooses between the engines.
type Remote struct {
	Loc   *Location
	Store store.Store // scoped to Loc.Prefix; opened once, shared by everything in the process
	Kind  string      // engine.Bundle or engine.Packchain
}

// Open parses url, opens its backend and detects the engine. Nothing is written.
func Open(ctx context.Context, url string) (*Remote, error) {
	return openLocation(ctx, func() (*Location, error) { return Parse(url) })
}

// openLocation opens the backend of the location parse gives and detects its engine.
func openLocation(ctx context.Context, parse func() (*Location, error)) (*Remote, error) {
	loc, err := parse()
	if err != nil {
		return nil, err
	}
	st, err := OpenStore(ctx, loc)
	if err != nil {
		return nil, err
	}
	return New(ctx, loc, st)
}

// New detects the engine of the remote at loc whose store, already scoped to the prefix,
// is st.
func New(ctx context.Context, loc *Location, st store.Store) (*Remote, error) {
	kind, err := detectEngine(ctx, st, loc)
	if err != nil {
		return nil, err
	}
	return &Remote{Loc: loc, Store: st, Kind: kind}, nil
}

// detectEngine reads <prefix>/FORMAT, or recognises an awslabs bucket by its bundles,
// and checks it against the URL's engine= before anything is written.
func detectEngine(ctx context.Context, st store.Store, loc *Location) (string, error) {
	found := ""
	// Both engines write their name to the same key.
	rc, _, err := st.Get(ctx, bundle.FormatKey, nil)
	switch {
	case err == nil:
		b, rerr := io.ReadAll(io.LimitReader(rc, 256))
		rc.Close()
		if rerr != nil {
			return "", fmt.Errorf("read FORMAT: %w", rerr)
		}
		switch f := strings.TrimSpace(string(b)); f {
		case bundle.FormatName:
			found = engine.Bundle
		case packchain.FormatName:
			found = engine.Packchain
		case "packchain":
			return "", fmt.Errorf("%w: %s holds another tool's per-ref \"packchain\" layout, which this tool does not read; use another prefix", ErrEngine, loc.URL)
		default:
			return "", fmt.Errorf("%w: %s has FORMAT %q, unknown to this version; upgrade git-remote-object-store", ErrEngine, loc.URL, clip(f))
		}
	case store.IsNotFound(err):
		// No FORMAT: an awslabs bucket (bundles, no marker), a packchain one whose
		// FORMAT write failed, or a new remote.
		if hasKey(ctx, st, packchain.ManifestKey) {
			found = engine.Packchain
		} else if hasBundles(ctx, st) {
			found = engine.Bundle
		}
	default:
		return "", err
	}
	switch {
	case found == "" && loc.Engine == "":
		return engine.Bundle, nil
	case found == "":
		return loc.Engine, nil
	case loc.Engine != "" && loc.Engine != found:
		return "", fmt.Errorf("%w: %s already holds a %s repository, but the URL asks for engine=%s; drop engine= from the URL or use another prefix", ErrEngine, loc.URL, found, loc.Engine)
	}
	return found, nil
}

func hasKey(ctx context.Context, st store.Store, key string) bool {
	_, err := st.Head(ctx, key)
	return err == nil
}

func hasBundles(ctx context.Context, st store.Store) bool {
	found := false
	st.List(ctx, "refs/", func(i store.Info) error {
		if strings.HasSuffix(i.Key, ".bundle") {
			found = true
			return store.ErrStopList
		}
		return nil
	})
	return found
}

func clip(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}

// Engine returns r's engine bound to the local repository repo (nil for the verbs that
// need none), with warnings to warn.
func (r *Remote) Engine(repo *gitpack.Repo, warn io.Writer) (engine.Engine, error) {
	cfg := engine.Config{Store: r.Store, Repo: repo, Warn: warn, Zip: r.Loc.Zip}
	switch r.Kind {
	case engine.Bundle:
		return bundle.New(cfg), nil
	case engine.Packchain:
		return packchain.New(cfg), nil
	}
	return nil, fmt.Errorf("%w: the %s engine is not available in this build yet", ErrEngine, r.Kind)
}
