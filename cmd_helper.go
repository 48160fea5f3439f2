package main

import (
	"context"
	"fmt"
	"io"
	"strings"

	"git-remote-object-store/gitpack"
	"git-remote-object-store/gitpack/object"
	"git-remote-object-store/helper"
	"git-remote-object-store/remote"
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
	lfsAutoConfig(ctx, repo, args[0], url, stderr)
	cfg := helper.Config{
		Stderr: stderr,
		Open: func(ctx context.Context) (remote.Engine, error) {
			r, err := remote.Open(ctx, url)
			if err != nil {
				return nil, err
			}
			return r.EngineFor(repo, stderr)
		},
		Resolve: func(src string) (object.Hash, error) { return repo.ResolveRevision(src) },
	}
	if err := helper.Run(ctx, stdin, stdout, cfg); err != nil {
		fmt.Fprintf(stderr, "fatal: %s: %v\n", url, err)
		return exitFail
	}
	return exitOK
}
