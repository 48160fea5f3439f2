package lfs

import (
	"fmt"
	"net/url"
	"strings"

	"git-remote-object-store/gitpack/gitconfig"
)

// AgentName is the custom transfer's name in git-lfs's config.
const AgentName = "object-store"

// endpointHost is a name under the reserved .invalid top-level domain: git-lfs needs an
// LFS endpoint URL it can parse (it knows only http, https, ssh and file) to hang the
// per-remote agent setting on, and this one can never be reached by accident.
const endpointHost = "git-remote-object-store.invalid"

// Endpoint is the LFS endpoint URL written for a remote URL: unique to the remote's
// location (scheme, host, bucket and prefix; options dropped), and never contacted,
// because git-lfs hands every transfer of that endpoint to the agent.
// It is in canonical escaped form (a space is %20), because git-lfs parses the URL and
// looks its settings up under the re-encoded string.
func Endpoint(remoteURL string) string {
	s, _, _ := strings.Cut(remoteURL, "#")
	s, _, _ = strings.Cut(s, "?")
	s = strings.Replace(s, "://", "/", 1)
	u := url.URL{Scheme: "https", Host: endpointHost, Path: "/" + strings.Trim(s, "/")}
	return u.String()
}

// Install points git-lfs at this agent for one remote of the repository whose config
// file is cfgPath, written with the native config writer:
//
//	remote.<name>.lfsurl = https://git-remote-object-store.invalid/<scheme>/<host>/<path>
//	lfs.<endpoint>.standalonetransferagent = object-store     (only for that endpoint)
//	lfs.<endpoint>.locksverify = false                        (no lock API on a bucket)
//	lfs.customtransfer.object-store.{path,args,concurrent}
//
// Every other remote keeps its own LFS server: nothing global is set.
func Install(cfgPath, remoteName, remoteURL, agentPath string) error {
	if remoteName == "" || strings.ContainsAny(remoteName, "\n\"") {
		return fmt.Errorf("bad remote name %q", remoteName)
	}
	ep := Endpoint(remoteURL)
	sets := []struct{ section, sub, key, value string }{
		{"lfs", "customtransfer." + AgentName, "path", agentPath},
		{"lfs", "customtransfer." + AgentName, "args", "lfs-agent"},
		{"lfs", "customtransfer." + AgentName, "concurrent", "true"},
		{"remote", remoteName, "lfsurl", ep},
		{"lfs", ep, "standalonetransferagent", AgentName},
		{"lfs", ep, "locksverify", "false"},
	}
	for _, s := range sets {
		if err := gitconfig.Set(cfgPath, s.section, s.sub, s.key, s.value); err != nil {
			return fmt.Errorf("set %s.%s.%s in %s: %w", s.section, s.sub, s.key, cfgPath, err)
		}
	}
	return nil
}
