package main

import (
	"context"
	"fmt"
	"io"
	"strings"

	"git-remote-object-store/bundle"
	"git-remote-object-store/engine"
	"git-remote-object-store/packchain"
	"git-remote-object-store/remote"
)

// manager is what the branch verbs need of either engine.
type manager interface {
	SetProtected(ctx context.Context, ref string, on bool) error
	DeleteRef(ctx context.Context, ref string) error
}

// lister is what ls needs of either engine.
type lister interface {
	Refs(ctx context.Context) ([]engine.RefInfo, string, error)
}

type managed interface {
	manager
	lister
}

// openManaged opens url for a management verb (no local repository needed).
func openManaged(ctx context.Context, url string, stderr io.Writer) (managed, bool) {
	r, err := remote.Open(ctx, url)
	if err != nil {
		fmt.Fprintf(stderr, "fatal: %v\n", err)
		return nil, false
	}
	if r.Engine == remote.EnginePackchain {
		return packchain.NewEngine(r.Store, nil, stderr), true
	}
	return bundle.NewEngine(r.Store, nil, bundle.Config{Warn: stderr}), true
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
	e, ok := openManaged(ctx, args[0], stderr)
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

func manageBranch(ctx context.Context, verb string, args []string, stdout, stderr io.Writer, do func(manager, string) error, done string) int {
	if len(args) != 2 {
		fmt.Fprintf(stderr, "usage: git-remote-object-store %s <url> <branch>\n", verb)
		return exitUsage
	}
	e, ok := openManaged(ctx, args[0], stderr)
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
	return manageBranch(ctx, "protect", args, stdout, stderr, func(e manager, ref string) error {
		return e.SetProtected(ctx, ref, true)
	}, "is now protected")
}

func cmdUnprotect(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return manageBranch(ctx, "unprotect", args, stdout, stderr, func(e manager, ref string) error {
		return e.SetProtected(ctx, ref, false)
	}, "is no longer protected")
}

func cmdDeleteBranch(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return manageBranch(ctx, "delete-branch", args, stdout, stderr, func(e manager, ref string) error {
		return e.DeleteRef(ctx, ref)
	}, "deleted")
}
