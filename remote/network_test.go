package remote

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"git-remote-object-store/gitpack/gitconfig"
	"git-remote-object-store/store"
)

// throwawayCA makes a CA and a server certificate it signs for 127.0.0.1, and writes the
// CA's certificate to a PEM file: what a corporate network hands its users.
func throwawayCA(t *testing.T) (caFile string, server tls.Certificate) {
	t.Helper()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	caTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "throwaway test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(caDER)
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	leafTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		KeyUsage: x509.KeyUsageDigitalSignature,
	}
	leafDER, err := x509.CreateCertificate(rand.Reader, leafTmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	caFile = filepath.Join(t.TempDir(), "corp-ca.pem")
	if err := os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}), 0o600); err != nil {
		t.Fatal(err)
	}
	return caFile, tls.Certificate{Certificate: [][]byte{leafDER}, PrivateKey: key}
}

// isolate gives the test a HOME, git config and environment of its own, with no CA
// setting, and returns the repository's config file (GIT_DIR is set, as git does for a
// helper) and the global one.
func isolate(t *testing.T) (localConfig, globalConfig string) {
	t.Helper()
	home := t.TempDir()
	gitDir := filepath.Join(home, "repo.git")
	os.MkdirAll(gitDir, 0o700)
	for k, v := range map[string]string{
		"HOME": home, "XDG_CONFIG_HOME": filepath.Join(home, ".config"), "GIT_DIR": gitDir,
		"GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": filepath.Join(home, "gitconfig"),
		"GIT_CONFIG_COUNT": "", "GIT_CONFIG_PARAMETERS": "",
		"AWS_CA_BUNDLE": "", "GIT_SSL_CAINFO": "", "AWS_PROFILE": "", "AWS_DEFAULT_PROFILE": "",
		"AWS_CONFIG_FILE": "", "AWS_SHARED_CREDENTIALS_FILE": "", "AWS_ENDPOINT_URL": "", "AWS_ENDPOINT_URL_S3": "",
		"AWS_ACCESS_KEY_ID": "AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY": "test-secret-key-0123456789", "AWS_SESSION_TOKEN": "",
		"AWS_REGION": "us-east-1", "AWS_EC2_METADATA_DISABLED": "true",
		"AZURE_STORAGE_CONNECTION_STRING": "", "AZURE_STORAGE_ACCOUNT": "", "AZURE_STORAGE_SAS_TOKEN": "",
		"AZURE_STORAGE_KEY": "dGhpcyBpcyBhIHRlc3Qga2V5", "GIT_REMOTE_OBJECT_STORE_CREDENTIALS_FILE": "",
	} {
		t.Setenv(k, v)
	}
	return filepath.Join(gitDir, "config"), filepath.Join(home, "gitconfig")
}

func writeFile(t *testing.T, path, text string) {
	t.Helper()
	os.MkdirAll(filepath.Dir(path), 0o700)
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestCABundleReachesTheTLSHandshake opens S3 and Azure remotes on a TLS listener whose
// certificate only a throwaway CA vouches for: refused with no bundle, accepted with the
// CA named by each setting in turn.
func TestCABundleReachesTheTLSHandshake(t *testing.T) {
	caFile, cert := throwawayCA(t)
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusNotFound) // every key is missing: the handshake is what is tested
	}))
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{cert}}
	srv.StartTLS()
	defer srv.Close()
	host := strings.TrimPrefix(srv.URL, "https://")
	urls := map[string]string{
		"s3":    "s3+https://" + host + "/bucket/repo",
		"azure": "az+https://" + host + "/devstoreaccount1/container/repo",
	}
	cases := []struct {
		name   string
		setup  func(t *testing.T, local, global, awsConfig string)
		onlyS3 bool
	}{
		{"AWS_CA_BUNDLE", func(t *testing.T, _, _, _ string) { t.Setenv("AWS_CA_BUNDLE", caFile) }, true},
		{"ca_bundle of the profile", func(t *testing.T, _, _, awsConfig string) {
			writeFile(t, awsConfig, "[default]\nca_bundle = "+caFile+"\n")
		}, true},
		{"GIT_SSL_CAINFO", func(t *testing.T, _, _, _ string) { t.Setenv("GIT_SSL_CAINFO", caFile) }, false},
		{"http.<url>.sslCAInfo in the repository", func(t *testing.T, local, _, _ string) {
			writeFile(t, local, "[http \"https://"+host+"/\"]\n\tsslCAInfo = "+caFile+"\n[http \"https://example.com\"]\n\tsslCAInfo = /nonexistent\n")
		}, false},
		{"http.sslCAInfo in the global config", func(t *testing.T, _, global, _ string) {
			writeFile(t, global, "[http]\n\tsslCAInfo = "+caFile+"\n")
		}, false},
	}
	for _, backend := range []string{"s3", "azure"} {
		t.Run(backend+"/no bundle", func(t *testing.T) {
			isolate(t)
			st, err := OpenStoreURL(context.Background(), urls[backend])
			if err != nil {
				t.Fatal(err)
			}
			if _, err := st.Head(context.Background(), "FORMAT"); err == nil || !strings.Contains(err.Error(), "certificate") {
				t.Fatalf("Head without the CA: %v, want a certificate error", err)
			}
		})
		for _, c := range cases {
			if c.onlyS3 && backend != "s3" {
				continue
			}
			t.Run(backend+"/"+c.name, func(t *testing.T) {
				local, global := isolate(t)
				c.setup(t, local, global, filepath.Join(os.Getenv("HOME"), ".aws", "config"))
				st, err := OpenStoreURL(context.Background(), urls[backend])
				if err != nil {
					t.Fatal(err)
				}
				if _, err := st.Head(context.Background(), "FORMAT"); !store.IsNotFound(err) {
					t.Fatalf("Head with the CA: %v, want not found (the handshake succeeded)", err)
				}
			})
		}
	}
	t.Run("a bundle that is not there is named", func(t *testing.T) {
		isolate(t)
		t.Setenv("AWS_CA_BUNDLE", filepath.Join(t.TempDir(), "missing.pem"))
		_, err := OpenStoreURL(context.Background(), urls["s3"])
		if err == nil || !strings.Contains(err.Error(), "AWS_CA_BUNDLE") || !strings.Contains(err.Error(), "missing.pem") {
			t.Fatalf("got %v, want an error naming AWS_CA_BUNDLE and the file", err)
		}
	})
}

func TestCABundleOrder(t *testing.T) {
	s3loc := &Location{Backend: S3, Bucket: "b"}
	azloc := &Location{Backend: Azure, Bucket: "c"}
	const target = "https://s3.corp.example:8443/b/team/repo"
	gitcfg := "[http]\n\tsslCAInfo = /general.pem\n" +
		"[http \"https://s3.corp.example:8443\"]\n\tsslCAInfo = /host.pem\n" +
		"[http \"https://s3.corp.example:8443/b/team\"]\n\tsslCAInfo = /path.pem\n" +
		"[http \"https://s3.corp.example:8443/b/te\"]\n\tsslCAInfo = /not-a-segment.pem\n"
	cases := []struct {
		name     string
		loc      *Location
		env      map[string]string
		profile  string // ~/.aws/config
		gitcfg   string
		target   string
		want     string
		wantFrom string
	}{
		{"AWS_CA_BUNDLE first", s3loc, map[string]string{"AWS_CA_BUNDLE": "/aws.pem", "GIT_SSL_CAINFO": "/git.pem"}, "[default]\nca_bundle = /profile.pem\n", gitcfg, target, "/aws.pem", "AWS_CA_BUNDLE"},
		{"profile before git", s3loc, map[string]string{"GIT_SSL_CAINFO": "/git.pem"}, "[default]\nca_bundle = /profile.pem\n", gitcfg, target, "/profile.pem", "ca_bundle of the AWS profile"},
		{"named profile", &Location{Backend: S3, Bucket: "b", Profile: "corp"}, nil, "[default]\nca_bundle = /d.pem\n[profile corp]\nca_bundle = /corp.pem\n", "", target, "/corp.pem", "ca_bundle of the AWS profile"},
		{"GIT_SSL_CAINFO before git config", s3loc, map[string]string{"GIT_SSL_CAINFO": "/git.pem"}, "", gitcfg, target, "/git.pem", "GIT_SSL_CAINFO"},
		{"longest matching path", s3loc, nil, "", gitcfg, target, "/path.pem", "git config http.https://s3.corp.example:8443/b/team.sslcainfo"},
		{"host match", s3loc, nil, "", gitcfg, "https://s3.corp.example:8443/other/x", "/host.pem", "git config http.https://s3.corp.example:8443.sslcainfo"},
		{"other port falls back to http.sslCAInfo", s3loc, nil, "", gitcfg, "https://s3.corp.example/b/team/repo", "/general.pem", "git config http.sslcainfo"},
		{"wildcard label", s3loc, nil, "", "[http \"https://*.corp.example\"]\n\tsslCAInfo = /wild.pem\n", "https://s3.corp.example/b", "/wild.pem", "git config http.https://*.corp.example.sslcainfo"},
		{"AWS settings do not apply to Azure", azloc, map[string]string{"AWS_CA_BUNDLE": "/aws.pem"}, "[default]\nca_bundle = /profile.pem\n", "", target, "", ""},
		{"tilde expands", azloc, nil, "", "[http]\n\tsslCAInfo = ~/ca.pem\n", target, "/home/u/ca.pem", "git config http.sslcainfo"},
		{"nothing set", s3loc, nil, "", "", target, "", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			home := t.TempDir()
			writeFile(t, filepath.Join(home, ".aws", "config"), c.profile)
			env := map[string]string{"HOME": home}
			for k, v := range c.env {
				env[k] = v
			}
			if c.name == "tilde expands" {
				env["HOME"] = "/home/u"
			}
			cfg, err := gitconfig.Parse([]byte(c.gitcfg), home)
			if err != nil {
				t.Fatal(err)
			}
			got, from := caBundle(c.loc, c.target, func(k string) string { return env[k] }, cfg)
			if got != c.want || from != c.wantFrom {
				t.Fatalf("caBundle = %q from %q, want %q from %q", got, from, c.want, c.wantFrom)
			}
		})
	}
}

func TestRequestURL(t *testing.T) {
	cases := []struct {
		url, want string
	}{
		{"s3+https://my-bucket.s3.us-west-2.amazonaws.com/my-repo", "https://my-bucket.s3.us-west-2.amazonaws.com/my-repo"},
		{"s3+https://s3.example.com:9000/bkt/a/b", "https://s3.example.com:9000/bkt/a/b"},
		{"az+https://acct.blob.core.windows.net/cont/p", "https://acct.blob.core.windows.net/cont/p"},
		{"az+https://127.0.0.1:10000/devstoreaccount1/cont", "https://127.0.0.1:10000/devstoreaccount1/cont"},
	}
	for _, c := range cases {
		loc, err := Parse(c.url)
		if err != nil {
			t.Fatal(err)
		}
		if got := requestURL(loc, loc.Endpoint, loc.PathStyle); got != c.want {
			t.Errorf("requestURL(%s) = %s, want %s", c.url, got, c.want)
		}
		if _, err := url.Parse(c.want); err != nil {
			t.Fatal(err)
		}
	}
}
