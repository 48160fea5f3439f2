package s3

import (
	"crypto/x509"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// TestCredentialRequestsTrustRootCAs: STS (AssumeRole, AssumeRoleWithWebIdentity) and
// the SSO portal answer over TLS with a certificate only a throwaway CA vouches for (the
// test server's own): refused with the system's roots, accepted with Chain.RootCAs.
func TestCredentialRequestsTrustRootCAs(t *testing.T) {
	const token = "aoaAAAAAGWthe-sso-access-token"
	var calls atomic.Int32
	plainSTS, plainPortal := fakeSTS(t, "SRCKEY"), fakePortal(t, token, &calls)
	defer plainSTS.Close()
	sts := httptest.NewTLSServer(plainSTS.Config.Handler)
	defer sts.Close()
	portal := httptest.NewTLSServer(plainPortal.Config.Handler)
	defer portal.Close()
	roots := x509.NewCertPool()
	roots.AddCert(sts.Certificate())
	roots.AddCert(portal.Certificate())

	tokFile := filepath.Join(t.TempDir(), "token")
	os.WriteFile(tokFile, []byte("jwt-token\n"), 0o600)
	creds := "[src]\naws_access_key_id = SRCKEY\naws_secret_access_key = ss\n"
	config := "[profile role]\nrole_arn = arn:aws:iam::1:role/r\nsource_profile = src\n" +
		"[profile dev]\nsso_session = my-sso\nsso_account_id = 111122223333\nsso_role_name = Developer\n" +
		"[sso-session my-sso]\nsso_start_url = https://d-123.awsapps.com/start\nsso_region = eu-west-1\n"
	cases := []struct {
		name, profile string
		vars          map[string]string
		wantKey       string
	}{
		{"AssumeRoleWithWebIdentity", "", map[string]string{"AWS_WEB_IDENTITY_TOKEN_FILE": tokFile, "AWS_ROLE_ARN": "arn:aws:iam::1:role/w"}, "WEBKEY"},
		{"AssumeRole", "role", map[string]string{}, "ROLEKEY"},
		{"SSO GetRoleCredentials", "dev", map[string]string{}, "SSOKEY"},
	}
	for _, c := range cases {
		for _, trust := range []bool{false, true} {
			name := c.name + "/system roots"
			if trust {
				name = c.name + "/RootCAs"
			}
			t.Run(name, func(t *testing.T) {
				getenv := env(t, c.vars, creds, config)
				writeSSOToken(t, getenv("HOME"), "0ad374308c5a4e22f723adf10145eafad7c4031c", token, time.Now().Add(time.Hour))
				ch := &Chain{Profile: c.profile, Getenv: getenv, STSEndpoint: sts.URL, ssoEndpoint: portal.URL}
				if trust {
					ch.RootCAs = roots
				}
				got, err := ch.Retrieve(t.Context())
				if !trust {
					if err == nil || !strings.Contains(err.Error(), "certificate") {
						t.Fatalf("got %v, %v; want a certificate error", got, err)
					}
					return
				}
				if err != nil || got.AccessKeyID != c.wantKey {
					t.Fatalf("got %v, %v; want key %s", got, err, c.wantKey)
				}
			})
		}
	}
}
