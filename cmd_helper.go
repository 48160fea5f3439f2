package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"

	"git-remote-object-store/engine"
	"git-remote-object-store/gitpack"
	"git-remote-object-store/gitpack/object"
	"git-remote-object-store/helper"
	"git-remote-object-store/lfs"
	"git-remote-object-store/remote"
	"git-remote-object-store/store"
)

// runHelper is git-remote-<scheme> <remote-name> <url>, with GIT_DIR set by git.
func runHelper(ctx context.Context, scheme string, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) < 1 || len(args) > 2 {
		fmt.Fprintf(stderr, "usage: git-remote-%s <remote> [<url>] (run by git, not by hand)\n", scheme)
		return exitUsage
	}
	url := args[len(args)-1]
	if !strings.Contains(url, "://") {
		url = scheme + "://" + url // git passes "bucket/prefix" for s3::bucket/prefix style remotes
	}
	repo, err := gitpack.OpenEnv()
	if err != nil {
		fmt.Fprintf(stderr, "fatal: %v\n", err)
		return exitFail
	}
	defer repo.Close()
	// The remote is opened at most once, when first needed, for LFS and the engine alike.
	open := sync.OnceValues(func() (*remote.Remote, error) { return remote.Open(ctx, url) })
	openStore := func() (store.Store, error) {
		r, err := open()
		if err != nil {
			return nil, err
		}
		return r.Store, nil
	}
	if self, err := os.Executable(); err == nil {
		if err := lfs.AutoConfig(ctx, lfsView(repo), args[0], self, openStore); err != nil {
			fmt.Fprintf(stderr, "warning: could not configure git-lfs for remote %s: %v\n", args[0], err)
		}
	}
	cfg := helper.Config{
		Stderr: stderr,
		Open: func(ctx context.Context) (engine.Transport, error) {
			r, err := open()
			if err != nil {
				return nil, err
			}
			return r.Engine(repo, stderr)
		},
		Resolve: func(src string) (object.Hash, error) { return repo.ResolveRevision(src) },
	}
	if err := helper.Run(ctx, stdin, stdout, cfg); err != nil {
		// git does not say which remote failed, so the message names the URL, once:
		// errors about the URL itself (remote.Parse, credentials) already do.
		fmt.Fprintf(stderr, "fatal: %s\n", sayOnce(remote.Redact(url), err))
		return exitFail
	}
	return exitOK
}
