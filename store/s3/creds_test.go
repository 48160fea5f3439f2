package s3

import (
	"cmp"
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

// env builds a getenv over a map and a private HOME with the given shared files.
func env(t *testing.T, vars map[string]string, credentials, config string) func(string) string {
	home := t.TempDir()
	os.MkdirAll(filepath.Join(home, ".aws"), 0o700)
	os.WriteFile(filepath.Join(home, ".aws", "credentials"), []byte(credentials), 0o600)
	os.WriteFile(filepath.Join(home, ".aws", "config"), []byte(config), 0o600)
	vars["HOME"] = home
	vars["AWS_EC2_METADATA_DISABLED"] = cmp.Or(vars["AWS_EC2_METADATA_DISABLED"], "true")
	return func(k string) string { return vars[k] }
}

func expires() string { return time.Now().Add(time.Hour).UTC().Format(time.RFC3339) }

// fakeSTS answers AssumeRole (checking who signed) and AssumeRoleWithWebIdentity.
func fakeSTS(t *testing.T, wantSigner string) *httptest.Server {
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		switch r.Form.Get("Action") {
		case "AssumeRole":
			if !strings.Contains(r.Header.Get("Authorization"), "Credential="+wantSigner+"/") {
				w.WriteHeader(403)
				fmt.Fprint(w, `<ErrorResponse><Error><Code>InvalidClientTokenId</Code><Message>bad signer</Message></Error></ErrorResponse>`)
				return
			}
			fmt.Fprintf(w, `<AssumeRoleResponse><AssumeRoleResult><Credentials><AccessKeyId>ROLEKEY</AccessKeyId><SecretAccessKey>rs</SecretAccessKey><SessionToken>rt</SessionToken><Expiration>%s</Expiration></Credentials></AssumeRoleResult></AssumeRoleResponse>`, expires())
		case "AssumeRoleWithWebIdentity":
			if r.Form.Get("WebIdentityToken") != "jwt-token" {
				w.WriteHeader(400)
				return
			}
			fmt.Fprintf(w, `<AssumeRoleWithWebIdentityResponse><AssumeRoleWithWebIdentityResult><Credentials><AccessKeyId>WEBKEY</AccessKeyId><SecretAccessKey>ws</SecretAccessKey><SessionToken>wt</SessionToken><Expiration>%s</Expiration></Credentials></AssumeRoleWithWebIdentityResult></AssumeRoleWithWebIdentityResponse>`, expires())
		default:
			w.WriteHeader(400)
		}
	}))
}

func TestChainOrder(t *testing.T) {
	sts := fakeSTS(t, "SRCKEY")
	defer sts.Close()
	tokFile := filepath.Join(t.TempDir(), "token")
	os.WriteFile(tokFile, []byte("jwt-token\n"), 0o600)
	ecs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "ecs-secret" {
			w.WriteHeader(401)
			return
		}
		fmt.Fprintf(w, `{"AccessKeyId":"ECSKEY","SecretAccessKey":"es","Token":"et","Expiration":"%s"}`, expires())
	}))
	defer ecs.Close()
	var imdsCalls atomic.Int32
	imds := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		imdsCalls.Add(1)
		switch {
		case r.Method == "PUT" && r.URL.Path == "/latest/api/token":
			fmt.Fprint(w, "imds-token")
		case r.Header.Get("X-Aws-Ec2-Metadata-Token") != "imds-token":
			w.WriteHeader(401)
		case r.URL.Path == "/latest/meta-data/iam/security-credentials/":
			fmt.Fprint(w, "my-role\n")
		case r.URL.Path == "/latest/meta-data/iam/security-credentials/my-role":
			fmt.Fprintf(w, `{"Code":"Success","AccessKeyId":"IMDSKEY","SecretAccessKey":"is","Token":"it","Expiration":"%s"}`, expires())
		default:
			w.WriteHeader(404)
		}
	}))
	defer imds.Close()

	creds := "[default]\naws_access_key_id = FILEKEY\naws_secret_access_key = fs\n[src]\naws_access_key_id = SRCKEY\naws_secret_access_key = ss\n"
	config := "[profile role]\nrole_arn = arn:aws:iam::1:role/r\nsource_profile = src\nregion = eu-west-1\n" +
		"[profile proc]\ncredential_process = echo '{\"Version\":1,\"AccessKeyId\":\"PROCKEY\",\"SecretAccessKey\":\"ps\"}'\n" +
		"[profile web]\nrole_arn = arn:aws:iam::1:role/w\nweb_identity_token_file = " + tokFile + "\n" +
		"[profile sso]\nsso_session = corp\n"
	cases := []struct {
		name, profile string
		vars          map[string]string
		creds, config string
		wantKey       string
		wantErr       string
	}{
		{"env first", "", map[string]string{"AWS_ACCESS_KEY_ID": "ENVKEY", "AWS_SECRET_ACCESS_KEY": "e"}, creds, config, "ENVKEY", ""},
		{"default profile file", "", map[string]string{}, creds, config, "FILEKEY", ""},
		{"explicit profile beats env", "src", map[string]string{"AWS_ACCESS_KEY_ID": "ENVKEY", "AWS_SECRET_ACCESS_KEY": "e"}, creds, config, "SRCKEY", ""},
		{"role via source profile", "role", map[string]string{}, creds, config, "ROLEKEY", ""},
		{"credential_process", "proc", map[string]string{}, creds, config, "PROCKEY", ""},
		{"web identity profile", "web", map[string]string{}, creds, config, "WEBKEY", ""},
		{"web identity env", "", map[string]string{"AWS_WEB_IDENTITY_TOKEN_FILE": tokFile, "AWS_ROLE_ARN": "arn:aws:iam::1:role/w"}, "", "", "WEBKEY", ""},
		{"container", "", map[string]string{"AWS_CONTAINER_CREDENTIALS_FULL_URI": ecs.URL + "/creds", "AWS_CONTAINER_AUTHORIZATION_TOKEN": "ecs-secret"}, "", "", "ECSKEY", ""},
		{"instance metadata", "", map[string]string{"AWS_EC2_METADATA_DISABLED": "false", "AWS_EC2_METADATA_SERVICE_ENDPOINT": imds.URL}, "", "", "IMDSKEY", ""},
		{"missing profile", "nope", map[string]string{}, creds, config, "", "profile \"nope\""},
		{"sso session missing explained", "sso", map[string]string{}, creds, config, "", "AWS SSO profile \"sso\" names sso_session \"corp\""},
		{"nothing at all", "", map[string]string{}, "", "", "", "set AWS_ACCESS_KEY_ID"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ch := &Chain{Profile: c.profile, Getenv: env(t, c.vars, c.creds, c.config), STSEndpoint: sts.URL}
			got, err := ch.Retrieve(context.Background())
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) {
					t.Fatalf("err %v, want one mentioning %q", err, c.wantErr)
				}
				return
			}
			if err != nil || got.AccessKeyID != c.wantKey {
				t.Fatalf("got %v, %v; want key %s", got, err, c.wantKey)
			}
		})
	}
	if imdsCalls.Load() == 0 {
		t.Fatal("the instance-metadata case never reached the fake IMDS")
	}
}

func TestCachedRefreshesBeforeExpiry(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	n := 0
	c := newCached(func(context.Context) (expiring, error) {
		n++
		return jsonCreds{AccessKeyID: fmt.Sprint("K", n), SecretAccessKey: "s", Expiration: now.Add(time.Hour).Format(time.RFC3339)}.expiring()
	})
	c.cache.Now = func() time.Time { return now }
	a, _ := c.Retrieve(context.Background())
	now = now.Add(50 * time.Minute)
	b, _ := c.Retrieve(context.Background())
	now = now.Add(6 * time.Minute) // within 5 minutes of expiry
	d, _ := c.Retrieve(context.Background())
	if a.AccessKeyID != "K1" || b.AccessKeyID != "K1" || d.AccessKeyID != "K2" {
		t.Fatalf("keys %s %s %s", a.AccessKeyID, b.AccessKeyID, d.AccessKeyID)
	}
}

func TestCredentialsNeverPrinted(t *testing.T) {
	s := fmt.Sprint(Static{AccessKeyID: "AK", SecretAccessKey: "topsecret"})
	if strings.Contains(s, "topsecret") {
		t.Fatalf("secret printed: %s", s)
	}
}

func FuzzParseINISection(f *testing.F) {
	f.Add("[default]\naws_access_key_id = A\n[profile x]\nregion=eu-west-1\n", "profile x")
	f.Fuzz(func(t *testing.T, text, section string) {
		sec, err := ParseINISection(text, section)
		if err != nil {
			return
		}
		for k, v := range sec {
			if k != strings.ToLower(k) || strings.ContainsAny(k+v, "\n") {
				t.Fatalf("bad key/value %q=%q", k, v)
			}
		}
	})
}
