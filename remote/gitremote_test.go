package remote

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"git-remote-object-store/engine"
	"git-remote-object-store/gitpack/gitconfig"
)

func TestApplyRemoteConfig(t *testing.T) {
	const cfgText = `[remote "origin"]
	url = s3+https://s3.example.com/bkt/repo
	objectstore-engine = packchain
	objectstore-credential = PROD
	objectstore-profile = work
	profile = seed
	objectstore-region = eu-west-1
[remote "seed"]
	profile = seedprofile
[remote "bad"]
	objectstore-engine = git
[remote "badregion"]
	objectstore-region = "Not A Region"
`
	cfg, err := gitconfig.Parse([]byte(cfgText), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, remote, url string
		want              Location // Engine, Credential, Profile, Region only
		wantErr           string
	}{
		{"config fills", "origin", "s3+https://s3.example.com/bkt/repo", Location{Engine: "packchain", Credential: "PROD", Profile: "work", Region: "eu-west-1"}, ""},
		{"URL wins", "origin", "s3+https://s3.example.com/bkt/repo?engine=bundle&credential=DEV&profile=mine&region=us-east-2", Location{Engine: "bundle", Credential: "DEV", Profile: "mine", Region: "us-east-2"}, ""},
		{"region in the host wins", "origin", "s3+https://bkt.s3.ap-south-1.amazonaws.com/repo", Location{Engine: "packchain", Credential: "PROD", Profile: "work", Region: "ap-south-1"}, ""},
		{"awslabs profile@ wins", "origin", "s3://mine@bkt/repo", Location{Engine: "packchain", Credential: "PROD", Profile: "mine", Region: "eu-west-1"}, ""},
		{"the seed's remote.<name>.profile", "seed", "s3+https://s3.example.com/bkt/repo", Location{Profile: "seedprofile"}, ""},
		{"S3 settings do not touch Azure", "origin", "az+https://acct.blob.core.windows.net/cont/repo", Location{Engine: "packchain", Credential: "PROD"}, ""},
		{"another remote's settings do not apply", "upstream", "s3+https://s3.example.com/bkt/repo", Location{}, ""},
		{"the URL as the name (git ls-remote <url>)", "s3+https://s3.example.com/bkt/repo", "s3+https://s3.example.com/bkt/repo", Location{}, ""},
		{"a bad value names its key", "bad", "s3+https://s3.example.com/bkt/repo", Location{}, `git config remote.bad.objectstore-engine: engine="git"`},
		{"a bad region names its key", "badregion", "s3+https://s3.example.com/bkt/repo", Location{}, "git config remote.badregion.objectstore-region"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			loc, err := Parse(c.url)
			if err != nil {
				t.Fatal(err)
			}
			err = loc.ApplyRemoteConfig(c.remote, cfg)
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) {
					t.Fatalf("got %v, want an error saying %q", err, c.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got := Location{Engine: loc.Engine, Credential: loc.Credential, Profile: loc.Profile, Region: loc.Region}
			if got != c.want {
				t.Fatalf("got %+v, want %+v", got, c.want)
			}
		})
	}
}

// TestOpenRemoteReadsGitConfig sets a remote's engine with git itself and opens a new
// remote through OpenRemote, as the helper does: the engine is the configured one, and a
// configured credential that does not exist is reported as such.
func TestOpenRemoteReadsGitConfig(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git not installed")
	}
	isolate(t)
	work := t.TempDir()
	bucket := filepath.Join(t.TempDir(), "bucket")
	os.MkdirAll(bucket, 0o700)
	url := "fs+file://" + bucket + "/repo"
	git := func(args ...string) {
		cmd := exec.Command("git", args...)
		cmd.Dir = work
		for _, kv := range os.Environ() {
			if !strings.HasPrefix(kv, "GIT_DIR=") {
				cmd.Env = append(cmd.Env, kv)
			}
		}
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	git("init", "-q")
	git("remote", "add", "origin", url)
	git("config", "remote.origin.objectstore-engine", "packchain")
	t.Setenv("GIT_DIR", filepath.Join(work, ".git"))

	r, err := OpenRemote(t.Context(), "origin", url)
	if err != nil {
		t.Fatal(err)
	}
	if r.Kind != engine.Packchain {
		t.Fatalf("engine %q, want the configured packchain", r.Kind)
	}
	if r, err := Open(t.Context(), url); err != nil || r.Kind != engine.Bundle {
		t.Fatalf("without the remote's name: %v, %v; want the default bundle engine", r, err)
	}

	git("config", "remote.origin.objectstore-credential", "MISSING")
	_, err = OpenRemote(t.Context(), "origin", "s3+http://127.0.0.1:9/bkt/repo")
	if !errors.Is(err, ErrCredential) || !strings.Contains(err.Error(), `"MISSING"`) {
		t.Fatalf("got %v, want the configured credential reported missing", err)
	}
}
