package e2e

import (
	"os"
	"path/filepath"
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

// TestRemoteCredentialsInGitConfig: the credential settings of a remote in git config
// are read through git: remote.<name>.objectstore-credential (a named credential, from
// the credentials file on S3 and from AZSTORE_<NAME>_KEY on Azure),
// remote.<name>.objectstore-profile and the seed's remote.<name>.profile (an AWS
// profile), each the only credential there is; without the setting the push fails.
func TestRemoteCredentialsInGitConfig(t *testing.T) {
	forBundle(t, func(t *testing.T, w *world, newURL func() string, kind remoteKind) {
		if kind.name == "fs" {
			return // a directory needs no credentials
		}
		type setting struct{ key, value string }
		var cases []setting
		switch kind.name {
		case "s3", "seaweedfs":
			id, secret := os.Getenv("AWS_ACCESS_KEY_ID"), os.Getenv("AWS_SECRET_ACCESS_KEY")
			files := t.TempDir()
			os.WriteFile(filepath.Join(files, "named"), []byte("[ci]\naws_access_key_id = "+id+"\naws_secret_access_key = "+secret+"\n"), 0o600)
			os.WriteFile(filepath.Join(files, "aws"), []byte("[p1]\naws_access_key_id = "+id+"\naws_secret_access_key = "+secret+"\n"), 0o600)
			w.setenv("GIT_REMOTE_OBJECT_STORE_CREDENTIALS_FILE", filepath.Join(files, "named"))
			w.setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(files, "aws"))
			w.setenv("AWS_ACCESS_KEY_ID", "")
			w.setenv("AWS_SECRET_ACCESS_KEY", "")
			cases = []setting{{"objectstore-credential", "ci"}, {"objectstore-profile", "p1"}, {"profile", "p1"}}
		case "azblob":
			w.setenv("AZSTORE_TEAM_KEY", os.Getenv("AZURE_STORAGE_KEY"))
			w.setenv("AZURE_STORAGE_KEY", "")
			cases = []setting{{"objectstore-credential", "team"}}
		}
		for _, c := range cases {
			src := w.repo(1)
			url := newURL()
			w.git(src, "remote", "add", "origin", url)
			if out, err := w.try(src, "push", "-q", "origin", "main"); err == nil {
				t.Fatalf("%s: a push with no credential at all succeeded:\n%s", c.key, out)
			}
			w.git(src, "config", "remote.origin."+c.key, c.value)
			if out, err := w.try(src, "push", "-q", "origin", "main"); err != nil {
				t.Fatalf("push with remote.origin.%s=%s: %v\n%s", c.key, c.value, err, out)
			}
			w.git(src, "fetch", "-q", "origin")
		}
	})
}
