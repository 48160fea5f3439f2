package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"git-remote-object-store/gitpack"
	"git-remote-object-store/lfs"
	"git-remote-object-store/remote"
	"git-remote-object-store/store"
)

// lfsVerbs are the git-lfs verbs (lfs-agent, lfs install); they live apart from the other
// verbs so the LFS work stays in its own files.
func lfsVerbs() []verb {
	return []verb{
		{"lfs", "install [--remote NAME]", "make git-lfs keep this repository's LFS objects on the remote's bucket (that remote only)", cmdLFS},
		{"lfs-agent", "", "the git-lfs custom transfer agent (run by git-lfs, not by hand)", cmdLFSAgent},
	}
}

// lfsRepo opens the repository git-lfs (or the user) runs us in, for its config.
func lfsRepo() (lfs.Repo, error) {
	gitDir, err := gitpack.Discover(".")
	if err != nil {
		return lfs.Repo{}, err
	}
	repo, err := gitpack.Open(gitDir)
	if err != nil {
		return lfs.Repo{}, err
	}
	defer repo.Close()
	return lfsView(repo), nil
}

// lfsView is what lfs needs of an open repository.
func lfsView(repo *gitpack.Repo) lfs.Repo {
	return lfs.Repo{CommonDir: repo.CommonDir(), Get: repo.Config().Get}
}

func cmdLFS(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	cl := newCmdLine("lfs", stdout, stderr)
	name := cl.String("remote", "NAME", "origin", "the remote whose bucket holds the LFS objects (default origin)")
	pos, code, ok := cl.ParseAny(args)
	switch {
	case !ok:
		return code
	case len(pos) == 0:
		return cl.Fail("missing subcommand (lfs install)")
	case pos[0] != "install":
		return cl.Fail("unknown subcommand '%s'", pos[0])
	case len(pos) > 1:
		return cl.Fail("unexpected argument '%s'", pos[1])
	}
	repo, err := lfsRepo()
	var url string
	if err == nil {
		url, err = lfs.RemoteURL(repo, *name)
	}
	if err == nil {
		err = installLFS(repo, *name, url)
	}
	if err != nil {
		fmt.Fprintf(stderr, "fatal: lfs install: %v\n", err)
		return exitFail
	}
	fmt.Fprintf(stdout, "git-lfs now keeps LFS objects of remote %q in its bucket, under lfs/ (other remotes unchanged)\n", *name)
	return exitOK
}

// installLFS checks the URL is ours and writes the scoped agent config.
func installLFS(repo lfs.Repo, name, url string) error {
	if _, err := remote.Parse(url); err != nil {
		return fmt.Errorf("remote '%s': %w", name, err) // err names the URL
	}
	self, err := os.Executable()
	if err != nil {
		return fmt.Errorf("locate this program: %w", err)
	}
	return lfs.Install(filepath.Join(repo.CommonDir, "config"), name, url, self)
}

func cmdLFSAgent(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if _, code, ok := newCmdLine("lfs-agent", stdout, stderr).Parse(args); !ok {
		return code
	}
	repo, err := lfsRepo()
	if err != nil {
		fmt.Fprintf(stderr, "fatal: lfs-agent: %v\n", err)
		return exitFail
	}
	a := &lfs.Agent{
		TempDir: lfs.TempDir(repo),
		Open: func(ctx context.Context, name string) (store.Store, error) {
			url, err := lfs.RemoteURL(repo, name)
			if err != nil {
				return nil, err
			}
			loc, err := remote.ParseRemote(name, url)
			if err != nil {
				return nil, err
			}
			return remote.OpenStore(ctx, loc)
		},
	}
	if err := a.Serve(ctx, os.Stdin, stdout); err != nil {
		fmt.Fprintf(stderr, "fatal: lfs-agent: %v\n", err)
		return exitFail
	}
	return exitOK
}
