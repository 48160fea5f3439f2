// Command git-remote-object-store is a git remote helper and management tool that keeps
// git repositories in an S3-compatible bucket, an Azure Blob container or a local
// directory. Installed under the names git-remote-<scheme> it speaks git's remote-helper
// protocol; called by its own name (or as `git object-store`) it runs a management verb.
package main

import (
	"context"
	"io"
	"os"
	"os/signal"
	"path/filepath"
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

var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args, os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
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
	name := filepath.Base(args[0])
	if scheme, ok := strings.CutPrefix(name, "git-remote-"); ok && scheme != "object-store" {
		return runHelper(ctx, scheme, args[1:], stdin, stdout, stderr)
	}
	return runCLI(ctx, args[1:], stdin, stdout, stderr)
}
