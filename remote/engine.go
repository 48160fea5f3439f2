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

// Engine is what the helper drives. The local repository is bound when the engine is
// opened, so the interface does not mention it.
type Engine interface {
	Caps() engine.Caps
	List(ctx context.Context, forPush bool) ([]engine.Ref, error)
	Fetch(ctx context.Context, wants []engine.Ref, o engine.Options) error
	Push(ctx context.Context, updates []engine.Update, o engine.Options) ([]engine.Result, error)
}

var (
	_ Engine = (*bundle.Engine)(nil)
	_ Engine = (*packchain.Engine)(nil)

	// ErrEngine: the bucket holds a layout this URL or this tool cannot use.
	ErrEngine = errors.New("remote: wrong engine")
)

// Remote is an opened remote: its location, its store scoped to the prefix, and the
// engine the bucket uses.
type Remote struct {
	Loc    *Location
	Store  store.Store // scoped to Loc.Prefix
	Engine string      // EngineBundle or EnginePackchain
}

// Open parses url, opens its backend and detects the engine. Nothing is written.
func Open(ctx context.Context, url string) (*Remote, error) {
	loc, err := Parse(url)
	if err != nil {
		return nil, err
	}
	st, err := OpenStore(ctx, loc)
	if err != nil {
		return nil, err
	}
	r := &Remote{Loc: loc, Store: store.Prefixed(st, loc.Prefix)}
	if r.Engine, err = detectEngine(ctx, r.Store, loc); err != nil {
		return nil, err
	}
	return r, nil
}

// detectEngine reads <prefix>/FORMAT, or recognises an awslabs bucket by its bundles,
// and checks it against the URL's engine= before anything is written.
func detectEngine(ctx context.Context, st store.Store, loc *Location) (string, error) {
	found := ""
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
			found = EngineBundle
		case "packchain-v2":
			found = EnginePackchain
		case "packchain":
			return "", fmt.Errorf("%w: %s holds another tool's per-ref \"packchain\" layout, which this tool does not read (use a different prefix)", ErrEngine, loc.URL)
		default:
			return "", fmt.Errorf("%w: %s has FORMAT %q, unknown to this version (upgrade git-remote-object-store)", ErrEngine, loc.URL, clip(f))
		}
	case store.IsNotFound(err):
		// No FORMAT: an awslabs bucket (bundles, no marker), a packchain one whose
		// FORMAT write failed, or a new remote.
		if hasKey(ctx, st, "packchain/manifest.json") {
			found = EnginePackchain
		} else if hasBundles(ctx, st) {
			found = EngineBundle
		}
	default:
		return "", err
	}
	switch {
	case found == "" && loc.Engine == "":
		return EngineBundle, nil
	case found == "":
		return loc.Engine, nil
	case loc.Engine != "" && loc.Engine != found:
		return "", fmt.Errorf("%w: %s already holds a %s repository, but the URL asks for engine=%s (drop engine= or use another prefix)", ErrEngine, loc.URL, found, loc.Engine)
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

// EngineFor returns the engine of r bound to the local repository repo.
func (r *Remote) EngineFor(repo *gitpack.Repo, warn io.Writer) (Engine, error) {
	switch r.Engine {
	case EngineBundle:
		return bundle.NewEngine(r.Store, repo, bundle.Config{Zip: r.Loc.Zip, Warn: warn}), nil
	case EnginePackchain:
		e := packchain.NewEngine(r.Store, repo, warn)
		e.Zip = r.Loc.Zip
		return e, nil
	}
	return nil, fmt.Errorf("%w: the %s engine is not available in this build yet", ErrEngine, r.Engine)
}
