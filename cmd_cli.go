package main

import (
	"context"
	"fmt"
	"io"
	"os"

	"git-remote-object-store/store"
)

// verb is one management verb. args is its usage after the verb's name; the top-level
// help, `<verb> --help` and every usage error print it (cmd_flags.go), so it must name
// each option the verb accepts.
type verb struct {
	name, args, help string
	run              func(ctx context.Context, args []string, stdout, stderr io.Writer) int
}

func verbs() []verb {
	return append([]verb{
		{"install", "[--bin-dir DIR] [--dry-run]", "link git-remote-<scheme> helpers and git-object-store next to this binary (or into DIR)", cmdInstall},
		{"doctor", "[--fix] <url>", "check credentials, permissions, clock, engine and layout; --fix repairs", cmdDoctor},
		{"ls", "<url>", "list the remote's refs, marking protected ones", cmdLs},
		{"protect", "[--allow-missing] <url> <branch>", "refuse deletes and non-fast-forward pushes of a branch", cmdProtect},
		{"unprotect", "<url> <branch>", "lift a branch's protection", cmdUnprotect},
		{"set-head", "<url> <branch>", "make a branch the remote's default (what HEAD names and a clone checks out)", cmdSetHead},
		{"delete-branch", "[--force] <url> <branch>", "delete a branch on the remote (refused when protected, and for the default branch without --force)", cmdDeleteBranch},
		{"compact", "[--max-packs N] [--tmp DIR] [-q] <url>", "merge a packchain remote's packs into one of what its refs reach", cmdCompact},
		{"gc", "[--grace DURATION] [--dry-run] [-q] <url>", "delete packs a packchain remote no longer names, once older than the grace (24h)", cmdGC},
		{"cat", "<url> <ref>:<path>", "print one file (or list a directory) at a ref without cloning (packchain)", cmdCat},
		{"version", "", "print the version", cmdVersion},
		{"verify", "--key FILE [--principal P] <sums> <sig>", "check a release: the SSH signature (sig) of SHA256SUMS (sums) and every file it lists", cmdVerify},
	}, lfsVerbs()...)
}

func runCLI(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "help" || args[0] == "--help" || args[0] == "-h" {
		usage(stdout)
		if len(args) == 0 {
			return exitUsage
		}
		return exitOK
	}
	for _, v := range verbs() {
		if v.name == args[0] {
			code := v.run(ctx, args[1:], stdout, stderr)
			store.WriteTrafficSummary(stderr, os.Getenv) // the request trace's totals, at verbose ≥ 1
			return code
		}
	}
	fmt.Fprintf(stderr, "git-remote-object-store: unknown verb %q\n\n", args[0])
	usage(stderr)
	return exitUsage
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: git-remote-object-store <verb> [args]   (also: git object-store <verb>)")
	fmt.Fprintln(w, "\nAs git-remote-<scheme> it is git's remote helper for s3+https://, s3+http://,")
	fmt.Fprintln(w, "az+https://, az+http://, fs+file:// and s3:// URLs.\n\nverbs:")
	width := 0
	for _, v := range verbs() {
		width = max(width, len(v.args))
	}
	for _, v := range verbs() {
		fmt.Fprintf(w, "  %-14s %-*s  %s\n", v.name, width, v.args, v.help)
	}
	fmt.Fprintf(w, "\n%s\n", urlHelp)
	fmt.Fprintln(w, "`git-remote-object-store <verb> --help` describes a verb and its options.")
}

func cmdVersion(_ context.Context, args []string, stdout, stderr io.Writer) int {
	cl := newCmdLine("version", stdout, stderr)
	if _, code, ok := cl.Parse(args); !ok {
		return code
	}
	fmt.Fprint(stdout, versionText())
	return exitOK
}
