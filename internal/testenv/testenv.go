// Package testenv tells tests which real servers are running (scripts/test-servers.sh
// exports their coordinates) and enforces the project rule: a server-backed test skips
// with a one-line reason when its server is not configured, except under CI=true, where a
// missing server is a failure.
package testenv

import (
	"bytes"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// InCI reports whether the tests run under CI (CI=true), where nothing may be skipped.
func InCI() bool { return os.Getenv("CI") == "true" }

// Need skips (or, in CI, fails) t when ok is false, naming what is missing.
func Need(t testing.TB, ok bool, what string) {
	t.Helper()
	if ok {
		return
	}
	if InCI() {
		t.Fatalf("CI=true but %s is not available (run the tests with `make test`)", what)
	}
	t.Skipf("skipped: %s is not available (run `make test` to start the test servers)", what)
}

// S3Config is where versitygw listens and how to sign for it.
type S3Config struct {
	Endpoint, AccessKey, SecretKey, Region string
}

// S3 returns the test S3 server, or skips/fails t when none is configured.
func S3(t testing.TB) S3Config {
	t.Helper()
	c := S3Config{
		Endpoint:  os.Getenv("GROS_TEST_S3_ENDPOINT"),
		AccessKey: os.Getenv("GROS_TEST_S3_ACCESS_KEY"),
		SecretKey: os.Getenv("GROS_TEST_S3_SECRET_KEY"),
		Region:    os.Getenv("GROS_TEST_S3_REGION"),
	}
	Need(t, c.Endpoint != "" && c.AccessKey != "" && c.SecretKey != "", "the S3 test server (GROS_TEST_S3_ENDPOINT)")
	if c.Region == "" {
		c.Region = "us-east-1"
	}
	return c
}

// AzureConfig is where Azurite listens (path style, account included) and its key.
type AzureConfig struct {
	Endpoint, Account, Key string
}

// Azure returns the test Azure server, or skips/fails t when none is configured.
func Azure(t testing.TB) AzureConfig {
	t.Helper()
	c := AzureConfig{
		Endpoint: os.Getenv("GROS_TEST_AZ_ENDPOINT"),
		Account:  os.Getenv("GROS_TEST_AZ_ACCOUNT"),
		Key:      os.Getenv("GROS_TEST_AZ_KEY"),
	}
	Need(t, c.Endpoint != "" && c.Account != "" && c.Key != "", "the Azure test server (GROS_TEST_AZ_ENDPOINT)")
	return c
}

// Git returns the path of the real git, the tests' oracle, or skips/fails t.
func Git(t testing.TB) string {
	t.Helper()
	p, err := exec.LookPath("git")
	Need(t, err == nil, "git")
	return p
}

// GitCmd returns a command that runs the real git in dir with the environment RunGit
// gives it, for a test that needs git's streams or exit status itself.
func GitCmd(t testing.TB, dir string, args ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(Git(t), args...)
	cmd.Dir = dir
	// No system or user config (HOME is dir), fixed identities and dates: the same
	// commands make the same objects on any machine.
	cmd.Env = append(os.Environ(), "GIT_CONFIG_NOSYSTEM=1", "HOME="+dir, "GIT_AUTHOR_NAME=T", "GIT_AUTHOR_EMAIL=t@example.com",
		"GIT_COMMITTER_NAME=T", "GIT_COMMITTER_EMAIL=t@example.com", "GIT_AUTHOR_DATE=2026-01-01T00:00:00Z", "GIT_COMMITTER_DATE=2026-01-01T00:00:00Z")
	return cmd
}

// RunGit runs the real git (the tests' oracle) in dir and returns its trimmed stdout; a
// failure fails t with git's stderr. (The e2e suite runs git its own way: with our helpers
// on PATH.)
func RunGit(t testing.TB, dir string, args ...string) string {
	t.Helper()
	return RunGitInput(t, dir, nil, args...)
}

// RunGitInput is RunGit with stdin (none when nil).
func RunGitInput(t testing.TB, dir string, stdin []byte, args ...string) string {
	t.Helper()
	cmd := GitCmd(t, dir, args...)
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return strings.TrimSpace(string(out))
}

// GitLFS returns the path of the real git-lfs, or skips/fails t.
func GitLFS(t testing.TB) string {
	t.Helper()
	p, err := exec.LookPath("git-lfs")
	Need(t, err == nil, "git-lfs")
	return p
}
