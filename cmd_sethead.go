package main

import (
	"context"
	"io"

	"git-remote-object-store/engine"
)

// cmdSetHead chooses the remote's default branch: what its HEAD names, so what a clone
// checks out.
func cmdSetHead(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	pos, code, ok := newCmdLine("set-head", stdout, stderr).Parse(args, "<url>", "<branch>")
	if !ok {
		return code
	}
	return manageBranch(ctx, pos, stdout, stderr, func(e engine.Manager, ref string) error {
		return e.SetHead(ctx, ref)
	}, "is now the remote's default branch")
}
