package s3

import (
	"context"
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"git-remote-object-store/internal/redact"
	"git-remote-object-store/sigv4"
)

// ErrSSOLogin: an AWS IAM Identity Center (SSO) profile whose login is missing or over.
// Its message is one line that says which `aws sso login` to run.
var ErrSSOLogin = errors.New("AWS SSO login needed")

// ssoProfile is what an SSO profile names: the token cache entry `aws sso login` wrote,
// and the account and role to ask the portal for.
type ssoProfile struct {
	profile   string // for the message: the profile to log in with
	cacheKey  string // the sso_session name, or the start URL of a legacy profile
	region    string // sso_region: where the portal is
	accountID string
	roleName  string
}

// ssoFromProfile reads an SSO profile: the sso-session form (sso_session names a
// [sso-session NAME] section of the config file holding sso_start_url and sso_region)
// or the legacy form (sso_start_url and sso_region in the profile itself).
func ssoFromProfile(profile string, merged map[string]string, getenv func(string) string) (ssoProfile, error) {
	p := ssoProfile{profile: profile, accountID: merged["sso_account_id"], roleName: merged["sso_role_name"], region: merged["sso_region"]}
	if session := merged["sso_session"]; session != "" {
		p.cacheKey = session
		var conf string
		for _, f := range sharedFiles(getenv) {
			if f.config {
				conf = f.path
			}
		}
		sec, err := readINISection(conf, "sso-session "+session)
		if err != nil {
			return p, fmt.Errorf("%w: AWS SSO profile %q names sso_session %q, but %s has no [sso-session %s] section; run `aws configure sso --profile %s`", ErrNoCredentials, profile, session, conf, session, profile)
		}
		if sec["sso_region"] != "" {
			p.region = sec["sso_region"]
		}
	} else {
		p.cacheKey = merged["sso_start_url"]
	}
	var missing []string
	for k, v := range map[string]string{"sso_region": p.region, "sso_account_id": p.accountID, "sso_role_name": p.roleName} {
		if v == "" {
			missing = append(missing, k)
		}
	}
	if len(missing) > 0 {
		return p, fmt.Errorf("%w: SSO profile %q has no %s; run `aws configure sso --profile %s`", ErrNoCredentials, profile, strings.Join(missing, ", "), profile)
	}
	return p, nil
}

// ssoCacheFile is where `aws sso login` keeps the access token: ~/.aws/sso/cache/
// <hex SHA-1 of the session name, or of the start URL for a legacy profile>.json.
func ssoCacheFile(cacheKey string, getenv func(string) string) string {
	home, _ := os.UserHomeDir()
	if h := getenv("HOME"); h != "" {
		home = h
	}
	sum := sha1.Sum([]byte(cacheKey))
	return filepath.Join(home, ".aws", "sso", "cache", hex.EncodeToString(sum[:])+".json")
}

// ssoCreds trades the cached SSO access token for the role's credentials with the
// portal's GetRoleCredentials, again each time they near expiry; the token file is read
// afresh each time, so a new `aws sso login` is picked up without restarting. The
// token is never refreshed here (that needs the OIDC client registration the AWS CLI
// owns): when it is over, the user is told to log in again.
func ssoCreds(p ssoProfile, getenv func(string) string, endpoint string, hc *http.Client, now func() time.Time) *cached {
	login := func(why string) error {
		return fmt.Errorf("%w: %s; run `aws sso login --profile %s`", ErrSSOLogin, why, p.profile)
	}
	return newCached(func(ctx context.Context) (expiring, error) {
		path := ssoCacheFile(p.cacheKey, getenv)
		data, err := os.ReadFile(path)
		if errors.Is(err, fs.ErrNotExist) {
			return expiring{}, login(fmt.Sprintf("profile %q has no AWS SSO login (no %s)", p.profile, path))
		}
		if err != nil {
			return expiring{}, fmt.Errorf("AWS SSO token cache: %w", err)
		}
		token, _, err := parseSSOToken(data, now())
		if errors.Is(err, errSSOTokenExpired) {
			return expiring{}, login(fmt.Sprintf("the AWS SSO session of profile %q has expired", p.profile))
		}
		if err != nil {
			return expiring{}, login(fmt.Sprintf("the AWS SSO token cache %s is unreadable", path))
		}
		redact.Secret(token) // never printed
		base := endpoint
		if base == "" {
			base = "https://portal.sso." + p.region + ".amazonaws.com"
		}
		q := url.Values{"account_id": {p.accountID}, "role_name": {p.roleName}}
		req, err := http.NewRequestWithContext(ctx, "GET", strings.TrimSuffix(base, "/")+"/federation/credentials?"+q.Encode(), nil)
		if err != nil {
			return expiring{}, err
		}
		req.Header.Set("x-amz-sso_bearer_token", token)
		resp, err := hc.Do(req)
		if err != nil {
			return expiring{}, fmt.Errorf("AWS SSO GetRoleCredentials: %w", err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		switch {
		case resp.StatusCode == http.StatusUnauthorized:
			return expiring{}, login(fmt.Sprintf("the AWS SSO session of profile %q is no longer valid", p.profile))
		case resp.StatusCode == http.StatusForbidden:
			return expiring{}, fmt.Errorf("%w: AWS SSO refused role %q in account %s for profile %q (HTTP 403); check sso_role_name and sso_account_id, or run `aws sso login --profile %s`",
				ErrNoCredentials, p.roleName, p.accountID, p.profile, p.profile)
		case resp.StatusCode != http.StatusOK:
			return expiring{}, fmt.Errorf("AWS SSO GetRoleCredentials for profile %q: HTTP %d", p.profile, resp.StatusCode)
		}
		e, err := parseRoleCredentials(body)
		if err != nil {
			return expiring{}, fmt.Errorf("AWS SSO GetRoleCredentials for profile %q: %w", p.profile, err)
		}
		redact.Secret(e.creds.SecretAccessKey, e.creds.SessionToken)
		return e, nil
	})
}

// The token cache file's faults, as parseSSOToken reports them. Neither names anything
// from the file: it holds the bearer token.
var (
	errSSOTokenUnreadable = errors.New("unreadable AWS SSO token cache")
	errSSOTokenExpired    = errors.New("AWS SSO token has expired")
)

// parseSSOToken reads a token cache file that `aws sso login` wrote and returns its
// access token and expiry, or errSSOTokenExpired when the token is over at now. A file
// without an expiry counts as expired: its token cannot be known to be good.
func parseSSOToken(data []byte, now time.Time) (string, time.Time, error) {
	var tok struct {
		AccessToken string `json:"accessToken"`
		ExpiresAt   string `json:"expiresAt"`
	}
	// json's own error would quote the file, and with it perhaps the token.
	if json.Unmarshal(data, &tok) != nil || tok.AccessToken == "" {
		return "", time.Time{}, errSSOTokenUnreadable
	}
	exp, err := time.Parse(time.RFC3339, tok.ExpiresAt)
	if err != nil || !now.Before(exp) {
		return "", time.Time{}, errSSOTokenExpired
	}
	return tok.AccessToken, exp, nil
}

// parseRoleCredentials reads GetRoleCredentials' answer. Its errors name nothing from
// the answer, which holds the secret key.
func parseRoleCredentials(body []byte) (expiring, error) {
	var ans struct {
		RoleCredentials struct {
			AccessKeyID     string `json:"accessKeyId"`
			SecretAccessKey string `json:"secretAccessKey"`
			SessionToken    string `json:"sessionToken"`
			Expiration      int64  `json:"expiration"` // milliseconds since the epoch
		} `json:"roleCredentials"`
	}
	if json.Unmarshal(body, &ans) != nil {
		return expiring{}, errors.New("unreadable answer")
	}
	rc := ans.RoleCredentials
	if rc.AccessKeyID == "" || rc.SecretAccessKey == "" {
		return expiring{}, errors.New("the answer holds no access key")
	}
	e := expiring{creds: sigv4.Credentials{AccessKeyID: rc.AccessKeyID, SecretAccessKey: rc.SecretAccessKey, SessionToken: rc.SessionToken}}
	if rc.Expiration > 0 {
		e.expires = time.UnixMilli(rc.Expiration)
	}
	return e, nil
}
