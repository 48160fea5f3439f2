package azauth

import (
	"crypto/x509"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestTokenRequestsTrustRootCAs: the token endpoint answers over TLS with a certificate
// only a throwaway CA vouches for (the test server's own): every Entra ID source is
// refused with the system's roots and accepted with RootCAs, also as EntraFromEnv
// builds them.
func TestTokenRequestsTrustRootCAs(t *testing.T) {
	plain, _ := tokenServer(t)
	srv := httptest.NewTLSServer(plain.Config.Handler)
	defer srv.Close()
	roots := x509.NewCertPool()
	roots.AddCert(srv.Certificate())
	file := filepath.Join(t.TempDir(), "token")
	os.WriteFile(file, []byte("federated-jwt\n"), 0o600)
	sources := func(roots *x509.CertPool) map[string]TokenSource {
		return map[string]TokenSource{
			"client secret":                  ClientSecret{Tenant: "tenant-1", ClientID: "app", Secret: "s3cr3t", AuthorityHost: srv.URL, RootCAs: roots},
			"workload identity":              WorkloadIdentity{Tenant: "tenant-1", ClientID: "app", TokenFile: file, AuthorityHost: srv.URL, RootCAs: roots},
			"managed identity (App Service)": ManagedIdentity{IdentityURL: srv.URL + "/msi/token", IdentityHeader: "hdr", RootCAs: roots},
		}
	}
	fromEnv := func(vars map[string]string, roots *x509.CertPool) TokenSource {
		src, ok := EntraFromEnv(func(k string) string { return vars[k] }, roots)
		if !ok {
			t.Fatalf("EntraFromEnv(%v) found no source", vars)
		}
		return src
	}
	envs := map[string]map[string]string{
		"env: client secret":     {"AZURE_TENANT_ID": "tenant-1", "AZURE_CLIENT_ID": "app", "AZURE_CLIENT_SECRET": "s3cr3t", "AZURE_AUTHORITY_HOST": srv.URL},
		"env: workload identity": {"AZURE_TENANT_ID": "tenant-1", "AZURE_CLIENT_ID": "app", "AZURE_FEDERATED_TOKEN_FILE": file, "AZURE_AUTHORITY_HOST": srv.URL},
		"env: App Service":       {"IDENTITY_ENDPOINT": srv.URL + "/msi/token", "IDENTITY_HEADER": "hdr"},
	}
	for _, trusted := range []bool{false, true} {
		var pool *x509.CertPool
		if trusted {
			pool = roots
		}
		all := sources(pool)
		for name, vars := range envs {
			all[name] = fromEnv(vars, pool)
		}
		for name, src := range all {
			tok, err := src.Token(t.Context())
			switch {
			case !trusted && (err == nil || !strings.Contains(err.Error(), "certificate")):
				t.Errorf("%s with the system's roots: %v, %v; want a certificate error", name, tok, err)
			case trusted && (err != nil || tok.Value == ""):
				t.Errorf("%s with RootCAs: %v, %v", name, tok, err)
			}
		}
	}
}
