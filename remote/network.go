package remote

import (
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"git-remote-object-store/gitpack"
	"git-remote-object-store/gitpack/gitconfig"
	"git-remote-object-store/store/s3"
)

// gitConfig reads the configuration git would see here: system, global, the
// repository's own file (GIT_DIR, which git sets for a helper, else the repository the
// working directory is in) and `git -c`. Outside a repository it is the files above it.
func gitConfig() (*gitconfig.Config, error) {
	local := ""
	if dir, err := gitpack.Discover("."); err == nil {
		local = filepath.Join(dir, "config")
	}
	cfg, err := gitconfig.ReadAll(local)
	if err != nil {
		return nil, fmt.Errorf("reading git config: %w", err)
	}
	return cfg, nil
}

// caBundle picks the PEM file of certificate authorities a remote's requests trust, and
// names the setting it came from, for messages. The first that is set wins (each tool
// takes one bundle, the environment before files, as both the AWS CLI and git do):
//
//  1. AWS_CA_BUNDLE (S3 only; the AWS CLI's variable)
//  2. ca_bundle of the AWS profile (S3 only)
//  3. GIT_SSL_CAINFO (git's variable)
//  4. http.<url>.sslCAInfo of the git config whose <url> best matches the requests'
//     URL (longest path, then a user name; git's own rules)
//  5. http.sslCAInfo
//
// None set: "" and the system's roots (which SSL_CERT_FILE and SSL_CERT_DIR replace).
// target is the https URL of the remote's requests (endpoint, bucket and prefix).
func caBundle(loc *Location, target string, getenv func(string) string, cfg *gitconfig.Config) (path, from string) {
	if loc.Backend == S3 {
		if v := getenv("AWS_CA_BUNDLE"); v != "" {
			return v, "AWS_CA_BUNDLE"
		}
		if v := s3.ProfileSetting(loc.Profile, "ca_bundle", getenv); v != "" {
			return expandHome(v, getenv), "ca_bundle of the AWS profile"
		}
	}
	if v := getenv("GIT_SSL_CAINFO"); v != "" {
		return v, "GIT_SSL_CAINFO"
	}
	if cfg == nil {
		return "", ""
	}
	if v, key := httpConfig(cfg, target, "sslcainfo"); v != "" {
		return expandHome(v, getenv), "git config " + key
	}
	return "", ""
}

// httpConfig returns git's http.<url>.<key> (or http.<key>) for a request URL, as git
// chooses among them (git-config(1), http.<url>.*): the scheme, host (a '*' matching one
// label) and port must match; the config URL's path must be a prefix of the request's
// at a '/' boundary, and the longest such path wins; then one that names the user;
// then the last in the files. A key without a URL applies when no URL matches.
func httpConfig(cfg *gitconfig.Config, target, key string) (value, name string) {
	t, err := url.Parse(target)
	if err != nil {
		return "", ""
	}
	bestPath, bestUser, found := -1, false, false
	var general string
	var generalSet bool
	for _, e := range cfg.Entries {
		if e.Section != "http" || e.Key != key {
			continue
		}
		v := e.Value
		if e.Subsection == "" {
			general, generalSet = v, true
			continue
		}
		pathLen, hasUser, ok := urlMatches(e.Subsection, t)
		if !ok {
			continue
		}
		if pathLen > bestPath || pathLen == bestPath && (hasUser || !bestUser) {
			bestPath, bestUser, found = pathLen, hasUser, true
			value, name = v, "http."+e.Subsection+"."+key
		}
	}
	if found {
		return value, name
	}
	if generalSet {
		return general, "http." + key
	}
	return "", ""
}

// urlMatches tells whether git's http.<pattern>.* applies to t, and how specific the
// match is: the length of the pattern's path, and whether it names a user.
func urlMatches(pattern string, t *url.URL) (pathLen int, hasUser, ok bool) {
	p, err := url.Parse(pattern)
	if err != nil || p.Host == "" || !strings.EqualFold(p.Scheme, t.Scheme) {
		return 0, false, false
	}
	if p.User != nil && p.User.Username() != "" {
		if t.User == nil || t.User.Username() != p.User.Username() {
			return 0, false, false
		}
		hasUser = true
	}
	if !hostMatches(strings.ToLower(p.Hostname()), strings.ToLower(t.Hostname())) || port(p) != port(t) {
		return 0, false, false
	}
	pp := strings.TrimSuffix(p.Path, "/")
	if pp != "" && t.Path != pp && !strings.HasPrefix(t.Path, pp+"/") {
		return 0, false, false
	}
	return len(pp), hasUser, true
}

// hostMatches compares host names label by label; a pattern label "*" matches any one.
func hostMatches(pattern, host string) bool {
	pl, hl := strings.Split(pattern, "."), strings.Split(host, ".")
	if len(pl) != len(hl) {
		return false
	}
	for i := range pl {
		if pl[i] != "*" && pl[i] != hl[i] {
			return false
		}
	}
	return true
}

func port(u *url.URL) string {
	if p := u.Port(); p != "" {
		return p
	}
	switch strings.ToLower(u.Scheme) {
	case "https":
		return "443"
	case "http":
		return "80"
	}
	return ""
}

// expandHome expands a leading "~/" as git and the AWS CLI do for paths in their files.
func expandHome(p string, getenv func(string) string) string {
	if rest, ok := strings.CutPrefix(p, "~/"); ok {
		home := getenv("HOME")
		if home == "" {
			home, _ = os.UserHomeDir()
		}
		return filepath.Join(home, rest)
	}
	return p
}

// requestURL is the URL of a remote's requests, for matching git's http.<url>.* keys:
// the endpoint actually used, then the bucket (or container) and the prefix, as a path
// or, for virtual-hosted S3, the bucket as the host's first label.
func requestURL(loc *Location, endpoint string, pathStyle bool) string {
	u, err := url.Parse(endpoint)
	if err != nil {
		return endpoint
	}
	bucketPath := "/" + loc.Bucket
	if loc.Backend == S3 && !pathStyle {
		host := loc.Bucket + "." + u.Hostname()
		if u.Port() != "" {
			host = net.JoinHostPort(host, u.Port())
		}
		u.Host, bucketPath = host, ""
	}
	u.Path = strings.TrimSuffix(u.Path, "/") + bucketPath
	if loc.Prefix != "" {
		u.Path += "/" + loc.Prefix
	}
	return u.String()
}
