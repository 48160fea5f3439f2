package main

import (
	"bytes"
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// Secrets planted by TestNoSecretsInOutput, one per credential form. Each is long enough
// for value-based redaction (internal/redact.MinLen) and unlike anything else printed.
const (
	plantS3Secret      = "s3SecretPlanted/0123456789+abcdefghijklmn"
	plantS3Session     = "s3SessionPlanted0123456789abcdef=="
	plantNamedS3Secret = "namedS3SecretPlanted0123456789abcdefghij"
	plantNamedSession  = "namedS3SessionPlanted0123456789"
	plantURLPassword   = "urlPasswordPlanted"
	plantSASSig        = "sasSigPlanted%2Babc%3D"
	plantAzKey         = "YXpLZXlQbGFudGVkMDEyMzQ1Njc4OWFiY2RlZg=="
	plantConnKey       = "Y29ubktleVBsYW50ZWQwMTIzNDU2Nzg5YWJjZA=="
	plantConnSASSig    = "connSasSigPlanted%2Bxyz"
	plantEntraSecret   = "entraSecretPlanted~0123456789.abc"
	plantNamedSASSig   = "namedSasSigPlanted%2Fqrs"
	plantPastedSig     = "pastedSigPlanted%2B123"
)

var allPlanted = []string{plantS3Secret, plantS3Session, plantNamedS3Secret, plantNamedSession,
	plantURLPassword, plantSASSig, plantAzKey, plantConnKey, plantConnSASSig, plantEntraSecret,
	plantNamedSASSig, plantPastedSig}

// credForm is one way of giving credentials: its environment, and the remote URL for an
// endpoint host:port.
type credForm struct {
	name   string
	scheme string // helper scheme: s3+http or az+http
	env    func(host, tmp string) []string
	url    func(host string) string
}

func credForms() []credForm {
	s3URL := func(q string) func(string) string {
		return func(host string) string { return "s3+http://" + host + "/bucket/repo" + q }
	}
	azURL := func(q string) func(string) string {
		return func(host string) string { return "az+http://" + host + "/devstoreaccount1/cont/repo" + q }
	}
	sas := func(sig string) string {
		return "sv=2022-11-02&ss=b&srt=sco&sp=rwdl&se=2099-01-01T00:00:00Z&sig=" + sig
	}
	none := func(string, string) []string { return nil }
	credFile := func(tmp string) string {
		f := filepath.Join(tmp, "credentials")
		os.WriteFile(f, []byte("[s3cred]\naws_access_key_id = AKIDNAMED\naws_secret_access_key = "+plantNamedS3Secret+
			"\naws_session_token = "+plantNamedSession+"\n[azcred]\nazure_storage_account = devstoreaccount1\nazure_storage_sas_token = ?"+sas(plantNamedSASSig)+"\n"), 0o600)
		return "GIT_REMOTE_OBJECT_STORE_CREDENTIALS_FILE=" + f
	}
	return []credForm{
		{"s3-env", "s3+http", func(string, string) []string {
			return []string{"AWS_ACCESS_KEY_ID=AKIDPLANTED", "AWS_SECRET_ACCESS_KEY=" + plantS3Secret, "AWS_SESSION_TOKEN=" + plantS3Session}
		}, s3URL("")},
		{"s3-named", "s3+http", func(_, tmp string) []string { return []string{credFile(tmp)} }, s3URL("?credential=s3cred")},
		{"s3-url-password", "s3+http", none, func(host string) string {
			return "s3+http://AKIDURL:" + plantURLPassword + "@" + host + "/bucket/repo"
		}},
		{"az-sas-env", "az+http", func(string, string) []string {
			return []string{"AZURE_STORAGE_SAS_TOKEN=" + sas(plantSASSig)}
		}, azURL("")},
		{"az-key-env", "az+http", func(string, string) []string {
			return []string{"AZURE_STORAGE_ACCOUNT=devstoreaccount1", "AZURE_STORAGE_KEY=" + plantAzKey}
		}, azURL("")},
		{"az-connection-string-key", "az+http", func(host, _ string) []string {
			return []string{"AZURE_STORAGE_CONNECTION_STRING=DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=" + plantConnKey}
		}, azURL("")},
		{"az-connection-string-sas", "az+http", func(host, _ string) []string {
			return []string{"AZURE_STORAGE_CONNECTION_STRING=BlobEndpoint=http://" + host + "/devstoreaccount1;SharedAccessSignature=" + sas(plantConnSASSig)}
		}, azURL("")},
		{"az-entra-client-secret", "az+http", func(host, _ string) []string {
			return []string{"AZURE_TENANT_ID=tenant", "AZURE_CLIENT_ID=client", "AZURE_CLIENT_SECRET=" + plantEntraSecret, "AZURE_AUTHORITY_HOST=http://" + host}
		}, azURL("")},
		{"az-named", "az+http", func(_, tmp string) []string { return []string{credFile(tmp)} }, azURL("?credential=azcred")},
		{"az-sas-pasted-in-url", "az+http", func(string, string) []string {
			return []string{"AZURE_STORAGE_SAS_TOKEN=" + sas(plantSASSig)}
		}, azURL("?" + sas(plantPastedSig))},
	}
}

// failingEndpoints starts the network failures the runs meet: a closed port (refused), a
// listener that resets every connection, one that accepts and never answers (timeout),
// and a name that does not resolve.
func failingEndpoints(t *testing.T) map[string]string {
	t.Helper()
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	refused := closed.Addr().String()
	closed.Close()
	serve := func(handle func(net.Conn)) string {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		var mu sync.Mutex
		var held []net.Conn
		t.Cleanup(func() {
			l.Close()
			mu.Lock()
			for _, c := range held {
				c.Close()
			}
			mu.Unlock()
		})
		go func() {
			for {
				c, err := l.Accept()
				if err != nil {
					return
				}
				mu.Lock()
				held = append(held, c)
				mu.Unlock()
				handle(c)
			}
		}()
		return l.Addr().String()
	}
	return map[string]string{
		"refused": refused,
		"reset": serve(func(c net.Conn) {
			c.(*net.TCPConn).SetLinger(0) // RST, not FIN
			c.Close()
		}),
		"timeout": serve(func(net.Conn) {}),
		"dns":     "nohost.invalid",
	}
}

// verbArgs are the verbs' arguments for a remote URL (the helper is run separately).
var verbArgs = map[string]func(url string) []string{
	"ls":            func(u string) []string { return []string{"ls", u} },
	"doctor":        func(u string) []string { return []string{"doctor", u} },
	"protect":       func(u string) []string { return []string{"protect", u, "main"} },
	"unprotect":     func(u string) []string { return []string{"unprotect", u, "main"} },
	"delete-branch": func(u string) []string { return []string{"delete-branch", u, "dev"} },
	"gc":            func(u string) []string { return []string{"gc", u} },
	"compact":       func(u string) []string { return []string{"compact", "-q", u} },
	"cat":           func(u string) []string { return []string{"cat", u, "main:README"} },
	"helper":        nil, // git-remote-<scheme> origin <url>, "list" on stdin
}

var unredactedSig = regexp.MustCompile(`(?i)sig=([^R&\s"']|R[^E])`)

// checkNoSecrets fails if out holds a planted secret or a sig= not followed by REDACTED.
func checkNoSecrets(t *testing.T, what, out string) {
	t.Helper()
	for _, s := range allPlanted {
		for _, form := range []string{s, strings.ReplaceAll(strings.ReplaceAll(strings.ReplaceAll(s, "%2B", "+"), "%2F", "/"), "%3D", "=")} {
			if strings.Contains(out, form) {
				t.Errorf("%s: output holds the secret %q:\n%s", what, form, out)
			}
		}
	}
	if m := unredactedSig.FindString(out); m != "" {
		t.Errorf("%s: output holds an unredacted %q:\n%s", what, m, out)
	}
}

// TestNoSecretsInOutput plants a secret in every credential form (environment, named
// credential, URL password, SAS token in the environment and pasted in the URL) and runs
// every verb and the remote helper, as a real process with the request trace at its most
// detailed (GIT_REMOTE_OBJECT_STORE_VERBOSE=2), against endpoints that refuse,
// reset, never answer, or do not resolve; no planted value, and no sig= other than
// sig=REDACTED, may appear in stdout or stderr. Each run is interrupted (SIGINT, which
// cancels the run's context) after a few seconds, so the never-answering endpoint ends
// in the cancellation error. Every verb meets every endpoint under one S3 and one Azure
// form; every form meets every endpoint under ls and the helper.
func TestNoSecretsInOutput(t *testing.T) {
	if testing.Short() {
		t.Skip("network failures take seconds")
	}
	bin := buildBinary(t)
	binDir := filepath.Dir(bin)
	for _, s := range []string{"s3+http", "az+http"} {
		if err := os.Symlink(bin, filepath.Join(binDir, "git-remote-"+s)); err != nil {
			t.Fatal(err)
		}
	}
	endpoints := failingEndpoints(t)
	var baseEnv []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if !strings.HasPrefix(k, "AWS_") && !strings.HasPrefix(k, "AZURE_") && !strings.HasPrefix(k, "GIT_") &&
			!strings.HasPrefix(k, "IDENTITY_") && !strings.HasPrefix(k, "MSI_") && k != "HOME" && k != "XDG_CONFIG_HOME" {
			baseEnv = append(baseEnv, kv)
		}
	}
	// The runs wait on the network, not the CPU: run 12 at a time (t.Parallel would
	// allow only GOMAXPROCS).
	type job struct {
		name string
		cmd  func(ctx context.Context, tmp string) *exec.Cmd
	}
	var jobs []job
	for _, form := range credForms() {
		for epName, host := range endpoints {
			for verb, argsOf := range verbArgs {
				full := form.name == "s3-env" || form.name == "az-sas-env"
				if !full && verb != "ls" && verb != "helper" {
					continue
				}
				jobs = append(jobs, job{form.name + "/" + epName + "/" + verb, func(ctx context.Context, tmp string) *exec.Cmd {
					env := append(append([]string{}, baseEnv...), "HOME="+tmp, "XDG_CONFIG_HOME="+tmp,
						"AWS_EC2_METADATA_DISABLED=true", "GIT_REMOTE_OBJECT_STORE_CREDENTIALS_FILE="+filepath.Join(tmp, "none"),
						"GIT_REMOTE_OBJECT_STORE_VERBOSE=2") // the trace prints every header of every attempt
					env = append(env, form.env(host, tmp)...)
					url := form.url(host)
					var cmd *exec.Cmd
					if argsOf == nil {
						cmd = exec.CommandContext(ctx, filepath.Join(binDir, "git-remote-"+form.scheme), "origin", url)
						cmd.Stdin = strings.NewReader("list\n")
					} else {
						cmd = exec.CommandContext(ctx, bin, argsOf(url)...)
					}
					cmd.Dir, cmd.Env = tmp, env
					return cmd
				}})
			}
		}
	}
	work := make(chan job)
	var wg sync.WaitGroup
	for range 12 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range work {
				tmp, err := os.MkdirTemp(t.TempDir(), "run")
				if err != nil {
					t.Error(err)
					continue
				}
				ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
				cmd := j.cmd(ctx, tmp)
				cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
				cmd.WaitDelay = 3 * time.Second
				var stdout, stderr bytes.Buffer
				cmd.Stdout, cmd.Stderr = &stdout, &stderr
				err = cmd.Run()
				cancel()
				out := stdout.String() + stderr.String()
				if err == nil {
					t.Errorf("%s: succeeded against a failing endpoint:\n%s", j.name, out)
				}
				if stderr.Len() == 0 && !strings.Contains(stdout.String(), "FAIL") {
					t.Errorf("%s: failed without a word (%v):\n%s", j.name, err, out)
				}
				checkNoSecrets(t, j.name+": "+strings.Join(cmd.Args, " "), out)
			}
		}()
	}
	for _, j := range jobs {
		work <- j
	}
	close(work)
	wg.Wait()
	t.Logf("%d runs", len(jobs))
}

// TestNoSecretsInOutputInProcess is the same check through run() itself, with a context
// deadline in place of SIGINT: the redactor wraps the writers there, not in main.
func TestNoSecretsInOutputInProcess(t *testing.T) {
	if testing.Short() {
		t.Skip("network failures take seconds")
	}
	endpoints := failingEndpoints(t)
	for _, tc := range []struct {
		form, endpoint string
		args           func(url string) []string
		stdin          string
	}{
		{"az-sas-env", "refused", verbArgs["ls"], ""},
		{"az-sas-env", "reset", verbArgs["doctor"], ""},
		{"az-sas-env", "timeout", verbArgs["protect"], ""},
		{"az-connection-string-sas", "refused", verbArgs["gc"], ""},
		{"s3-env", "refused", verbArgs["compact"], ""},
		{"s3-named", "reset", verbArgs["cat"], ""},
		{"s3-url-password", "refused", func(u string) []string { return []string{"git-remote-s3+http", "origin", u} }, "list\n"},
		{"az-sas-pasted-in-url", "dns", func(u string) []string { return []string{"git-remote-az+http", "origin", u} }, "list\n"},
		{"az-sas-env", "dns", func(u string) []string { return []string{"git-remote-az+http", "origin", u} }, "list\n"},
	} {
		var form credForm
		for _, f := range credForms() {
			if f.name == tc.form {
				form = f
			}
		}
		t.Run(tc.form+"/"+tc.endpoint, func(t *testing.T) {
			tmp := t.TempDir()
			isolateEnv(t, tmp)
			t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
			host := endpoints[tc.endpoint]
			for _, kv := range form.env(host, tmp) {
				k, v, _ := strings.Cut(kv, "=")
				t.Setenv(k, v)
			}
			t.Chdir(tmp)
			args := tc.args(form.url(host))
			if !strings.HasPrefix(args[0], "git-remote-") {
				args = append([]string{"git-remote-object-store"}, args...)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
			defer cancel()
			var stdout, stderr bytes.Buffer
			code := run(ctx, args, strings.NewReader(tc.stdin), &stdout, &stderr)
			out := stdout.String() + stderr.String()
			if code == exitOK || out == "" {
				t.Errorf("exit %d against a failing endpoint:\n%s", code, out)
			}
			checkNoSecrets(t, strings.Join(args, " "), out)
			if tc.endpoint == "refused" && tc.form == "az-sas-env" && !strings.Contains(out, "?REDACTED") {
				t.Errorf("the failed request's URL should be printed with its SAS token masked:\n%s", out)
			}
		})
	}
}
