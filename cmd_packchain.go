package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"strings"

	"git-remote-object-store/packchain"
	"git-remote-object-store/remote"
)

// openPackchain opens url for a verb only the packchain engine has (cat, compact, gc).
func openPackchain(ctx context.Context, verb, url string, stderr io.Writer) (*packchain.Engine, bool) {
	r, err := remote.Open(ctx, url)
	if err != nil {
		fmt.Fprintf(stderr, "fatal: %v\n", err)
		return nil, false
	}
	if r.Engine != remote.EnginePackchain {
		fmt.Fprintf(stderr, "fatal: %s works on packchain remotes; %s uses the %s engine, which keeps whole bundles (clone it instead)\n", verb, r.Loc.URL, r.Engine)
		return nil, false
	}
	return packchain.NewEngine(r.Store, nil, stderr), true
}

func cmdCat(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) != 2 || !strings.Contains(args[1], ":") {
		fmt.Fprintln(stderr, "usage: git-remote-object-store cat <url> <ref>:<path>")
		return exitUsage
	}
	e, ok := openPackchain(ctx, "cat", args[0], stderr)
	if !ok {
		return exitFail
	}
	rev, path, _ := strings.Cut(args[1], ":")
	bw := bufio.NewWriterSize(stdout, 64<<10)
	err := e.Cat(ctx, rev, path, bw)
	if ferr := bw.Flush(); err == nil {
		err = ferr
	}
	if err != nil {
		fmt.Fprintf(stderr, "fatal: cat %s: %v\n", args[1], err)
		return exitFail
	}
	return exitOK
}
