package main

import (
	"context"
	"fmt"
	"io"
	"strings"

	"git-remote-object-store/engine"
	"git-remote-object-store/remote"
)

// openEngine opens url for a verb that needs no local repository.
func openEngine(ctx context.Context, url string, stderr io.Writer) (*remote.Remote, engine.Engine, bool) {
	r, err := remote.Open(ctx, url)
	if err == nil {
		var e engine.Engine
		if e, err = r.Engine(nil, stderr); err == nil {
			return r, e, true
		}
	}
	fmt.Fprintf(stderr, "fatal: %v\n", err)
	return nil, nil, false
}

func branchRef(name string) string {
	if strings.HasPrefix(name, "refs/") {
		return name
	}
	return "refs/heads/" + name
}

func cmdLs(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) != 1 {
		fmt.Fprintln(stderr, "usage: git-remote-object-store ls <url>")
		return exitUsage
	}
	_, e, ok := openEngine(ctx, args[0], stderr)
	if !ok {
		return exitFail
	}
	refs, head, err := e.Refs(ctx)
	if err != nil {
		fmt.Fprintf(stderr, "fatal: %v\n", err)
		return exitFail
	}
	for _, r := range refs {
		mark := " "
		if r.Protected {
			mark = "*"
		}
		hash := r.Hash
		if hash == "" {
			hash = "(no bundle)"
		}
		if r.Name == head {
			hash += " (HEAD)"
		}
		fmt.Fprintf(stdout, "%s %s %s\n", mark, r.Name, hash)
	}
	return exitOK
}

func manageBranch(ctx context.Context, verb string, args []string, stdout, stderr io.Writer, do func(engine.Manager, string) error, done string) int {
	if len(args) != 2 {
		fmt.Fprintf(stderr, "usage: git-remote-object-store %s <url> <branch>\n", verb)
		return exitUsage
	}
	_, e, ok := openEngine(ctx, args[0], stderr)
	if !ok {
		return exitFail
	}
	ref := branchRef(args[1])
	if err := do(e, ref); err != nil {
		fmt.Fprintf(stderr, "fatal: %s %s: %v\n", verb, ref, err)
		return exitFail
	}
	fmt.Fprintf(stdout, "%s %s\n", ref, done)
	return exitOK
}

func cmdProtect(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return manageBranch(ctx, "protect", args, stdout, stderr, func(e engine.Manager, ref string) error {
		return e.SetProtected(ctx, ref, true)
	}, "is now protected")
}

func cmdUnprotect(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return manageBranch(ctx, "unprotect", args, stdout, stderr, func(e engine.Manager, ref string) error {
		return e.SetProtected(ctx, ref, false)
	}, "is no longer protected")
}

func cmdDeleteBranch(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return manageBranch(ctx, "delete-branch", args, stdout, stderr, func(e engine.Manager, ref string) error {
		return e.DeleteRef(ctx, ref)
	}, "deleted")
}
