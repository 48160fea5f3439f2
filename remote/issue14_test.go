package remote

import (
	"context"
	"crypto/tls"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
)

// TestPlainHTTPEndpointFromEnvironment: an s3:// URL names no host, so the endpoint
// comes from AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL or a named credential's
// endpoint_url; plain http to another machine is refused there as in an s3+http:// URL.
func TestPlainHTTPEndpointFromEnvironment(t *testing.T) {
	cases := []struct {
		name     string
		url      string
		env      map[string]string
		named    string // the [corp] section of the credentials file, for credential=corp
		wantFrom string // "" = allowed
	}{
		{"AWS_ENDPOINT_URL_S3 to another host", "s3://bkt/repo", map[string]string{"AWS_ENDPOINT_URL_S3": "http://s3.corp.example:9000"}, "", "AWS_ENDPOINT_URL_S3"},
		{"AWS_ENDPOINT_URL to another host", "s3://bkt/repo", map[string]string{"AWS_ENDPOINT_URL": "http://10.1.2.3"}, "", "AWS_ENDPOINT_URL"},
		{"HTTP upper-case scheme", "s3://bkt/repo", map[string]string{"AWS_ENDPOINT_URL": "HTTP://10.1.2.3"}, "", "AWS_ENDPOINT_URL"},
		{"s3+zip too", "s3+zip://bkt/repo", map[string]string{"AWS_ENDPOINT_URL_S3": "http://s3.corp.example"}, "", "AWS_ENDPOINT_URL_S3"},
		{"the S3 variable wins over the general one", "s3://bkt/repo", map[string]string{"AWS_ENDPOINT_URL_S3": "https://s3.corp.example", "AWS_ENDPOINT_URL": "http://10.1.2.3"}, "", ""},
		{"the S3 variable wins, refused", "s3://bkt/repo", map[string]string{"AWS_ENDPOINT_URL_S3": "http://s3.corp.example", "AWS_ENDPOINT_URL": "https://10.1.2.3"}, "", "AWS_ENDPOINT_URL_S3"},
		{"named credential's endpoint_url", "s3://bkt/repo?credential=corp", nil, "aws_access_key_id = AKID\naws_secret_access_key = s\nendpoint_url = http://s3.corp.example\n", `endpoint_url of named credential "corp"`},
		{"named endpoint_url on an s3+https URL", "s3+https://s3.example.com/bkt/repo?credential=corp", nil, "aws_access_key_id = AKID\naws_secret_access_key = s\nendpoint_url = http://s3.corp.example\n", `endpoint_url of named credential "corp"`},
		{"https", "s3://bkt/repo", map[string]string{"AWS_ENDPOINT_URL_S3": "https://s3.corp.example"}, "", ""},
		{"loopback", "s3://bkt/repo", map[string]string{"AWS_ENDPOINT_URL_S3": "http://127.0.0.1:7070"}, "", ""},
		{"IPv6 loopback", "s3://bkt/repo", map[string]string{"AWS_ENDPOINT_URL": "http://[::1]:7070"}, "", ""},
		{"localhost", "s3://bkt/repo", map[string]string{"AWS_ENDPOINT_URL": "http://localhost:7070"}, "", ""},
		{"GIT_REMOTE_OBJECT_STORE_ALLOW_HTTP=1", "s3://bkt/repo", map[string]string{"AWS_ENDPOINT_URL_S3": "http://s3.corp.example", "GIT_REMOTE_OBJECT_STORE_ALLOW_HTTP": "1"}, "", ""},
		{"GIT_REMOTE_OBJECT_STORE_ALLOW_HTTP=0", "s3://bkt/repo", map[string]string{"AWS_ENDPOINT_URL_S3": "http://s3.corp.example", "GIT_REMOTE_OBJECT_STORE_ALLOW_HTTP": "0"}, "", "AWS_ENDPOINT_URL_S3"},
		{"insecure=1", "s3://bkt/repo?insecure=1", map[string]string{"AWS_ENDPOINT_URL_S3": "http://s3.corp.example"}, "", ""},
		{"no endpoint: AWS over https", "s3://bkt/repo", nil, "", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			isolate(t)
			t.Setenv("GIT_REMOTE_OBJECT_STORE_ALLOW_HTTP", "")
			for k, v := range c.env {
				t.Setenv(k, v)
			}
			if c.named != "" {
				file := filepath.Join(t.TempDir(), "credentials")
				writeFile(t, file, "[corp]\n"+c.named)
				t.Setenv("GIT_REMOTE_OBJECT_STORE_CREDENTIALS_FILE", file)
			}
			_, err := OpenStoreURL(context.Background(), c.url)
			if c.wantFrom == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatal("plain http to another machine was accepted")
			}
			for _, want := range []string{c.wantFrom + " is plain http to ", "GIT_REMOTE_OBJECT_STORE_ALLOW_HTTP=1", "insecure=1"} {
				if !strings.Contains(err.Error(), want) {
					t.Fatalf("error %q does not say %q", err, want)
				}
			}
		})
	}
}

// TestAzstoreEnvErrorsNameTheVariable: a bad value from AZSTORE_<NAME>_* is reported
// under the variable's name, one from the credentials file under the section's key.
func TestAzstoreEnvErrorsNameTheVariable(t *testing.T) {
	const url = "az+http://127.0.0.1:9/devstoreaccount1/cont/repo?credential=prod-1"
	cases := []struct {
		name    string
		env     map[string]string
		file    string // the [prod-1] section of the credentials file
		want    string
		wantNot string
	}{
		{"key", map[string]string{"AZSTORE_PROD_1_KEY": "not base64!"}, "", "AZSTORE_PROD_1_KEY: ", "named credential"},
		{"connection string", map[string]string{"AZSTORE_PROD_1_CONNECTION_STRING": "AccountName"}, "", "AZSTORE_PROD_1_CONNECTION_STRING: ", "named credential"},
		{"connection string's key", map[string]string{"AZSTORE_PROD_1_CONNECTION_STRING": "AccountName=devstoreaccount1;AccountKey=not base64!"}, "", "AZSTORE_PROD_1_CONNECTION_STRING: ", "named credential"},
		{"connection string for another account", map[string]string{"AZSTORE_PROD_1_CONNECTION_STRING": "AccountName=other;AccountKey=c2VlZA=="}, "", "AZSTORE_PROD_1_CONNECTION_STRING is for account \"other\"", "named credential"},
		{"the file's key", nil, "azure_storage_key = not base64!\n", `azure_storage_key of named credential "prod-1"`, "AZSTORE"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			isolate(t)
			t.Setenv("AZURE_STORAGE_KEY", "")
			for k, v := range c.env {
				t.Setenv(k, v)
			}
			if c.file != "" {
				file := filepath.Join(t.TempDir(), "credentials")
				writeFile(t, file, "[prod-1]\n"+c.file)
				t.Setenv("GIT_REMOTE_OBJECT_STORE_CREDENTIALS_FILE", file)
			}
			_, err := OpenStoreURL(context.Background(), url)
			if err == nil || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), c.wantNot) {
				t.Fatalf("got %v, want an error saying %q and not %q", err, c.want, c.wantNot)
			}
		})
	}
}

// TestCABundleReachesEntraID: the token endpoint (AZURE_AUTHORITY_HOST) is a TLS
// listener only a throwaway CA vouches for, the store plain http on this machine: the
// bearer token arrives only when the CA is named, by each setting that applies to Azure.
func TestCABundleReachesEntraID(t *testing.T) {
	caFile, cert := throwawayCA(t)
	idp := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ParseForm(); r.Form.Get("client_secret") != "entra-secret-value" {
			w.WriteHeader(401)
			return
		}
		fmt.Fprint(w, `{"token_type":"Bearer","expires_in":3599,"access_token":"entra-token"}`)
	}))
	idp.TLS = &tls.Config{Certificates: []tls.Certificate{cert}}
	idp.StartTLS()
	defer idp.Close()
	var bearer atomic.Value
	blob := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		bearer.Store(r.Header.Get("Authorization"))
		w.WriteHeader(http.StatusNotFound)
	}))
	defer blob.Close()
	url := "az+" + blob.URL + "/devstoreaccount1/cont/repo"
	cases := []struct {
		name  string
		setup func(t *testing.T, global string)
		trust bool
	}{
		{"no bundle", func(*testing.T, string) {}, false},
		{"AWS_CA_BUNDLE is not Azure's", func(t *testing.T, _ string) { t.Setenv("AWS_CA_BUNDLE", caFile) }, false},
		{"GIT_SSL_CAINFO", func(t *testing.T, _ string) { t.Setenv("GIT_SSL_CAINFO", caFile) }, true},
		{"http.sslCAInfo", func(t *testing.T, global string) { writeFile(t, global, "[http]\n\tsslCAInfo = "+caFile+"\n") }, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, global := isolate(t)
			for k, v := range map[string]string{"AZURE_STORAGE_KEY": "", "AZURE_TENANT_ID": "tenant-1", "AZURE_CLIENT_ID": "app",
				"AZURE_CLIENT_SECRET": "entra-secret-value", "AZURE_AUTHORITY_HOST": idp.URL, "PATH": ""} {
				t.Setenv(k, v)
			}
			c.setup(t, global)
			bearer.Store("")
			st, err := OpenStoreURL(context.Background(), url)
			if err != nil {
				t.Fatal(err)
			}
			_, err = st.Head(context.Background(), "FORMAT")
			if !c.trust {
				if err == nil || !strings.Contains(err.Error(), "certificate") {
					t.Fatalf("Head without the CA: %v, want a certificate error", err)
				}
				return
			}
			if got := bearer.Load().(string); got != "Bearer entra-token" {
				t.Fatalf("the store saw Authorization %q (%v), want the Entra ID token", got, err)
			}
		})
	}
}

// TestCABundleForCredentialsOverPlainHTTP: a store on this machine over plain http
// still loads the bundle, for the credential chain's https requests (STS, SSO portal);
// a named static key needs none, so a bad bundle does not stop it.
func TestCABundleForCredentialsOverPlainHTTP(t *testing.T) {
	isolate(t)
	t.Setenv("AWS_CA_BUNDLE", filepath.Join(t.TempDir(), "missing.pem"))
	_, err := OpenStoreURL(context.Background(), "s3+http://127.0.0.1:9/bkt/repo")
	if err == nil || !strings.Contains(err.Error(), "AWS_CA_BUNDLE") || !strings.Contains(err.Error(), "missing.pem") {
		t.Fatalf("got %v, want the bundle loaded for the credential chain and its error named", err)
	}
	file := filepath.Join(t.TempDir(), "credentials")
	writeFile(t, file, "[corp]\naws_access_key_id = AKID\naws_secret_access_key = s\n")
	t.Setenv("GIT_REMOTE_OBJECT_STORE_CREDENTIALS_FILE", file)
	if _, err := OpenStoreURL(context.Background(), "s3+http://127.0.0.1:9/bkt/repo?credential=corp"); err != nil {
		t.Fatal(err)
	}
}
