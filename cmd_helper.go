package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"git-remote-object-store/engine"
	"git-remote-object-store/gitpack"
	"git-remote-object-store/gitpack/gitconfig"
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
	// git names the repository in GIT_DIR whenever it has one; without it the helper runs
	// for `git ls-remote <url>` outside any repository, which only lists.
	repo, err := gitpack.OpenEnv()
	if err != nil && os.Getenv("GIT_DIR") != "" {
		fmt.Fprintf(stderr, "fatal: %v\n", err)
		return exitFail
	}
	if err == nil {
		defer repo.Close()
	} else {
		repo = nil
	}
	// The remote is opened at most once, when first needed, for LFS and the engine alike,
	// with the remote's own settings from git config (remote.<name>.objectstore-*).
	open := sync.OnceValues(func() (*remote.Remote, error) { return remote.OpenRemote(ctx, args[0], url) })
	openStore := func() (store.Store, error) {
		r, err := open()
		if err != nil {
			return nil, err
		}
		return r.Store, nil
	}
	if self, err := os.Executable(); err == nil && repo != nil {
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
			if repo == nil {
				e, err := r.Engine(nil, stderr)
				if err != nil {
					return nil, err
				}
				return engine.ListOnly(e), nil
			}
			e, err := r.Engine(repo, stderr)
			if err != nil {
				return nil, err
			}
			return reloadBeforeFetch{e, repo}, nil
		},
		FullClone: func() error { return notPartial(repo, args[0]) },
		Resolve: func(src string) (object.Hash, error) {
			if repo == nil {
				return object.Hash{}, engine.ErrNoRepository
			}
			return repo.ResolveRevision(src)
		},
	}
	err = helper.Run(ctx, stdin, stdout, cfg)
	store.WriteTrafficSummary(stderr, os.Getenv) // the request trace's totals, at verbose ≥ 1
	if err != nil {
		// git does not say which remote failed, so the message names the URL, once:
		// errors about the URL itself (remote.Parse, credentials) already do, and so do
		// those about the bucket, container or directory as a whole.
		var se *store.Error
		if errors.As(err, &se) && se.Remote != "" {
			fmt.Fprintf(stderr, "fatal: %v\n", err)
		} else {
			fmt.Fprintf(stderr, "fatal: %s\n", sayOnce(remote.Redact(url), err))
		}
		return exitFail
	}
	return exitOK
}

// reloadBeforeFetch re-reads the repository's configuration before a fetch: git clone
// sets the new repository's object format after the helper listed the remote's refs.
type reloadBeforeFetch struct {
	engine.Transport
	repo *gitpack.Repo
}

func (t reloadBeforeFetch) Fetch(ctx context.Context, wants []engine.Ref, o engine.Options) error {
	if err := t.repo.Reload(); err != nil {
		return err
	}
	return t.Transport.Fetch(ctx, wants, o)
}

// notPartial undoes what git clone --filter wrote before the fetch (the remote as a
// promisor, its filter, and extensions.partialclone when it names the remote): the
// helper fetched every object, so the clone is an ordinary one and later fetches must
// not ask for filters or lazy fetches the remote cannot serve.
func notPartial(repo *gitpack.Repo, remoteName string) error {
	if repo == nil {
		return nil
	}
	path := filepath.Join(repo.CommonDir(), "config")
	for _, key := range []string{"promisor", "partialclonefilter"} {
		if err := gitconfig.Unset(path, "remote", remoteName, key); err != nil {
			return fmt.Errorf("make the clone a full one: %w", err)
		}
	}
	if repo.Config().Get("extensions", "", "partialclone") == remoteName {
		if err := gitconfig.Unset(path, "extensions", "", "partialclone"); err != nil {
			return fmt.Errorf("make the clone a full one: %w", err)
		}
	}
	return repo.Reload()
}
