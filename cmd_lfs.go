package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

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

// lfsRepoConfig finds the repository git-lfs (or the user) runs us in: its config file
// and the URL of a remote, which may also be given as a URL directly.
func lfsRepoConfig(remoteName string) (cfgPath, url string, err error) {
	gitDir, err := gitpack.Discover(".")
	if err != nil {
		return "", "", err
	}
	repo, err := gitpack.Open(gitDir)
	if err != nil {
		return "", "", err
	}
	defer repo.Close()
	cfgPath = filepath.Join(repo.CommonDir(), "config")
	if strings.Contains(remoteName, "://") {
		return cfgPath, remoteName, nil
	}
	url = repo.Config().Get("remote", remoteName, "url")
	if url == "" {
		return cfgPath, "", fmt.Errorf("no remote %q in %s", remoteName, cfgPath)
	}
	return cfgPath, url, nil
}

func cmdLFS(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] != "install" {
		fmt.Fprintln(stderr, "usage: git-remote-object-store lfs install [--remote NAME]")
		return exitUsage
	}
	fl := flag.NewFlagSet("lfs install", flag.ContinueOnError)
	fl.SetOutput(stderr)
	name := fl.String("remote", "origin", "the remote whose bucket holds the LFS objects")
	if err := fl.Parse(args[1:]); err != nil || fl.NArg() != 0 {
		fmt.Fprintln(stderr, "usage: git-remote-object-store lfs install [--remote NAME]")
		return exitUsage
	}
	cfgPath, url, err := lfsRepoConfig(*name)
	if err == nil {
		err = installLFS(cfgPath, *name, url)
	}
	if err != nil {
		fmt.Fprintf(stderr, "fatal: lfs install: %v\n", err)
		return exitFail
	}
	fmt.Fprintf(stdout, "git-lfs now keeps LFS objects of remote %q in its bucket, under lfs/ (other remotes unchanged)\n", *name)
	return exitOK
}

// installLFS checks the URL is ours and writes the scoped agent config.
func installLFS(cfgPath, name, url string) error {
	if _, err := remote.Parse(url); err != nil {
		return fmt.Errorf("remote %q (%s) is not an object-store URL: %w", name, url, err)
	}
	self, err := os.Executable()
	if err != nil {
		return fmt.Errorf("locate this program: %w", err)
	}
	return lfs.Install(cfgPath, name, url, self)
}

func cmdLFSAgent(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	tmpDir, err := lfsTempDir()
	if err != nil {
		fmt.Fprintf(stderr, "fatal: lfs-agent: %v\n", err)
		return exitFail
	}
	a := &lfs.Agent{
		TempDir: tmpDir,
		Open: func(ctx context.Context, name string) (store.Store, error) {
			_, url, err := lfsRepoConfig(name)
			if err != nil {
				return nil, err
			}
			return openLFSStore(ctx, url)
		},
	}
	if err := a.Serve(ctx, os.Stdin, stdout); err != nil {
		fmt.Fprintf(stderr, "fatal: lfs-agent: %v\n", err)
		return exitFail
	}
	return exitOK
}

// lfsTempDir is where downloads wait for git-lfs to move them into its object store:
// its own tmp directory (lfs.storage, else <common git dir>/lfs), so the move is a rename
// on one file system, from a worktree as from the main checkout.
func lfsTempDir() (string, error) {
	gitDir, err := gitpack.Discover(".")
	if err != nil {
		return "", err
	}
	repo, err := gitpack.Open(gitDir)
	if err != nil {
		return "", err
	}
	defer repo.Close()
	storage := filepath.Join(repo.CommonDir(), "lfs")
	if s := repo.Config().Get("lfs", "", "storage"); s != "" {
		if !filepath.IsAbs(s) {
			s = filepath.Join(repo.CommonDir(), s)
		}
		storage = s
	}
	return filepath.Join(storage, "tmp"), nil
}

func openLFSStore(ctx context.Context, url string) (store.Store, error) {
	loc, err := remote.Parse(url)
	if err != nil {
		return nil, err
	}
	st, err := remote.OpenStore(ctx, loc)
	if err != nil {
		return nil, err
	}
	return store.Prefixed(st, loc.Prefix), nil
}

// lfsAutoConfig writes the scoped git-lfs config for a named remote of ours that is not
// configured yet, when the repository already uses LFS (a push is about to need it: git
// runs the pre-push hook while we serve the push) or the bucket holds LFS objects (a
// clone is about to smudge them: git disconnects us before checkout). It runs before we
// answer git's first command, while git waits, so no git config write races ours.
func lfsAutoConfig(ctx context.Context, repo *gitpack.Repo, name, url string, stderr io.Writer) {
	if name == "" || strings.Contains(name, "/") || repo.Config().Get("remote", name, "url") == "" {
		return // a URL given on the command line: nothing to scope config to
	}
	if repo.Config().Get("remote", name, "lfsurl") != "" {
		return
	}
	uses := false
	if st, err := os.Stat(filepath.Join(repo.CommonDir(), "lfs")); err == nil && st.IsDir() {
		uses = true
	} else if st, err := openLFSStore(ctx, url); err == nil {
		uses = st.List(ctx, lfs.KeyPrefix, func(store.Info) error { return store.ErrStopList }) == store.ErrStopList
	}
	if !uses {
		return
	}
	if err := installLFS(filepath.Join(repo.CommonDir(), "config"), name, repo.Config().Get("remote", name, "url")); err != nil {
		fmt.Fprintf(stderr, "warning: could not configure git-lfs for remote %s: %v\n", name, err)
	}
}
