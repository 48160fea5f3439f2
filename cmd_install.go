package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"debug/buildinfo"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
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
	// Windows: git looks for git-remote-<scheme>.exe, and a symlink needs a privilege
	// most users lack, so each name is a hard link (or, across volumes, a copy) of this
	// binary with the .exe suffix.
	mk, suffix := link, ""
	if runtime.GOOS == "windows" {
		mk, suffix = linkExe, ".exe"
	}
	failed := false
	for _, name := range append(append([]string{}, helperNames...), awslabsNames...) {
		name += suffix
		msg, err := mk(self, filepath.Join(dir, name), *dryRun)
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

// linkExe makes path a hard link to self (a copy where a hard link cannot be made, as
// across volumes) unless something that is not ours is there. A file there is ours when
// its build info names this module: an older install, replaced; the same bytes are
// already installed.
func linkExe(self, path string, dryRun bool) (string, error) {
	fi, err := os.Lstat(path)
	switch {
	case errors.Is(err, os.ErrNotExist):
	case err != nil:
		return "", err
	case !fi.Mode().IsRegular():
		return "left alone: another program has this name", nil
	default:
		if me, err := os.Stat(self); err == nil && os.SameFile(me, fi) {
			return "already installed", nil
		}
		if !isOurBinary(path) {
			return "left alone: another program has this name", nil
		}
		if same, _ := sameContent(self, path); same {
			return "already installed (a copy)", nil
		}
		// An older copy of us: replaced below.
	}
	if dryRun {
		return "would link or copy " + self, nil
	}
	tmp := fmt.Sprintf("%s.%d.tmp", path, os.Getpid())
	os.Remove(tmp)
	how := "= " + self + " (hard link)"
	if err := os.Link(self, tmp); err != nil {
		if err := copyFile(self, tmp); err != nil {
			os.Remove(tmp)
			return "", err
		}
		how = "= " + self + " (copy)"
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return "", err
	}
	return how, nil
}

// isOurBinary reports whether path is an executable built from this module.
func isOurBinary(path string) bool {
	bi, err := buildinfo.ReadFile(path)
	if err != nil {
		return false
	}
	me, ok := debug.ReadBuildInfo()
	return ok && bi.Main.Path != "" && bi.Main.Path == me.Main.Path
}

func sameContent(a, b string) (bool, error) {
	sum := func(p string) ([]byte, error) {
		f, err := os.Open(p)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		h := sha256.New()
		if _, err := io.Copy(h, f); err != nil {
			return nil, err
		}
		return h.Sum(nil), nil
	}
	x, err := sum(a)
	if err != nil {
		return false, err
	}
	y, err := sum(b)
	if err != nil {
		return false, err
	}
	return bytes.Equal(x, y), nil
}

func copyFile(from, to string) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(to, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o755)
	if err != nil {
		return err
	}
	_, err = io.Copy(out, in)
	if err == nil {
		err = out.Sync()
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	return err
}
