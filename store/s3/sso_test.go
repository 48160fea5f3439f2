package s3

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// fakePortal is IAM Identity Center's GetRoleCredentials for one account, role and
// access token; any other token is unauthorized (as a revoked session is).
func fakePortal(t *testing.T, token string, calls *atomic.Int32) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		if r.URL.Path != "/federation/credentials" || r.Method != "GET" {
			w.WriteHeader(404)
			return
		}
		if r.Header.Get("x-amz-sso_bearer_token") != token {
			w.WriteHeader(401)
			fmt.Fprint(w, `{"message":"Session token not found or invalid"}`)
			return
		}
		if r.URL.Query().Get("account_id") != "111122223333" || r.URL.Query().Get("role_name") != "Developer" {
			w.WriteHeader(403)
			return
		}
		fmt.Fprintf(w, `{"roleCredentials":{"accessKeyId":"SSOKEY","secretAccessKey":"sso-secret-key-value","sessionToken":"sso-session-token-value","expiration":%d}}`,
			time.Now().Add(time.Hour).UnixMilli())
	}))
	t.Cleanup(srv.Close)
	return srv
}

// writeSSOToken writes what `aws sso login` leaves in ~/.aws/sso/cache/<name>.json.
func writeSSOToken(t *testing.T, home, name, token string, expires time.Time) {
	dir := filepath.Join(home, ".aws", "sso", "cache")
	os.MkdirAll(dir, 0o700)
	b, _ := json.Marshal(map[string]string{
		"startUrl": "https://d-123.awsapps.com/start", "region": "eu-west-1", "accessToken": token,
		"expiresAt": expires.UTC().Format(time.RFC3339), "clientId": "client", "clientSecret": "client-secret",
	})
	if err := os.WriteFile(filepath.Join(dir, name+".json"), b, 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestSSOProfiles(t *testing.T) {
	const token = "aoaAAAAAGWthe-sso-access-token"
	const sessionConfig = "[profile dev]\nsso_session = my-sso\nsso_account_id = 111122223333\nsso_role_name = Developer\nregion = eu-west-1\n" +
		"[sso-session my-sso]\nsso_start_url = https://d-123.awsapps.com/start\nsso_region = eu-west-1\nsso_registration_scopes = sso:account:access\n"
	const legacyConfig = "[profile dev]\nsso_start_url = https://d-123.awsapps.com/start\nsso_region = eu-west-1\nsso_account_id = 111122223333\nsso_role_name = Developer\n"
	// The cache names, computed by sha1sum from the session name and the start URL.
	const sessionFile, legacyFile = "0ad374308c5a4e22f723adf10145eafad7c4031c", "2b829a45f04c9828cb45b7d092d8e4aa30818393"
	cases := []struct {
		name      string
		config    string
		file      string
		token     string
		expires   time.Duration // from now
		wantErr   error
		wantInErr string
		wantCalls int32
	}{
		{"sso-session profile", sessionConfig, sessionFile, token, time.Hour, nil, "", 1},
		{"legacy profile", legacyConfig, legacyFile, token, time.Hour, nil, "", 1},
		{"expired token", sessionConfig, sessionFile, token, -time.Minute, ErrSSOLogin, "run `aws sso login --profile dev`", 0},
		{"no login yet", sessionConfig, "someone-else", token, time.Hour, ErrSSOLogin, "run `aws sso login --profile dev`", 0},
		{"token revoked at the portal", sessionConfig, sessionFile, "aoaAAAAAGWa-revoked-token", time.Hour, ErrSSOLogin, "run `aws sso login --profile dev`", 1},
		{"role not assigned", strings.Replace(sessionConfig, "Developer", "Admin", 1), sessionFile, token, time.Hour, ErrNoCredentials, "refused role \"Admin\"", 1},
		{"no role configured", strings.Replace(sessionConfig, "sso_role_name = Developer\n", "", 1), sessionFile, token, time.Hour, ErrNoCredentials, "has no sso_role_name", 0},
		{"session section missing", strings.Replace(sessionConfig, "[sso-session my-sso]", "[sso-session other]", 1), sessionFile, token, time.Hour, ErrNoCredentials, "no [sso-session my-sso] section", 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var calls atomic.Int32
			portal := fakePortal(t, token, &calls)
			getenv := env(t, map[string]string{"AWS_PROFILE": "dev"}, "", c.config)
			writeSSOToken(t, getenv("HOME"), c.file, c.token, time.Now().Add(c.expires))
			chain := &Chain{Getenv: getenv, ssoEndpoint: portal.URL}
			creds, err := chain.Retrieve(t.Context())
			if c.wantErr == nil {
				if err != nil {
					t.Fatal(err)
				}
				if creds.AccessKeyID != "SSOKEY" || creds.SecretAccessKey != "sso-secret-key-value" || creds.SessionToken != "sso-session-token-value" {
					t.Fatalf("got %v", creds)
				}
				// Cached until they near expiry: no second call to the portal.
				if _, err := chain.Retrieve(t.Context()); err != nil {
					t.Fatal(err)
				}
			} else {
				if !errors.Is(err, c.wantErr) || !strings.Contains(err.Error(), c.wantInErr) {
					t.Fatalf("got %v, want %v saying %q", err, c.wantErr, c.wantInErr)
				}
				if msg := err.Error(); strings.Contains(msg, "\n") || strings.Contains(msg, "the-sso-access-token") || strings.Contains(msg, "revoked-token") {
					t.Fatalf("the error is not one clean line: %q", msg)
				}
			}
			if got := calls.Load(); got != c.wantCalls {
				t.Fatalf("%d calls to the portal, want %d", got, c.wantCalls)
			}
		})
	}
}

// TestSSOSourceProfile: a role assumed from an SSO profile signs AssumeRole with the
// SSO role's credentials.
func TestSSOSourceProfile(t *testing.T) {
	const token = "aoaAAAAAGWthe-sso-access-token"
	var calls atomic.Int32
	portal := fakePortal(t, token, &calls)
	sts := fakeSTS(t, "SSOKEY")
	defer sts.Close()
	getenv := env(t, map[string]string{"AWS_PROFILE": "deploy"}, "",
		"[profile dev]\nsso_session = my-sso\nsso_account_id = 111122223333\nsso_role_name = Developer\n"+
			"[sso-session my-sso]\nsso_start_url = https://d-123.awsapps.com/start\nsso_region = eu-west-1\n"+
			"[profile deploy]\nrole_arn = arn:aws:iam::111122223333:role/deploy\nsource_profile = dev\n")
	writeSSOToken(t, getenv("HOME"), "0ad374308c5a4e22f723adf10145eafad7c4031c", token, time.Now().Add(time.Hour))
	chain := &Chain{Getenv: getenv, ssoEndpoint: portal.URL, STSEndpoint: sts.URL}
	creds, err := chain.Retrieve(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if creds.AccessKeyID != "ROLEKEY" {
		t.Fatalf("got %v, want the role's credentials", creds)
	}
}
