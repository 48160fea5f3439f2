package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// cliCase is one run of the CLI. "$TMP" in args stands for a fresh temporary directory
// (the case's own), which holds an empty directory "empty"; "$TMP" also replaces that
// directory in the output, so the golden files do not depend on where the test runs.
type cliCase struct {
	name string   // golden file testdata/cli/<name>.golden
	args []string // args[0] is the program name, as in os.Args
}

func cliCases() []cliCase {
	const me = "git-remote-object-store"
	c := func(name string, args ...string) cliCase { return cliCase{name, append([]string{me}, args...)} }
	return []cliCase{
		// Usage text.
		c("usage-no-args"),
		c("usage-help", "help"),
		c("usage-dash-dash-help", "--help"),
		c("usage-dash-h", "-h"),
		c("unknown-verb", "frobnicate"),
		{"usage-as-git-object-store", []string{"git-object-store", "help"}},
		c("version", "version"),

		// Every verb's --help.
		c("install-help", "install", "--help"),
		c("doctor-help", "doctor", "--help"),
		c("ls-help", "ls", "--help"),
		c("ls-dash-h", "ls", "-h"),
		c("protect-help", "protect", "--help"),
		c("unprotect-help", "unprotect", "--help"),
		c("delete-branch-help", "delete-branch", "--help"),
		c("compact-help", "compact", "--help"),
		c("gc-help", "gc", "--help"),
		c("cat-help", "cat", "--help"),
		c("version-help", "version", "--help"),
		c("lfs-help", "lfs", "--help"),
		c("lfs-agent-help", "lfs-agent", "--help"),

		// Usage errors: wrong argument counts and bad flags.
		c("install-bad-flag", "install", "--nope"),
		c("install-extra-arg", "install", "extra"),
		c("doctor-no-args", "doctor"),
		c("doctor-two-urls", "doctor", "fs+file:///a", "fs+file:///b"),
		c("doctor-bad-flag", "doctor", "--nope", "fs+file:///a"),
		c("ls-no-args", "ls"),
		c("ls-two-args", "ls", "fs+file:///a", "main"),
		c("protect-no-args", "protect"),
		c("protect-one-arg", "protect", "fs+file:///a"),
		c("unprotect-three-args", "unprotect", "fs+file:///a", "main", "extra"),
		c("delete-branch-one-arg", "delete-branch", "fs+file:///a"),
		c("compact-no-args", "compact"),
		c("compact-negative-max-packs", "compact", "--max-packs", "-1", "fs+file:///a"),
		c("compact-bad-max-packs", "compact", "--max-packs", "many", "fs+file:///a"),
		c("compact-bad-flag", "compact", "--nope", "fs+file:///a"),
		c("gc-no-args", "gc"),
		c("gc-negative-grace", "gc", "--grace", "-1h", "fs+file:///a"),
		c("gc-bad-grace", "gc", "--grace", "tomorrow", "fs+file:///a"),
		c("gc-two-urls", "gc", "fs+file:///a", "fs+file:///b"),
		c("cat-no-args", "cat"),
		c("cat-no-colon", "cat", "fs+file:///a", "main"),
		c("cat-three-args", "cat", "fs+file:///a", "main:README", "extra"),
		c("lfs-no-args", "lfs"),
		c("lfs-unknown-subcommand", "lfs", "uninstall"),
		c("lfs-install-bad-flag", "lfs", "install", "--nope"),
		c("lfs-install-extra-arg", "lfs", "install", "extra"),

		// Malformed URLs.
		c("ls-s3-no-host", "ls", "s3+https://"),
		c("ls-s3-no-bucket", "ls", "s3+https://s3.example.com"),
		c("ls-s3-bad-bucket", "ls", "s3+https://s3.example.com/Bad_Bucket"),
		c("ls-s3-password-in-url", "ls", "s3+https://user:secret@s3.example.com/bucket"),
		c("ls-unknown-scheme", "ls", "ftp://example.com/repo"),
		c("ls-bad-engine", "ls", "fs+file:///srv/git/repo?engine=nope"),
		c("ls-unknown-option", "ls", "fs+file:///srv/git/repo?colour=blue"),
		c("ls-option-twice", "ls", "fs+file:///srv/git/repo?zip=1&zip=0"),
		c("ls-fs-host", "ls", "fs+file://server/srv/git/repo"),
		c("ls-fs-relative", "ls", "fs+file:repo"),
		c("ls-fs-root", "ls", "fs+file:///"),
		c("ls-awslabs-bad-bucket", "ls", "s3://B/repo"),
		c("ls-awslabs-dotdot", "ls", "s3://bucket/a/../b"),
		c("ls-az-no-container", "ls", "az+https://account.blob.core.windows.net/"),
		c("ls-az-bad-account", "ls", "az+https://Bad_Account.blob.core.windows.net/repos"),
		c("protect-bad-url", "protect", "ftp://example.com/repo", "main"),
		c("cat-bad-url", "cat", "s3+https://", "main:README"),
		c("doctor-s3-no-host", "doctor", "s3+https://"),
		c("doctor-unknown-scheme", "doctor", "ftp://example.com/repo"),
		c("doctor-bad-engine", "doctor", "fs+file:///srv/git/repo?engine=nope"),

		// Credentials that cannot be found (no network is reached).
		c("ls-s3-missing-credential", "ls", "s3+https://s3.example.com/bucket?credential=work"),
		c("ls-az-no-credentials", "ls", "az+https://account.blob.core.windows.net/repos"),
		c("doctor-az-no-credentials", "doctor", "az+https://account.blob.core.windows.net/repos"),

		// Local directories.
		c("ls-fs-missing-parent", "ls", "fs+file://$TMP/missing/repo"),
		c("ls-fs-empty", "ls", "fs+file://$TMP/empty"),
		c("cat-fs-bundle-engine", "cat", "fs+file://$TMP/empty", "main:README"),
		c("compact-fs-bundle-engine", "compact", "fs+file://$TMP/empty"),
		c("gc-fs-bundle-engine", "gc", "fs+file://$TMP/empty"),
		c("protect-fs-missing-parent", "protect", "fs+file://$TMP/missing/repo", "main"),

		// The remote helper, called by hand.
		{"helper-no-args", []string{"git-remote-fs+file"}},
		{"helper-three-args", []string{"git-remote-s3+https", "origin", "s3+https://s3.example.com/bucket", "extra"}},
	}
}

// TestCLIGolden runs the CLI in-process for each case and compares its exit code,
// stdout and stderr with testdata/cli/<case>.golden; -update rewrites those files.
func TestCLIGolden(t *testing.T) {
	for _, c := range cliCases() {
		t.Run(c.name, func(t *testing.T) {
			tmp := t.TempDir()
			if err := os.Mkdir(filepath.Join(tmp, "empty"), 0o755); err != nil {
				t.Fatal(err)
			}
			isolateEnv(t, tmp)
			args := make([]string, len(c.args))
			for i, a := range c.args {
				args[i] = strings.ReplaceAll(a, "$TMP", tmp)
			}
			var stdout, stderr bytes.Buffer
			code := run(context.Background(), args, strings.NewReader(""), &stdout, &stderr)
			got := renderGolden(c.args, code, normalizeTmp(stdout.String(), tmp), normalizeTmp(stderr.String(), tmp))

			path := filepath.Join("testdata", "cli", c.name+".golden")
			if *update {
				if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test -run TestCLIGolden -update . to create it)", err)
			}
			// Line by line, so the diff reads like the files.
			if diff := cmp.Diff(strings.SplitAfter(string(want), "\n"), strings.SplitAfter(got, "\n")); diff != "" {
				t.Errorf("output differs from %s (-want +got):\n%s\nrun go test -run TestCLIGolden -update . if the change is intended", path, diff)
			}
		})
	}
}

// isolateEnv keeps the user's credentials, config and repository out of the run: the
// cloud variables are unset, HOME and XDG_CONFIG_HOME point into tmp, and the named
// credentials file does not exist.
func isolateEnv(t *testing.T, tmp string) {
	t.Helper()
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		for _, p := range []string{"AWS_", "AZURE_", "IDENTITY_", "MSI_", "GIT_REMOTE_OBJECT_STORE_", "GIT_DIR", "GIT_WORK_TREE", "GIT_COMMON_DIR"} {
			if strings.HasPrefix(k, p) {
				t.Setenv(k, "") // restored when the test ends
				os.Unsetenv(k)
			}
		}
	}
	t.Setenv("HOME", filepath.Join(tmp, "home"))
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(tmp, "config"))
	t.Setenv("GIT_REMOTE_OBJECT_STORE_CREDENTIALS_FILE", filepath.Join(tmp, "no-credentials"))
}

// normalizeTmp replaces tmp (and the path it resolves to, e.g. /private/var on macOS)
// with $TMP.
func normalizeTmp(s, tmp string) string {
	if real, err := filepath.EvalSymlinks(tmp); err == nil && real != tmp {
		s = strings.ReplaceAll(s, real, "$TMP")
	}
	return strings.ReplaceAll(s, tmp, "$TMP")
}

// renderGolden lays out one run for a golden file:
//
//	$ <args>
//	exit <code>
//	-- stdout --
//	...
//	-- stderr --
//	...
//
// A section that does not end in a newline gets one, followed by a marker line.
func renderGolden(args []string, code int, stdout, stderr string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "$ %s\nexit %d\n", strings.Join(quoteArgs(args), " "), code)
	for _, s := range []struct{ name, text string }{{"stdout", stdout}, {"stderr", stderr}} {
		fmt.Fprintf(&b, "-- %s --\n%s", s.name, s.text)
		if s.text != "" && !strings.HasSuffix(s.text, "\n") {
			b.WriteString("\n\\ no newline at end\n")
		}
	}
	return b.String()
}

// quoteArgs quotes the arguments a shell would split or expand, leaving $TMP readable.
func quoteArgs(args []string) []string {
	out := make([]string, len(args))
	for i, a := range args {
		if a == "" || strings.ContainsAny(a, " \t\n'\"\\&?*;|<>()") {
			a = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
		}
		out[i] = a
	}
	return out
}
