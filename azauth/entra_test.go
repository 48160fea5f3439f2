package azauth

import (
	"context"
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

// An in-process token endpoint: no real Entra ID is reachable here.
func tokenServer(t *testing.T) (*httptest.Server, *atomic.Int32) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		r.ParseForm()
		switch {
		case strings.HasSuffix(r.URL.Path, "/tenant-1/oauth2/v2.0/token") && r.Form.Get("client_secret") == "s3cr3t" && r.Form.Get("scope") == StorageScope:
			fmt.Fprint(w, `{"token_type":"Bearer","expires_in":3599,"access_token":"tok-secret"}`)
		case strings.HasSuffix(r.URL.Path, "/tenant-1/oauth2/v2.0/token") && r.Form.Get("client_assertion") == "federated-jwt":
			fmt.Fprint(w, `{"token_type":"Bearer","expires_in":3599,"access_token":"tok-workload"}`)
		case r.URL.Path == "/metadata/identity/oauth2/token" && r.Header.Get("Metadata") == "true" && r.Form.Get("resource") == StorageResource:
			fmt.Fprintf(w, `{"access_token":"tok-imds","expires_in":"3599","expires_on":"%d"}`, time.Now().Add(time.Hour).Unix())
		case r.URL.Path == "/msi/token" && r.Header.Get("X-Identity-Header") == "hdr":
			fmt.Fprintf(w, `{"access_token":"tok-appservice","expires_on":"%d"}`, time.Now().Add(time.Hour).Unix())
		default:
			w.WriteHeader(401)
			fmt.Fprint(w, `{"error":"invalid_client","error_description":"AADSTS7000215: Invalid client secret provided.\r\nTrace ID: x"}`)
		}
	}))
	t.Cleanup(srv.Close)
	return srv, &calls
}

func TestTokenSources(t *testing.T) {
	srv, _ := tokenServer(t)
	file := filepath.Join(t.TempDir(), "token")
	os.WriteFile(file, []byte("federated-jwt\n"), 0o600)
	cases := []struct {
		name string
		src  TokenSource
		want string
	}{
		{"client secret", ClientSecret{Tenant: "tenant-1", ClientID: "app", Secret: "s3cr3t", AuthorityHost: srv.URL}, "tok-secret"},
		{"workload identity", WorkloadIdentity{Tenant: "tenant-1", ClientID: "app", TokenFile: file, AuthorityHost: srv.URL}, "tok-workload"},
		{"managed identity (IMDS)", ManagedIdentity{IMDSURL: srv.URL}, "tok-imds"},
		{"managed identity (App Service)", ManagedIdentity{IdentityURL: srv.URL + "/msi/token", IdentityHeader: "hdr"}, "tok-appservice"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tok, err := c.src.Token(context.Background())
			if err != nil || tok.Value != c.want || time.Until(tok.Expires) < 50*time.Minute {
				t.Fatalf("got %v, %v", tok, err)
			}
		})
	}
	_, err := ClientSecret{Tenant: "tenant-1", ClientID: "app", Secret: "wrong-secret-value", AuthorityHost: srv.URL}.Token(context.Background())
	if err == nil || !strings.Contains(err.Error(), "AADSTS7000215") || strings.Contains(err.Error(), "wrong-secret-value") || strings.Contains(err.Error(), "Trace") {
		t.Fatalf("bad secret: %v", err)
	}
}

func TestCachedTokenAndBearer(t *testing.T) {
	srv, calls := tokenServer(t)
	c := &Cached{Source: ClientSecret{Tenant: "tenant-1", ClientID: "app", Secret: "s3cr3t", AuthorityHost: srv.URL}}
	req, _ := http.NewRequest("GET", "https://a.blob.core.windows.net/c/b", nil)
	for range 3 {
		if err := (Bearer{Source: c}).Apply(context.Background(), req, time.Now()); err != nil {
			t.Fatal(err)
		}
	}
	if req.Header.Get("Authorization") != "Bearer tok-secret" || calls.Load() != 1 {
		t.Fatalf("auth %q after %d token calls", req.Header.Get("Authorization"), calls.Load())
	}
}

func TestEntraFromEnvOrder(t *testing.T) {
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	cases := []struct {
		vars map[string]string
		want string
	}{
		{map[string]string{"AZURE_TENANT_ID": "t", "AZURE_CLIENT_ID": "c", "AZURE_CLIENT_SECRET": "s", "AZURE_FEDERATED_TOKEN_FILE": "f"}, "ClientSecret"},
		{map[string]string{"AZURE_TENANT_ID": "t", "AZURE_CLIENT_ID": "c", "AZURE_FEDERATED_TOKEN_FILE": "f"}, "WorkloadIdentity"},
		{map[string]string{"IDENTITY_ENDPOINT": "http://x", "IDENTITY_HEADER": "h"}, "ManagedIdentity"},
		{map[string]string{"AZURE_STORAGE_AUTH_MODE": "login"}, "ManagedIdentity"},
		{map[string]string{}, ""},
	}
	for _, c := range cases {
		src, ok := EntraFromEnv(env(c.vars), nil)
		got := ""
		if ok {
			got = fmt.Sprintf("%T", src.(*Cached).Source)
		}
		if !strings.HasSuffix(got, c.want) || (c.want == "") != !ok {
			t.Errorf("%v: got %q, want %q", c.vars, got, c.want)
		}
	}
}

// tokenFunc is a TokenSource from a function.
type tokenFunc func(context.Context) (Token, error)

func (f tokenFunc) Token(ctx context.Context) (Token, error) { return f(ctx) }

// TestCachedReusesOnlyTokensThatExpire: a token without a value or an expiry is fetched
// anew every time (the cache would otherwise keep it forever), and a token is replaced
// five minutes before it expires.
func TestCachedReusesOnlyTokensThatExpire(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	cases := []struct {
		name      string
		tok       Token
		advance   time.Duration // between the two calls
		wantCalls int
	}{
		{"expiring in an hour", Token{Value: "t", Expires: now.Add(time.Hour)}, 54 * time.Minute, 1},
		{"within five minutes of expiry", Token{Value: "t", Expires: now.Add(time.Hour)}, 55 * time.Minute, 2},
		{"no expiry", Token{Value: "t"}, 0, 2},
		{"no value", Token{Expires: now.Add(time.Hour)}, 0, 2},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			clock, calls := now, 0
			c := &Cached{Now: func() time.Time { return clock }, Source: tokenFunc(func(context.Context) (Token, error) {
				calls++
				return tc.tok, nil
			})}
			for range 2 {
				if got, err := c.Token(context.Background()); err != nil || got != tc.tok {
					t.Fatalf("got %v, %v; want %v", got, err, tc.tok)
				}
				clock = clock.Add(tc.advance)
			}
			if calls != tc.wantCalls {
				t.Fatalf("%d token fetches, want %d", calls, tc.wantCalls)
			}
		})
	}
}
