package e2e

import (
	"bytes"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"git-remote-object-store/internal/testenv"
)

// TestVerboseTraceKeepsSecrets runs push, clone, fetch and every verb with the request
// trace at both levels (level 2 prints every header) against versitygw with a key pair,
// and Azurite with a Shared Key and with a SAS: the trace is there, and no byte of the
// secret key, account key or SAS signature is in any output or any file the runs wrote.
// Each git command (one helper process) and each verb ends with one summary line of the
// requests it sent, and with the trace off (verbose=0) there is none.
func TestVerboseTraceKeepsSecrets(t *testing.T) {
	summary := regexp.MustCompile(`object-store: \d+ requests? \(\d+ retried\), \d+(\.\d+)? [KMG]?i?B sent, \d+(\.\d+)? [KMG]?i?B received in \d+\.\d s\n`)
	// A credential form: a fresh remote for an engine, with the variables that give the
	// credential and the secrets that must not leak.
	type cred struct {
		name   string
		remote func(t *testing.T, engine string) (url string, env, secrets []string)
	}
	var creds []cred
	for _, k := range cloudRemotes {
		switch k.name {
		case "s3":
			creds = append(creds, cred{"s3 key", func(t *testing.T, engine string) (string, []string, []string) {
				return k.newURL(t, engine), nil, []string{os.Getenv("AWS_SECRET_ACCESS_KEY")}
			}})
		case "azblob":
			key := os.Getenv("AZURE_STORAGE_KEY")
			creds = append(creds, cred{"azure shared key", func(t *testing.T, engine string) (string, []string, []string) {
				return k.newURL(t, engine), nil, []string{key}
			}}, cred{"azure sas", func(t *testing.T, engine string) (string, []string, []string) {
				cfg := testenv.AzureContainer(t)
				sas := testenv.ServiceSAS(t, os.Getenv("AZURE_STORAGE_ACCOUNT"), key, cfg.Container)
				q, _ := url.ParseQuery(sas)
				return "az+" + cfg.Endpoint + "/" + cfg.Container + "/team/repo?engine=" + engine,
					[]string{"AZURE_STORAGE_KEY=", "AZURE_STORAGE_SAS_TOKEN=" + sas},
					[]string{key, q.Get("sig"), url.QueryEscape(q.Get("sig"))}
			}})
		}
	}
	if len(creds) == 0 {
		t.Skip("no S3 or Azure test server")
	}
	for _, c := range creds {
		for _, level := range []string{"1", "2"} {
			t.Run(c.name+"/verbose="+level, func(t *testing.T) {
				w := newWorld(t)
				w.setenv("GIT_REMOTE_OBJECT_STORE_VERBOSE", level)
				var secrets []string
				var out strings.Builder
				run := func(o string, err error) {
					t.Helper()
					out.WriteString(o)
					if err != nil {
						t.Fatalf("%v\n%s", err, o)
					}
					if n := len(summary.FindAllString(o, -1)); n != 1 {
						t.Fatalf("%d request summaries, want 1:\n%s", n, o)
					}
				}
				var u, src string
				for _, engine := range []string{"bundle", "packchain"} {
					var env, secret []string
					u, env, secret = c.remote(t, engine)
					for _, kv := range env {
						k, v, _ := strings.Cut(kv, "=")
						w.setenv(k, v)
					}
					secrets = append(secrets, secret...)
					src = w.repo(3)
					run(w.try(src, "push", u, "main", "main:refs/heads/dev"))
					dst := filepath.Join(t.TempDir(), "clone")
					run(w.try(w.home, "clone", u, dst))
					w.commit(src, "more.txt", "more\n")
					run(w.try(src, "push", u, "main"))
					run(w.try(dst, "fetch", "origin"))
					verbs := [][]string{{"ls", u}, {"doctor", u}, {"protect", u, "main"}, {"unprotect", u, "main"},
						{"set-head", u, "dev"}, {"set-head", u, "main"}, {"delete-branch", u, "dev"}}
					if engine == "packchain" {
						verbs = append(verbs, []string{"compact", "-q", u}, []string{"gc", u}, []string{"cat", u, "main:more.txt"})
					}
					for _, v := range verbs {
						run(w.toolIn(src, v...))
					}
				}
				if level == "1" {
					// Off: no trace and no summary, from the helper or a verb.
					w.setenv("GIT_REMOTE_OBJECT_STORE_VERBOSE", "0")
					w.commit(src, "quiet.txt", "quiet\n")
					for _, args := range [][]string{{"push", u, "main"}, {"ls", u}} {
						o, err := w.try(src, args...)
						if args[0] == "ls" {
							o, err = w.toolIn(src, args...)
						}
						out.WriteString(o)
						if err != nil || strings.Contains(o, "object-store: ") {
							t.Fatalf("%s at verbose=0: %v\n%s", args[0], err, o)
						}
					}
				}
				all := out.String()
				if !strings.Contains(all, "object-store: PUT ") || !strings.Contains(all, "object-store: GET ") {
					t.Fatalf("no request trace at verbose=%s:\n%s", level, all)
				}
				if level == "2" && (!strings.Contains(all, "object-store:   > PUT http") || !strings.Contains(all, "REDACTED")) {
					t.Fatalf("verbose=2 shows no redacted credential:\n%s", all)
				}
				for _, s := range secrets {
					if s == "" {
						t.Fatal("a secret of the test is empty")
					}
					if strings.Contains(all, s) {
						t.Fatalf("the output holds a secret (%d bytes)", len(s))
					}
				}
				// Nor did any run write one into a file (configs, logs, the repositories).
				root := filepath.Dir(w.home)
				filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
					if err != nil || d.IsDir() {
						return nil
					}
					data, _ := os.ReadFile(path)
					for _, s := range secrets {
						if bytes.Contains(data, []byte(s)) {
							t.Errorf("%s holds a secret", path)
						}
					}
					return nil
				})
			})
		}
	}
}
