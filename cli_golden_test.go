package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"git-remote-object-store/gitpack/object"
	"git-remote-object-store/packchain"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// cliCase is one run of the CLI. "$TMP" in args, env and stdin stands for a fresh
// temporary directory (the case's own), which holds an empty directory "empty" and a
// git repository "repo" (fakeRepo); "$TMP" also replaces that directory in the output,
// so the golden files do not depend on where the test runs. The CLI runs in $TMP/<dir>
// ($TMP itself when dir is ""), never in the source tree, whose remotes are nobody's
// business.
type cliCase struct {
	name  string   // golden file testdata/cli/<name>.golden
	args  []string // args[0] is the program name, as in os.Args
	dir   string
	env   map[string]string
	stdin string
	setup func(t *testing.T, tmp string) // prepares $TMP further before the run
}

// in runs the case in $TMP/dir.
func (c cliCase) in(dir string) cliCase { c.dir = dir; return c }

// withEnv sets an environment variable for the run (after isolateEnv).
func (c cliCase) withEnv(k, v string) cliCase {
	env := map[string]string{k: v}
	for k, v := range c.env {
		env[k] = v
	}
	c.env = env
	return c
}

// withStdin feeds the run's standard input.
func (c cliCase) withStdin(s string) cliCase { c.stdin = s; return c }

// with adds a setup step.
func (c cliCase) with(setup func(t *testing.T, tmp string)) cliCase { c.setup = setup; return c }

func cliCases() []cliCase {
	const me = "git-remote-object-store"
	c := func(name string, args ...string) cliCase {
		return cliCase{name: name, args: append([]string{me}, args...)}
	}
	return []cliCase{
		// Usage text.
		c("usage-no-args"),
		c("usage-help", "help"),
		c("usage-dash-dash-help", "--help"),
		c("usage-dash-h", "-h"),
		c("unknown-verb", "frobnicate"),
		{name: "usage-as-git-object-store", args: []string{"git-object-store", "help"}},
		c("version", "version"),
		c("version-dash-dash", "--version"),
		{name: "version-as-helper", args: []string{"git-remote-s3+https", "--version"}},
		{name: "version-as-git-object-store-exe", args: []string{"git-object-store.exe", "--version"}},
		{name: "helper-exe-no-args", args: []string{"git-remote-fs+file.exe"}},
		{name: "version-as-release-download", args: []string{"git-remote-object-store_v1.2.3_windows_amd64.exe", "version"}},

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
		c("verify-help", "verify", "--help"),
		c("verify-no-args", "verify"),
		c("verify-no-key", "verify", "SHA256SUMS", "SHA256SUMS.sig"),
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

		c("lfs-install-help", "lfs", "install", "--help"),
		c("install-help-after-flag", "install", "--dry-run", "--help"),
		c("gc-help-after-url", "gc", "fs+file:///a", "-h"),

		// Options anywhere, as git takes them; `--` ends them; one line per mistake.
		c("gc-flag-after-url", "gc", "fs+file://$TMP/empty", "--dry-run"),
		c("doctor-fix-after-url", "doctor", "fs+file://$TMP/missing/repo", "--fix"),
		c("gc-dash-dash", "gc", "--", "--dry-run"),
		c("gc-grace-without-value", "gc", "fs+file:///a", "--grace"),
		c("gc-single-dash-flag", "gc", "-grace=48h", "-dry-run", "fs+file://$TMP/empty"),
		c("doctor-fix-with-value", "doctor", "--fix=maybe", "fs+file:///a"),
		c("compact-unknown-switch", "compact", "-x", "fs+file:///a"),
		c("version-extra-arg", "version", "extra"),
		c("version-bad-flag", "version", "--bogus"),
		c("lfs-agent-extra-arg", "lfs-agent", "extra"),
		c("lfs-install-flag-first", "lfs", "--remote", "github", "install").in("repo"),

		// A remote's name in place of its URL.
		c("gc-remote-name", "gc", "origin").in("repo"),
		c("ls-remote-name-in-subdir", "ls", "origin").in("repo/sub"),
		// Names from the bucket with terminal escapes are quoted as git quotes paths.
		c("ls-fs-hostile-names", "ls", "fs+file://$TMP/hostile").with(hostileRemote("hostile")),
		c("ls-unknown-remote-name", "ls", "upstream").in("repo"),
		c("ls-remote-name-outside-repo", "ls", "origin"),
		c("ls-remote-not-object-store", "ls", "github").in("repo"),
		c("doctor-unknown-remote-name", "doctor", "upstream").in("repo"),
		c("protect-remote-name", "protect", "--allow-missing", "origin", "main").in("repo"),

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

		c("ls-az-sas-url", "ls", "az+https://account.blob.core.windows.net/repos/r?sv=2022-11-02&ss=b&srt=co&sp=rwdlac&se=2030-01-01T00:00:00Z&spr=https&sig=SECRETSIG%3D"),
		c("ls-az-sas-url-with-engine", "ls", "az+https://account.blob.core.windows.net/repos/r?engine=packchain&sp=r&sig=SECRETSIG"),
		c("ls-s3-sig-option", "ls", "s3+https://s3.example.com/bucket?sig=SECRETSIG"),
		c("ls-s3-two-unknown-options", "ls", "s3+https://s3.example.com/bucket?zz=1&aa=2"),

		// Credentials that cannot be found (no network is reached).
		c("ls-s3-missing-credential", "ls", "s3+https://s3.example.com/bucket?credential=work"),
		c("ls-az-no-credentials", "ls", "az+https://account.blob.core.windows.net/repos"),
		c("doctor-az-no-credentials", "doctor", "az+https://account.blob.core.windows.net/repos"),

		c("ls-s3-credential-no-section", "ls", "s3+https://s3.example.com/bucket?credential=work").
			withEnv("GIT_REMOTE_OBJECT_STORE_CREDENTIALS_FILE", "$TMP/credentials").
			with(func(t *testing.T, tmp string) {
				os.WriteFile(filepath.Join(tmp, "credentials"), []byte("[home]\naws_access_key_id = AKIAEXAMPLE\n"), 0o600)
			}),
		c("ls-s3-credential-no-key-id", "ls", "s3+https://s3.example.com/bucket?credential=work").
			withEnv("GIT_REMOTE_OBJECT_STORE_CREDENTIALS_FILE", "$TMP/credentials").
			with(func(t *testing.T, tmp string) {
				os.WriteFile(filepath.Join(tmp, "credentials"), []byte("[work]\nregion = eu-west-1\n"), 0o600)
			}),
		c("ls-az-bad-key", "ls", "az+https://account.blob.core.windows.net/repos").withEnv("AZURE_STORAGE_KEY", "not base64!"),
		c("ls-az-bad-connection-string", "ls", "az+https://account.blob.core.windows.net/repos").withEnv("AZURE_STORAGE_CONNECTION_STRING", "AccountName=account;garbage"),
		c("ls-az-connection-string-other-account", "ls", "az+https://account.blob.core.windows.net/repos").
			withEnv("AZURE_STORAGE_CONNECTION_STRING", "AccountName=other;AccountKey=a2V5"),

		// Local directories.
		c("ls-fs-missing-parent", "ls", "fs+file://$TMP/missing/repo"),
		c("ls-fs-empty", "ls", "fs+file://$TMP/empty"),
		c("cat-fs-bundle-engine", "cat", "fs+file://$TMP/empty", "main:README"),
		c("compact-fs-bundle-engine", "compact", "fs+file://$TMP/empty"),
		c("gc-fs-bundle-engine", "gc", "fs+file://$TMP/empty"),
		c("protect-fs-missing-parent", "protect", "fs+file://$TMP/missing/repo", "main"),
		c("protect-missing-branch", "protect", "fs+file://$TMP/empty", "main"),
		c("protect-missing-branch-remote-name", "protect", "origin", "mian").in("repo"),
		c("protect-allow-missing", "protect", "--allow-missing", "fs+file://$TMP/empty", "main"),
		c("protect-existing-branch", "protect", "fs+file://$TMP/withmain", "main").with(bundleRemote("withmain", "main")),
		c("ls-bundle-remote", "ls", "fs+file://$TMP/withmain").with(bundleRemote("withmain", "main")),
		c("delete-branch-missing", "delete-branch", "fs+file://$TMP/empty", "nope"),
		// The default branch (HEAD) is deleted only with --force, which says where HEAD went.
		c("delete-branch-default", "delete-branch", "fs+file://$TMP/two", "main").with(bundleRemote("two", "main", "dev")),
		c("delete-branch-default-force", "delete-branch", "--force", "fs+file://$TMP/two", "main").with(bundleRemote("two", "main", "dev")),
		c("delete-branch-other", "delete-branch", "fs+file://$TMP/two", "dev").with(bundleRemote("two", "main", "dev")),
		c("delete-branch-only-branch", "delete-branch", "fs+file://$TMP/withmain", "main").with(bundleRemote("withmain", "main")),
		c("delete-branch-only-branch-force", "delete-branch", "fs+file://$TMP/withmain", "main", "--force").with(bundleRemote("withmain", "main")),
		c("delete-branch-default-packchain", "delete-branch", "fs+file://$TMP/pc", "main").with(packchainRemote("pc", "main", "dev")),
		c("delete-branch-default-force-packchain", "delete-branch", "--force", "fs+file://$TMP/pc", "main").with(packchainRemote("pc", "main", "dev")),
		c("gc-grace-below-push-window", "gc", "--grace", "1h", "fs+file://$TMP/pc").with(packchainRemote("pc")),
		c("cat-packchain-no-such-ref", "cat", "fs+file://$TMP/pc", "main:README").with(packchainRemote("pc")),

		// The remote helper, called by hand.
		{name: "helper-no-args", args: []string{"git-remote-fs+file"}},
		{name: "helper-bad-url", args: []string{"git-remote-s3+http", "bad", "s3+http://127.0.0.1:1/bucket/r?engin=packchain"}, dir: "repo", stdin: "list\n"},
		{name: "helper-missing-directory", args: []string{"git-remote-fs+file", "bad", "fs+file://$TMP/missing/repo"}, dir: "repo", stdin: "list\n"},
		{name: "helper-password-in-url", args: []string{"git-remote-s3+https", "bad", "s3+https://user:secret@s3.example.com/bucket"}, dir: "repo", stdin: "list\n"},
		{name: "helper-three-args", args: []string{"git-remote-s3+https", "origin", "s3+https://s3.example.com/bucket", "extra"}},
	}
}

// TestCLIGolden runs the CLI in-process for each case and compares its exit code,
// stdout and stderr with testdata/cli/<case>.golden; -update rewrites those files.
func TestCLIGolden(t *testing.T) {
	goldenDir, err := filepath.Abs(filepath.Join("testdata", "cli")) // the cases chdir away
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cliCases() {
		t.Run(c.name, func(t *testing.T) {
			tmp := t.TempDir()
			if err := os.Mkdir(filepath.Join(tmp, "empty"), 0o755); err != nil {
				t.Fatal(err)
			}
			fakeRepo(t, tmp)
			isolateEnv(t, tmp)
			for k, v := range c.env {
				t.Setenv(k, strings.ReplaceAll(v, "$TMP", tmp))
			}
			if c.setup != nil {
				c.setup(t, tmp)
			}
			t.Chdir(filepath.Join(tmp, c.dir))
			args := make([]string, len(c.args))
			for i, a := range c.args {
				args[i] = strings.ReplaceAll(a, "$TMP", tmp)
			}
			var stdout, stderr bytes.Buffer
			code := run(context.Background(), args, strings.NewReader(strings.ReplaceAll(c.stdin, "$TMP", tmp)), &stdout, &stderr)
			got := renderGolden(c.args, code, normalizeTmp(stdout.String(), tmp), normalizeTmp(stderr.String(), tmp))

			path := filepath.Join(goldenDir, c.name+".golden")
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

// fakeRepo makes $TMP/repo a git repository (as much of one as gitpack.Open needs), with
// a subdirectory sub, and two remotes: origin, an object-store URL, and github, a URL of
// another kind.
func fakeRepo(t *testing.T, tmp string) {
	t.Helper()
	git := filepath.Join(tmp, "repo", ".git")
	for _, d := range []string{filepath.Join(git, "objects"), filepath.Join(tmp, "repo", "sub")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	config := "[core]\n\trepositoryformatversion = 0\n" +
		"[remote \"origin\"]\n\turl = fs+file://" + tmp + "/empty\n" +
		"[remote \"github\"]\n\turl = https://github.com/example/repo.git\n"
	if err := os.WriteFile(filepath.Join(git, "config"), []byte(config), 0o644); err != nil {
		t.Fatal(err)
	}
}

// bundleRemote makes $TMP/<dir> a bundle remote whose branches each have one bundle
// (its content is never read by the verbs tested), HEAD naming the first.
func bundleRemote(dir string, branches ...string) func(t *testing.T, tmp string) {
	return func(t *testing.T, tmp string) {
		t.Helper()
		for i, b := range branches {
			ref := filepath.Join(tmp, dir, "refs", "heads", b)
			if err := os.MkdirAll(ref, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(ref, fakeID(i)+".bundle"), []byte("not read"), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		if err := os.WriteFile(filepath.Join(tmp, dir, "HEAD"), []byte("refs/heads/"+branches[0]), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// fakeID is the i-th made-up commit id of a fake remote: abab…, cdcd…, efef…
func fakeID(i int) string { return strings.Repeat([]string{"ab", "cd", "ef"}[i%3], 20) }

// packchainRemote makes $TMP/<dir> a packchain remote: without branches, one that has
// no manifest yet (no push has finished); with them, a manifest naming each (no pack is
// ever read by the verbs tested), HEAD the first.
func packchainRemote(dir string, branches ...string) func(t *testing.T, tmp string) {
	return func(t *testing.T, tmp string) {
		t.Helper()
		if err := os.MkdirAll(filepath.Join(tmp, dir, "packchain"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(tmp, dir, packchain.FormatKey), []byte(packchain.FormatName+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		if len(branches) == 0 {
			return
		}
		m := packchain.NewManifest(object.SHA1)
		for i, b := range branches {
			m.Refs["refs/heads/"+b] = fakeID(i)
		}
		m.Head = "refs/heads/" + branches[0]
		data, err := m.Encode()
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(tmp, dir, packchain.ManifestKey), data, 0o644); err != nil {
			t.Fatal(err)
		}
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
// with $TMP, and the toolchain and target `version` prints with $GO.
func normalizeTmp(s, tmp string) string {
	s = strings.ReplaceAll(s, runtime.Version()+" "+runtime.GOOS+"/"+runtime.GOARCH, "$GO")
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
