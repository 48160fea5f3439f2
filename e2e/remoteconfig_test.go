package e2e

import (
	"strings"
	"testing"
)

// TestRemoteSettingsInGitConfig: a remote's settings may live in git config
// (remote.<name>.objectstore-engine and friends) instead of its URL; the URL's own options
// win; and the seed's addressing= is accepted as style=, through git on every backend.
func TestRemoteSettingsInGitConfig(t *testing.T) {
	forBundle(t, func(t *testing.T, w *world, newURL func() string, kind remoteKind) {
		src := w.repo(2)
		base := strings.TrimSuffix(newURL(), "?engine=bundle")
		w.git(src, "remote", "add", "origin", base)
		w.git(src, "config", "remote.origin.objectstore-engine", "packchain")
		w.git(src, "push", "-q", "origin", "main")
		if got := string(getKey(t, bucket(t, base), "FORMAT")); got != "packchain-v2" {
			t.Fatalf("remote.origin.objectstore-engine=packchain made a %q remote", got)
		}
		w.fsck(w.clone(base + "?engine=packchain"))

		withOption := newURL() // ?engine=bundle, which beats the config
		w.git(src, "remote", "add", "other", withOption)
		w.git(src, "config", "remote.other.objectstore-engine", "packchain")
		w.git(src, "push", "-q", "other", "main")
		if got := string(getKey(t, bucket(t, withOption), "FORMAT")); got != "bundle" {
			t.Fatalf("the URL's engine=bundle lost to git config: a %q remote", got)
		}

		if kind.name == "s3" || kind.name == "seaweedfs" {
			alias := newURL() + "&addressing=path"
			w.git(src, "push", "-q", alias, "main")
			if got := w.git(w.home, "ls-remote", alias, "refs/heads/main"); !strings.HasSuffix(got, "refs/heads/main") {
				t.Fatalf("addressing=path: ls-remote says %q", got)
			}
		}
	})
}
