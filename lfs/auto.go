package lfs

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"git-remote-object-store/store"
)

// Repo is what configuring LFS needs of the local repository.
type Repo struct {
	CommonDir string                                // the common git directory
	Get       func(section, sub, key string) string // a value of its config ("" when unset)
}

// AutoConfig writes the scoped git-lfs config (Install) for the named remote of ours when
// it is not configured yet and LFS is about to be needed: the repository already uses LFS
// (a push is coming: git runs the pre-push hook while the helper serves it), or the bucket
// holds LFS objects (a clone is coming: git disconnects the helper before checkout, so
// the smudge filter must already know where to look). The helper calls it before it
// answers git's first command, while git waits, so no git config write races ours.
//
// open hands out the remote's store, opened once per process; it is called only when the
// repository does not use LFS itself. A name that is really a URL (given on git's command
// line) has no config to scope to and is left alone.
func AutoConfig(ctx context.Context, repo Repo, name, agentPath string, open func() (store.Store, error)) error {
	url := repo.Get("remote", name, "url")
	if name == "" || strings.Contains(name, "/") || url == "" || repo.Get("remote", name, "lfsurl") != "" {
		return nil
	}
	if !usesLFS(ctx, repo, open) {
		return nil
	}
	return Install(filepath.Join(repo.CommonDir, "config"), name, url, agentPath)
}

func usesLFS(ctx context.Context, repo Repo, open func() (store.Store, error)) bool {
	if st, err := os.Stat(filepath.Join(repo.CommonDir, "lfs")); err == nil && st.IsDir() {
		return true
	}
	st, err := open()
	if err != nil {
		return false
	}
	return st.List(ctx, KeyPrefix, func(store.Info) error { return store.ErrStopList }) == store.ErrStopList
}

// TempDir is where the agent's downloads wait for git-lfs to move them into its object
// store: git-lfs's own tmp directory (lfs.storage, else <common git dir>/lfs), so the
// move is a rename on one file system, from a worktree as from the main checkout.
func TempDir(repo Repo) string {
	storage := filepath.Join(repo.CommonDir, "lfs")
	if s := repo.Get("lfs", "", "storage"); s != "" {
		if !filepath.IsAbs(s) {
			s = filepath.Join(repo.CommonDir, s)
		}
		storage = s
	}
	return filepath.Join(storage, "tmp")
}

// RemoteURL is the URL of the named remote of repo; a name that is itself a URL is
// returned as is (git-lfs and users may pass either).
func RemoteURL(repo Repo, name string) (string, error) {
	if strings.Contains(name, "://") {
		return name, nil
	}
	url := repo.Get("remote", name, "url")
	if url == "" {
		return "", fmt.Errorf("no remote %q in %s", name, filepath.Join(repo.CommonDir, "config"))
	}
	return url, nil
}
