package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// helperNames are the links install makes; the awslabs names only when nobody else owns them.
var (
	helperNames  = []string{"git-remote-s3+https", "git-remote-s3+http", "git-remote-az+https", "git-remote-az+http", "git-remote-fs+file", "git-object-store"}
	awslabsNames = []string{"git-remote-s3", "git-remote-s3+zip"}
)

func cmdInstall(_ context.Context, args []string, stdout, stderr io.Writer) int {
	cl := newCmdLine("install", stdout, stderr)
	binDir := cl.String("bin-dir", "DIR", "", "directory for the links (default: next to this binary)")
	dryRun := cl.Bool("dry-run", "print what would be done, change nothing")
	if _, code, ok := cl.Parse(args); !ok {
		return code
	}
	self, err := os.Executable()
	if err == nil {
		self, err = filepath.EvalSymlinks(self)
	}
	if err != nil {
		fmt.Fprintf(stderr, "install: cannot find this binary: %v\n", err)
		return exitFail
	}
	dir := *binDir
	if dir == "" {
		dir = filepath.Dir(self)
	}
	if !*dryRun {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			fmt.Fprintf(stderr, "install: %v\n", err)
			return exitFail
		}
	}
	failed := false
	for _, name := range append(append([]string{}, helperNames...), awslabsNames...) {
		msg, err := link(self, filepath.Join(dir, name), *dryRun)
		if err != nil {
			fmt.Fprintf(stderr, "install: %s: %v\n", name, err)
			failed = true
			continue
		}
		fmt.Fprintf(stdout, "%-22s %s\n", name, msg)
	}
	if failed {
		return exitFail
	}
	return exitOK
}

// link makes path a symlink to self unless something that is not ours is there.
func link(self, path string, dryRun bool) (string, error) {
	fi, err := os.Lstat(path)
	switch {
	case errors.Is(err, os.ErrNotExist):
	case err != nil:
		return "", err
	case fi.Mode()&os.ModeSymlink != 0:
		target, _ := filepath.EvalSymlinks(path)
		if target == self {
			return "already installed", nil
		}
		if tgt, _ := os.Readlink(path); filepath.Base(tgt) != filepath.Base(self) {
			return "left alone: it belongs to " + tgt, nil
		}
		// A link to another copy of us (an older install): point it here.
	default:
		return "left alone: another program has this name", nil
	}
	if dryRun {
		return "would link to " + self, nil
	}
	os.Remove(path)
	if err := os.Symlink(self, path); err != nil {
		return "", err
	}
	return "-> " + self, nil
}
