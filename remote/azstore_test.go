package remote

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestAzstoreEnv: the seed's AZSTORE_<NAME>_KEY, _SAS and _CONNECTION_STRING are the
// named credential when set, before (and without) the credentials file.
func TestAzstoreEnv(t *testing.T) {
	var auth, query string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		auth, query = r.Header.Get("Authorization"), r.URL.RawQuery
		w.WriteHeader(404)
	}))
	defer srv.Close()
	host := strings.TrimPrefix(srv.URL, "http://")
	const key = "c2VlZCBrZXkgZm9yIHRoZSB0ZXN0" // base64
	cases := []struct {
		name, credential string
		env              map[string]string
		wantAuth         string // prefix of the Authorization header
		wantQuery        string // in the query
		wantErr          error
	}{
		{"key", "PROD", map[string]string{"AZSTORE_PROD_KEY": key}, "SharedKey devstoreaccount1:", "", nil},
		{"SAS, name normalised", "my-dev.1", map[string]string{"AZSTORE_MY_DEV_1_SAS": "?sv=2021-08-06&sp=r&sig=c2VjcmV0c2lnbmF0dXJl"}, "", "sig=c2VjcmV0c2lnbmF0dXJl", nil},
		{"connection string", "PROD", map[string]string{"AZSTORE_PROD_CONNECTION_STRING": "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=" + key}, "SharedKey devstoreaccount1:", "", nil},
		{"another name's variables do not count", "PROD", map[string]string{"AZSTORE_DEV_KEY": key}, "", "", ErrCredential},
		{"nothing set: the credentials file", "PROD", nil, "", "", ErrCredential},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			isolate(t)
			t.Setenv("AZURE_STORAGE_KEY", "")
			for k, v := range c.env {
				t.Setenv(k, v)
			}
			auth, query = "", ""
			st, err := OpenStoreURL(t.Context(), "az+http://"+host+"/devstoreaccount1/cont/repo?credential="+c.credential)
			if c.wantErr != nil {
				if !errors.Is(err, c.wantErr) {
					t.Fatalf("got %v, want %v", err, c.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			st.Head(t.Context(), "FORMAT")
			if !strings.HasPrefix(auth, c.wantAuth) || (c.wantAuth == "") != (auth == "") || !strings.Contains(query, c.wantQuery) {
				t.Fatalf("sent Authorization %q and query %q, want %q and %q", auth, query, c.wantAuth, c.wantQuery)
			}
		})
	}
}

// TestAzstoreEnvIsAzureOnly: an S3 remote's credential=NAME never reads AZSTORE_*.
func TestAzstoreEnvIsAzureOnly(t *testing.T) {
	isolate(t)
	t.Setenv("AZSTORE_PROD_KEY", "c2VlZCBrZXkgZm9yIHRoZSB0ZXN0")
	if _, err := OpenStoreURL(t.Context(), "s3+http://127.0.0.1:9/bkt/repo?credential=PROD"); !errors.Is(err, ErrCredential) {
		t.Fatalf("got %v, want the credentials file's error", err)
	}
}

// TestAzureCLIIsTheLastSource: with no key, SAS or Entra ID setting, an `az` in PATH
// supplies the bearer token; a named credential never falls back to it.
func TestAzureCLIIsTheLastSource(t *testing.T) {
	var auth string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		auth = r.Header.Get("Authorization")
		w.WriteHeader(404)
	}))
	defer srv.Close()
	isolate(t)
	t.Setenv("AZURE_STORAGE_KEY", "")
	for _, k := range []string{"AZURE_TENANT_ID", "AZURE_CLIENT_ID", "AZURE_CLIENT_SECRET", "AZURE_FEDERATED_TOKEN_FILE", "IDENTITY_ENDPOINT", "AZURE_STORAGE_AUTH_MODE"} {
		t.Setenv(k, "")
	}
	bin := t.TempDir()
	writeFile(t, filepath.Join(bin, "az"), "#!/bin/sh\necho '{\"accessToken\":\"token-from-the-azure-cli\",\"expires_on\":4102444800}'\n")
	os.Chmod(filepath.Join(bin, "az"), 0o755)
	t.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))
	base := "az+http://" + strings.TrimPrefix(srv.URL, "http://") + "/devstoreaccount1/cont/repo"

	st, err := OpenStoreURL(t.Context(), base)
	if err != nil {
		t.Fatal(err)
	}
	st.Head(t.Context(), "FORMAT")
	if auth != "Bearer token-from-the-azure-cli" {
		t.Fatalf("sent Authorization %q, want the Azure CLI's token", auth)
	}

	credFile := filepath.Join(t.TempDir(), "credentials")
	writeFile(t, credFile, "[PROD]\nazure_storage_account = devstoreaccount1\n")
	t.Setenv("GIT_REMOTE_OBJECT_STORE_CREDENTIALS_FILE", credFile)
	if _, err := OpenStoreURL(t.Context(), base+"?credential=PROD"); err == nil || !strings.Contains(err.Error(), "no Azure credentials") {
		t.Fatalf("a named credential without secrets: %v, want no Azure credentials", err)
	}
}
