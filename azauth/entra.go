package azauth

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"time"

	"git-remote-object-store/internal/credcache"
	"git-remote-object-store/internal/redact"
)

// StorageScope is the OAuth scope (v2 endpoint) and resource (managed identity) of Azure Storage.
const (
	StorageScope    = "https://storage.azure.com/.default"
	StorageResource = "https://storage.azure.com/"
)

// ErrNoToken: no Microsoft Entra ID token could be obtained.
var ErrNoToken = errors.New("no Entra ID token")

// Token is a bearer token and when it stops working. String never shows it.
type Token struct {
	Value   string
	Expires time.Time
}

func (t Token) String() string {
	return "Token{redacted, expires " + t.Expires.Format(time.RFC3339) + "}"
}

// TokenSource fetches a fresh token.
type TokenSource interface {
	Token(ctx context.Context) (Token, error)
}

// refreshMargin is how long before it expires a token is replaced, so that a request
// carrying it still reaches the service in time, and a slow refresh finishes while the
// old token still works.
const refreshMargin = 5 * time.Minute

// Cached wraps a TokenSource and reuses its token until five minutes before expiry; a
// refresh is shared by all concurrent callers.
type Cached struct {
	Source TokenSource
	Now    func() time.Time

	init  sync.Once
	cache credcache.Cache[Token]
}

// Token implements TokenSource.
func (c *Cached) Token(ctx context.Context) (Token, error) {
	c.init.Do(func() {
		c.cache.Margin = refreshMargin
		// c.now and c.fetch read Now and Source at each call, so setting them later still counts.
		c.cache.Now = c.now
		c.cache.Fetch = c.fetch
	})
	return c.cache.Get(ctx)
}

func (c *Cached) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

// alreadyExpired is the expiry given to the cache for a token that must not be reused.
var alreadyExpired = time.Unix(0, 0)

func (c *Cached) fetch(ctx context.Context) (Token, time.Time, error) {
	t, err := c.Source.Token(ctx)
	if err != nil {
		return Token{}, time.Time{}, err
	}
	if t.Value == "" || t.Expires.IsZero() {
		// A token that is empty or does not say when it expires is used for this call
		// only: to the cache a zero expiry means "never", and an Entra ID token always
		// expires.
		return t, alreadyExpired, nil
	}
	return t, t.Expires, nil
}

var tokenClient = &http.Client{Timeout: 30 * time.Second}

// clientWithRoots is tokenClient, or, when roots is set, a client like it trusting
// roots (the remote's CA bundle) instead of the system's authorities.
func clientWithRoots(roots *x509.CertPool) *http.Client {
	if roots == nil {
		return tokenClient
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12}
	return &http.Client{Timeout: tokenClient.Timeout, Transport: tr}
}

// tokenAnswer covers the v2 token endpoint and both managed-identity endpoints
// (expires_in is a number in one, a string in the others).
type tokenAnswer struct {
	AccessToken string          `json:"access_token"`
	ExpiresIn   json.RawMessage `json:"expires_in"`
	ExpiresOn   json.RawMessage `json:"expires_on"`
	Error       string          `json:"error"`
	Description string          `json:"error_description"`
}

func fetchToken(ctx context.Context, client *http.Client, req *http.Request, what string) (Token, error) {
	resp, err := client.Do(req.WithContext(ctx))
	if err != nil {
		return Token{}, fmt.Errorf("%w from %s: %v", ErrNoToken, what, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return Token{}, fmt.Errorf("%w from %s: %v", ErrNoToken, what, err)
	}
	var a tokenAnswer
	if json.Unmarshal(data, &a) != nil || resp.StatusCode != 200 || a.AccessToken == "" {
		desc, _, _ := strings.Cut(a.Description, "\r\n")
		return Token{}, fmt.Errorf("%w from %s: HTTP %d %s %s", ErrNoToken, what, resp.StatusCode, a.Error, desc)
	}
	secs := func(raw json.RawMessage) int64 {
		n, _ := strconv.ParseInt(strings.Trim(string(raw), `"`), 10, 64)
		return n
	}
	t := Token{Value: a.AccessToken}
	redact.Secret(a.AccessToken) // never printed
	if in := secs(a.ExpiresIn); in > 0 {
		t.Expires = time.Now().Add(time.Duration(in) * time.Second)
	} else if on := secs(a.ExpiresOn); on > 0 {
		t.Expires = time.Unix(on, 0)
	} else {
		t.Expires = time.Now().Add(time.Hour)
	}
	return t, nil
}

func authority(host string) string {
	if host == "" {
		host = "https://login.microsoftonline.com"
	}
	return strings.TrimSuffix(host, "/")
}

// ClientSecret is an app registration's client-credentials flow.
type ClientSecret struct {
	Tenant, ClientID, Secret, AuthorityHost string
	RootCAs                                 *x509.CertPool // nil: the system's authorities
}

func (c ClientSecret) String() string { return "ClientSecret{" + c.ClientID + ", secret redacted}" }

// Token implements TokenSource.
func (c ClientSecret) Token(ctx context.Context) (Token, error) {
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {c.ClientID}, "client_secret": {c.Secret}, "scope": {StorageScope}}
	return postForm(ctx, c.RootCAs, authority(c.AuthorityHost)+"/"+url.PathEscape(c.Tenant)+"/oauth2/v2.0/token", form, "Entra ID (client secret)")
}

// WorkloadIdentity exchanges a federated token file (AKS workload identity) for a token;
// the file is re-read every time because it rotates.
type WorkloadIdentity struct {
	Tenant, ClientID, TokenFile, AuthorityHost string
	RootCAs                                    *x509.CertPool // nil: the system's authorities
}

// Token implements TokenSource.
func (w WorkloadIdentity) Token(ctx context.Context) (Token, error) {
	assertion, err := os.ReadFile(w.TokenFile)
	if err != nil {
		return Token{}, fmt.Errorf("%w: federated token file: %v", ErrNoToken, err)
	}
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {w.ClientID}, "scope": {StorageScope},
		"client_assertion_type": {"urn:ietf:params:oauth:client-assertion-type:jwt-bearer"},
		"client_assertion":      {strings.TrimSpace(string(assertion))}}
	return postForm(ctx, w.RootCAs, authority(w.AuthorityHost)+"/"+url.PathEscape(w.Tenant)+"/oauth2/v2.0/token", form, "Entra ID (workload identity)")
}

func postForm(ctx context.Context, roots *x509.CertPool, u string, form url.Values, what string) (Token, error) {
	req, err := http.NewRequest("POST", u, strings.NewReader(form.Encode()))
	if err != nil {
		return Token{}, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return fetchToken(ctx, clientWithRoots(roots), req, what)
}

// ManagedIdentity asks the platform: App Service / Functions (IDENTITY_ENDPOINT and
// IDENTITY_HEADER) or the VM / AKS node metadata endpoint.
type ManagedIdentity struct {
	ClientID       string // user-assigned identity; "" = system-assigned
	IdentityURL    string // IDENTITY_ENDPOINT
	IdentityHeader string // IDENTITY_HEADER
	IMDSURL        string // "" = http://169.254.169.254
	// RootCAs, when set, replace the system's authorities for an https IDENTITY_ENDPOINT.
	RootCAs *x509.CertPool
}

// Token implements TokenSource.
func (m ManagedIdentity) Token(ctx context.Context) (Token, error) {
	q := url.Values{"resource": {StorageResource}}
	if m.ClientID != "" {
		q.Set("client_id", m.ClientID)
	}
	var req *http.Request
	var err error
	if m.IdentityURL != "" {
		q.Set("api-version", "2019-08-01")
		req, err = http.NewRequest("GET", m.IdentityURL+"?"+q.Encode(), nil)
		if err == nil {
			req.Header.Set("X-Identity-Header", m.IdentityHeader)
		}
	} else {
		base := m.IMDSURL
		if base == "" {
			base = "http://169.254.169.254"
		}
		q.Set("api-version", "2018-02-01")
		req, err = http.NewRequest("GET", base+"/metadata/identity/oauth2/token?"+q.Encode(), nil)
		if err == nil {
			req.Header.Set("Metadata", "true")
		}
	}
	if err != nil {
		return Token{}, err
	}
	// No proxy may see a metadata request.
	tr := &http.Transport{Proxy: nil}
	if m.RootCAs != nil {
		tr.TLSClientConfig = &tls.Config{RootCAs: m.RootCAs, MinVersion: tls.VersionTLS12}
	}
	client := &http.Client{Timeout: 10 * time.Second, Transport: tr}
	return fetchToken(ctx, client, req, "managed identity")
}

// Bearer authorizes requests with an Entra ID token.
type Bearer struct{ Source TokenSource }

// Apply sets x-ms-date and the Authorization header.
func (b Bearer) Apply(ctx context.Context, req *http.Request, now time.Time) error {
	t, err := b.Source.Token(ctx)
	if err != nil {
		return err
	}
	req.Header.Set("X-Ms-Date", now.UTC().Format(http.TimeFormat))
	req.Header.Set("Authorization", "Bearer "+t.Value)
	return nil
}

// EntraFromEnv picks the Entra ID source the environment describes, in the order of
// Azure's own tools: client secret, workload identity, then managed identity — the last
// only when the platform advertises it (IDENTITY_ENDPOINT) or the user asked for it with
// AZURE_STORAGE_AUTH_MODE=login, so a laptop never probes the metadata address. The
// Azure CLI (CLIFromPath) comes after all of them. roots, when set, are the authorities
// the token requests trust instead of the system's (the remote's CA bundle).
func EntraFromEnv(getenv func(string) string, roots *x509.CertPool) (TokenSource, bool) {
	tenant, client, host := getenv("AZURE_TENANT_ID"), getenv("AZURE_CLIENT_ID"), getenv("AZURE_AUTHORITY_HOST")
	switch {
	case tenant != "" && client != "" && getenv("AZURE_CLIENT_SECRET") != "":
		return &Cached{Source: ClientSecret{Tenant: tenant, ClientID: client, Secret: getenv("AZURE_CLIENT_SECRET"), AuthorityHost: host, RootCAs: roots}}, true
	case tenant != "" && client != "" && getenv("AZURE_FEDERATED_TOKEN_FILE") != "":
		return &Cached{Source: WorkloadIdentity{Tenant: tenant, ClientID: client, TokenFile: getenv("AZURE_FEDERATED_TOKEN_FILE"), AuthorityHost: host, RootCAs: roots}}, true
	case getenv("IDENTITY_ENDPOINT") != "":
		return &Cached{Source: ManagedIdentity{ClientID: client, IdentityURL: getenv("IDENTITY_ENDPOINT"), IdentityHeader: getenv("IDENTITY_HEADER"), RootCAs: roots}}, true
	case strings.EqualFold(getenv("AZURE_STORAGE_AUTH_MODE"), "login"):
		return &Cached{Source: ManagedIdentity{ClientID: client, RootCAs: roots}}, true
	}
	return nil, false
}

// CLIFromPath is the last Entra ID source, after those of EntraFromEnv: the Azure CLI's
// login, when az is in PATH (tenant: AZURE_TENANT_ID, "" for the CLI's default).
func CLIFromPath(tenant string) (TokenSource, bool) {
	az, err := exec.LookPath("az")
	if err != nil {
		return nil, false
	}
	return &Cached{Source: AzureCLI{Path: az, Tenant: tenant}}, true
}
