package main

import (
	"context"
	"fmt"
	"io"

	"git-remote-object-store/gitpack"
	"git-remote-object-store/remote"
)

// cmdDoctor checks a remote end to end (remote.Doctor); --fix repairs what it safely can.
func cmdDoctor(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	cl := newCmdLine("doctor", stdout, stderr)
	fix := cl.Bool("fix", "repair what can be repaired (duplicate bundles are moved aside, stale locks removed, HEAD reset, leftovers of interrupted uploads removed, missing zip mirrors written from this clone)")
	pos, code, ok := cl.Parse(args, "<url>")
	if !ok {
		return code
	}
	url, err := resolveURL(pos[0])
	if err != nil {
		fmt.Fprintf(stderr, "fatal: %v\n", err)
		return exitFail
	}
	repo := localRepo()
	if repo != nil {
		defer repo.Close()
	}
	if !remote.Doctor(ctx, url, remote.DoctorOptions{Fix: *fix, Repo: repo}, stdout) {
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
