package remote

import (
	"context"
	"fmt"
	"net/url"

	"git-remote-object-store/gitpack/gitconfig"
)

// remoteKeys are the per-remote settings read from git config, in the order they are
// applied, with the URL option each stands for. Of two keys for one option the first
// set wins: remote.<name>.objectstore-profile before the seed's remote.<name>.profile.
var remoteKeys = []struct{ key, option string }{
	{"objectstore-engine", "engine"},
	{"objectstore-credential", "credential"},
	{"objectstore-profile", "profile"},
	{"profile", "profile"},
	{"objectstore-region", "region"},
}

// ApplyRemoteConfig fills what the URL left unset from the settings of git remote name:
// remote.<name>.objectstore-engine, -credential, -profile (or the seed's
// remote.<name>.profile) and -region. An option the URL gives wins; region and profile
// apply to S3 only. A remote without such settings (or a name that is no remote, such
// as the URL git passes for `git ls-remote <url>`) changes nothing.
func (l *Location) ApplyRemoteConfig(name string, cfg *gitconfig.Config) error {
	if name == "" || cfg == nil {
		return nil
	}
	for _, k := range remoteKeys {
		v, ok := cfg.Lookup("remote", name, k.key)
		if !ok {
			continue
		}
		var field *string
		switch k.option {
		case "engine":
			field = &l.Engine
		case "credential":
			field = &l.Credential
		case "profile":
			field = &l.Profile
		case "region":
			field = &l.Region
		}
		if *field != "" || (k.option == "profile" || k.option == "region") && l.Backend != S3 {
			continue // the URL said, or it does not apply to this backend
		}
		// The URL option's own checks, so a bad value reads the same wherever it is written.
		var probe Location
		if err := probe.options(url.Values{k.option: {v}}); err != nil {
			return fmt.Errorf("git config remote.%s.%s: %w", name, k.key, err)
		}
		*field = v
	}
	return nil
}

// ParseRemote is Parse for the URL of git remote name, with the remote's git config
// settings applied (ApplyRemoteConfig).
func ParseRemote(name, rawURL string) (*Location, error) {
	loc, err := Parse(rawURL)
	if err != nil {
		return nil, err
	}
	cfg, err := gitConfig()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", loc.URL, err)
	}
	if err := loc.ApplyRemoteConfig(name, cfg); err != nil {
		return nil, fmt.Errorf("%s: %w", loc.URL, err)
	}
	return loc, nil
}

// OpenRemote is Open for the remote git runs the helper for (`git-remote-<scheme>
// <name> <url>`): the remote's settings in git config fill what its URL leaves unset.
func OpenRemote(ctx context.Context, name, rawURL string) (*Remote, error) {
	return openLocation(ctx, func() (*Location, error) { return ParseRemote(name, rawURL) })
}
