package main

import (
	"context"
	"flag"
	"fmt"
	"io"

	"git-remote-object-store/gitpack"
	"git-remote-object-store/remote"
)

// cmdDoctor checks a remote end to end (remote.Doctor); --fix repairs what it safely can.
func cmdDoctor(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fl := flag.NewFlagSet("doctor", flag.ContinueOnError)
	fl.SetOutput(stderr)
	fix := fl.Bool("fix", false, "repair what can be repaired (duplicate bundles are moved aside, stale locks removed, HEAD reset, leftovers of interrupted uploads removed)")
	if err := fl.Parse(args); err != nil || fl.NArg() != 1 {
		fmt.Fprintln(stderr, "usage: git-remote-object-store doctor [--fix] <url>")
		return exitUsage
	}
	repo := localRepo()
	if repo != nil {
		defer repo.Close()
	}
	if !remote.Doctor(ctx, fl.Arg(0), remote.DoctorOptions{Fix: *fix, Repo: repo}, stdout) {
		return exitFail
	}
	return exitOK
}

// localRepo is the repository doctor runs in, or nil outside one.
func localRepo() *gitpack.Repo {
	dir, err := gitpack.Discover(".")
	if err != nil {
		return nil
	}
	repo, err := gitpack.Open(dir)
	if err != nil {
		return nil
	}
	return repo
}
