package e2e

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"

	"git-remote-object-store/internal/testenv"
)

var binDir string // holds the built binary and its helper links

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "gros-e2e-bin-")
	if err != nil {
		panic(err)
	}
	bin := filepath.Join(dir, "git-remote-object-store")
	args := []string{"build", "-o", bin}
	// GROS_E2E_RACE=1 builds the binary with the race detector, so the concurrency tests
	// check the helper's own goroutines (a race makes the helper exit non-zero).
	if os.Getenv("GROS_E2E_RACE") == "1" {
		args = append(args, "-race")
	}
	// GROS_COVERDIR (make cover) asks for a binary built with coverage: every process of it
	// (git's helpers, the tool's verbs) writes its counters to GOCOVERDIR, which env() passes on.
	if cov := os.Getenv("GROS_COVERDIR"); cov != "" {
		abs, err := filepath.Abs(cov)
		if err == nil {
			err = os.MkdirAll(abs, 0o755)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "e2e: GROS_COVERDIR:", err)
			os.Exit(1)
		}
		os.Setenv("GOCOVERDIR", abs)
		args = append(args, "-cover", "-coverpkg=git-remote-object-store/...")
	}
	build := exec.Command("go", append(args, "git-remote-object-store")...)
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "e2e: cannot build the binary:", err)
		os.Exit(1)
	}
	if out, err := exec.Command(bin, "install", "--bin-dir", dir).CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "e2e: install: %v\n%s", err, out)
		os.Exit(1)
	}
	binDir = dir
	for _, kv := range cloudEnv() { // for the helper processes and the in-process bucket()
		k, v, _ := strings.Cut(kv, "=")
		os.Setenv(k, v)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// remoteKind is one backend the suite runs on.
type remoteKind struct {
	name   string
	newURL func(t *testing.T, engine string) string // a fresh, empty remote
	// bucketDir, for fs only, is the directory behind a URL (to damage it in tests).
	bucketDir func(url string) string
}

var counter atomic.Int64

func remotes(t *testing.T) []remoteKind {
	kinds := []remoteKind{{
		name: "fs",
		newURL: func(t *testing.T, engine string) string {
			return "fs+file://" + mkdir(t, t.TempDir(), "bucket") + "/repo?engine=" + engine
		},
	}}
	kinds = append(kinds, cloudRemotes...)
	return kinds
}

// mkdir makes the directory dir/name and returns its path: an fs remote's directory is
// created by the first push only when its parent exists.
func mkdir(t *testing.T, dir, name string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.MkdirAll(p, 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

// cloudRemotes is extended by the files that add S3 and Azure runs.
var cloudRemotes []remoteKind

// env is the environment every git command runs with: our helpers first on PATH, a
// private HOME and no system config, fixed identities and dates. The rest passes through,
// GOCOVERDIR included (set by TestMain under make cover), so that git hands it to our helpers.
func env(home string) []string {
	out := []string{}
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "PATH=") || strings.HasPrefix(kv, "HOME=") || strings.HasPrefix(kv, "GIT_") && !strings.HasPrefix(kv, "GIT_REMOTE_") {
			continue
		}
		out = append(out, kv)
	}
	return append(out, "PATH="+binDir+string(os.PathListSeparator)+os.Getenv("PATH"), "HOME="+home,
		"GIT_CONFIG_NOSYSTEM=1", "GIT_AUTHOR_NAME=Tester", "GIT_AUTHOR_EMAIL=t@example.com",
		"GIT_COMMITTER_NAME=Tester", "GIT_COMMITTER_EMAIL=t@example.com", "GIT_TERMINAL_PROMPT=0",
		"AWS_EC2_METADATA_DISABLED=true") // never reach for instance metadata from a test
}

// world is one test's sandbox: a HOME, and helpers to run git in directories below it.
type world struct {
	t    *testing.T
	home string
	// extra variables for every command this world runs (setenv).
	extra []string
}

// setenv sets a variable for every git and tool command this world runs from now on.
func (w *world) setenv(k, v string) { w.extra = append(w.extra, k+"="+v) }

// environ is env(w.home) plus the world's own variables.
func (w *world) environ() []string { return append(env(w.home), w.extra...) }

func newWorld(t *testing.T) *world {
	testenv.Git(t)
	w := &world{t: t, home: t.TempDir()}
	cfg := "[init]\n\tdefaultBranch = main\n"
	// Submodule clones run with GIT_PROTOCOL_FROM_USER=0, where unknown schemes need this.
	for _, scheme := range []string{"fs+file", "s3+http", "s3+https", "az+http", "az+https"} {
		cfg += "[protocol \"" + scheme + "\"]\n\tallow = always\n"
	}
	os.WriteFile(filepath.Join(w.home, ".gitconfig"), []byte(cfg), 0o644)
	return w
}

// git runs git in dir and fails the test on error.
func (w *world) git(dir string, args ...string) string {
	w.t.Helper()
	out, err := w.try(dir, args...)
	if err != nil {
		w.t.Fatalf("git %s (in %s): %v\n%s", strings.Join(args, " "), dir, err, out)
	}
	return strings.TrimSpace(out)
}

// try runs git in dir and returns its combined output and error.
func (w *world) try(dir string, args ...string) (string, error) {
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = w.environ()
	var b bytes.Buffer
	cmd.Stdout, cmd.Stderr = &b, &b
	err := cmd.Run()
	return b.String(), err
}

// tool runs our binary's management verbs.
func (w *world) tool(args ...string) (string, error) {
	cmd := exec.Command(filepath.Join(binDir, "git-remote-object-store"), args...)
	cmd.Env = w.environ()
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// toolIn runs our binary's management verbs in dir (verbs that act on the repository
// there, like lfs install).
func (w *world) toolIn(dir string, args ...string) (string, error) {
	cmd := exec.Command(filepath.Join(binDir, "git-remote-object-store"), args...)
	cmd.Dir, cmd.Env = dir, w.environ()
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// repo makes a repository with n commits on main.
func (w *world) repo(n int) string {
	dir := filepath.Join(w.t.TempDir(), "work")
	w.git(w.home, "init", "-q", dir)
	for i := 0; i < n; i++ {
		w.commit(dir, fmt.Sprintf("file%d.txt", i%3), fmt.Sprintf("content %d\n", i))
	}
	return dir
}

func (w *world) commit(dir, file, content string) string {
	w.t.Helper()
	p := filepath.Join(dir, file)
	os.MkdirAll(filepath.Dir(p), 0o755)
	old, _ := os.ReadFile(p)
	os.WriteFile(p, append(old, content...), 0o644)
	w.git(dir, "add", "-A")
	w.git(dir, "commit", "-q", "-m", "change "+file+" "+strings.TrimSpace(content))
	return w.git(dir, "rev-parse", "HEAD")
}

func (w *world) clone(url string) string {
	w.t.Helper()
	dir := filepath.Join(w.t.TempDir(), "clone")
	w.git(w.home, "clone", "-q", url, dir)
	return dir
}

func (w *world) fsck(dir string) {
	w.t.Helper()
	w.git(dir, "fsck", "--full", "--strict")
}

// forEach runs fn for every backend × engine.
func forEach(t *testing.T, fn func(t *testing.T, w *world, url func() string, kind remoteKind)) {
	forEachOn(t, []string{"bundle", "packchain"}, fn)
}

// forBundle runs fn for every backend with the bundle engine only: the test checks the
// bundle layout itself (awslabs compatibility, stored bundles, the zip mirror, doctor).
func forBundle(t *testing.T, fn func(t *testing.T, w *world, url func() string, kind remoteKind)) {
	forEachOn(t, []string{"bundle"}, fn)
}

func forEachOn(t *testing.T, engines []string, fn func(t *testing.T, w *world, url func() string, kind remoteKind)) {
	for _, kind := range remotes(t) {
		for _, eng := range engines {
			t.Run(kind.name+"/"+eng, func(t *testing.T) {
				if runtime.GOOS == "windows" {
					t.Skip("not on windows")
				}
				w := newWorld(t)
				fn(t, w, func() string { return kind.newURL(t, eng) }, kind)
			})
		}
	}
}
