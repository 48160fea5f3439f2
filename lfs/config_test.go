package lfs_test

import (
	"net/url"
	"strings"
	"testing"

	"git-remote-object-store/lfs"
)

func TestEndpointIsCanonicalAndUnique(t *testing.T) {
	seen := map[string]string{}
	for _, remote := range []string{
		"s3+https://bucket.s3.eu-west-1.amazonaws.com/team/repo",
		"s3+https://bucket.s3.eu-west-1.amazonaws.com/team/repo?engine=packchain&credential=PROD",
		"s3+http://127.0.0.1:7070/bucket/repo",
		"az+https://acct.blob.core.windows.net/container/repo",
		"fs+file:///media/usb/My Drive/repo",
		"fs+file:///tmp/odd%name/repo#frag",
		"s3://profile@bucket/prefix",
	} {
		ep := lfs.Endpoint(remote)
		u, err := url.Parse(ep)
		if err != nil || u.String() != ep || u.Scheme != "https" || u.Host != "git-remote-object-store.invalid" {
			t.Errorf("Endpoint(%q) = %q: not a canonical https URL on our .invalid host (%v)", remote, ep, err)
		}
		if strings.ContainsAny(ep, " ?#") {
			t.Errorf("Endpoint(%q) = %q keeps a space, query or fragment", remote, ep)
		}
		if other, dup := seen[ep]; dup && !strings.HasPrefix(remote, other) {
			t.Errorf("%q and %q share the endpoint %q", remote, other, ep)
		}
		seen[ep] = remote
	}
}
