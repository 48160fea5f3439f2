// Command git-remote-object-store is a git remote helper and management tool that keeps
// git repositories in an S3-compatible bucket, an Azure Blob container or a local
// directory. Installed under the names git-remote-<scheme> it speaks git's remote-helper
// protocol; called by its own name (or as `git object-store`) it runs a management verb.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"syscall"

	"git-remote-object-store/internal/redact"
)

// Exit codes (docs/architecture.md, "Exit codes").
const (
	exitOK    = 0
	exitFail  = 1
	exitUsage = 2
)

// version is the release version, set only by a release build
// (-ldflags -X main.version=vX.Y.Z, scripts/release), the one thing build info cannot
// know. Everything else versionText prints comes from the binary's build info.
var version = ""

// versionText is what `version` and `--version` print: the release version (else the
// module version go build stamped, else "dev"), the commit with "-dirty" when the tree
// had changes, the commit's time (a reproducible build's only date), and the Go
// toolchain and target.
func versionText() string {
	bi, _ := debug.ReadBuildInfo()
	return formatVersion(version, bi)
}

func formatVersion(release string, bi *debug.BuildInfo) string {
	v, commit, date := release, "unknown", "unknown"
	if bi != nil {
		if v == "" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			v = bi.Main.Version
		}
		dirty := false
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				commit = s.Value
			case "vcs.time":
				date = s.Value
			case "vcs.modified":
				dirty = s.Value == "true"
			}
		}
		if dirty && commit != "unknown" {
			commit += "-dirty"
		}
	}
	if v == "" {
		v = "dev"
	}
	return fmt.Sprintf("git-remote-object-store %s\ncommit: %s\nbuilt:  %s\ngo:     %s %s/%s\n",
		v, commit, date, runtime.Version(), runtime.GOOS, runtime.GOARCH)
}

func main() {
	tuneGC()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args, os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// tuneGC lets the heap grow to 1.5 times what is live after a collection instead of
// Go's 2, unless GOGC says otherwise. A push holds its object list, the walk's seen set
// and the writer's plans until the pack is written, and with the default the garbage on
// top made most of its peak RSS: a million-file push peaked at 518 MB with 290 MB live
// (bench/gitpack with GODEBUG=gctrace=1), 410 MB with this, in the same time. A fixed
// memory limit did as well there but would make the collector run without pause on a
// repository whose live data exceeds it.
func tuneGC() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(50)
	}
}

// run is the whole program. Everything it prints passes through one redactor
// (internal/redact), wrapped here once: the secrets of the environment are registered
// before anything runs, those loaded later (named credentials, credential chains)
// when they are loaded.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	redact.FromEnv(os.Getenv)
	rout, rerr := redact.NewWriter(stdout), redact.NewWriter(stderr)
	defer rerr.Flush()
	defer rout.Flush()
	stdout, stderr = rout, rerr
	defer startProfile(stderr)()
	// On Windows the helpers are git-remote-<scheme>.exe (cmd_install.go).
	name := filepath.Base(args[0])
	if ext := filepath.Ext(name); strings.EqualFold(ext, ".exe") {
		name = strings.TrimSuffix(name, ext)
	}
	// --version answers under every name: git never passes it to a helper (a helper's
	// first argument is a remote's name, and no remote's name starts with a dash).
	if len(args) == 2 && args[1] == "--version" {
		fmt.Fprint(stdout, versionText())
		return exitOK
	}
	// The release binaries are named git-remote-object-store_<version>_<os>_<arch>; "_"
	// is no URL scheme's character, so such a name is the CLI too.
	if scheme, ok := strings.CutPrefix(name, "git-remote-"); ok && scheme != "object-store" && !strings.HasPrefix(scheme, "object-store_") {
		return runHelper(ctx, scheme, args[1:], stdin, stdout, stderr)
	}
	return runCLI(ctx, args[1:], stdin, stdout, stderr)
}
