package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"strings"

	"git-remote-object-store/engine"
	"git-remote-object-store/remote"
	"git-remote-object-store/store"
)

// openMaintainer opens url for a verb only an engine that keeps packs has (cat, compact,
// gc).
func openMaintainer(ctx context.Context, verb, url string, stderr io.Writer) (*remote.Remote, engine.Maintainer, bool) {
	r, e, ok := openEngine(ctx, url, stderr)
	if !ok {
		return nil, nil, false
	}
	m, ok := e.(engine.Maintainer)
	if !ok {
		fmt.Fprintf(stderr, "fatal: %s works on packchain remotes; %s uses the %s engine, which keeps whole bundles (clone it instead)\n", verb, r.Loc.URL, r.Kind)
		return nil, nil, false
	}
	return r, m, true
}

func cmdCat(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) != 2 || !strings.Contains(args[1], ":") {
		fmt.Fprintln(stderr, "usage: git-remote-object-store cat <url> <ref>:<path>")
		return exitUsage
	}
	_, e, ok := openMaintainer(ctx, "cat", args[0], stderr)
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

func cmdCompact(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fl := flag.NewFlagSet("compact", flag.ContinueOnError)
	fl.SetOutput(stderr)
	maxPacks := fl.Int("max-packs", 1, "compact only when the manifest names more packs than this (0: always, dropping objects no ref reaches)")
	tmp := fl.String("tmp", "", "scratch directory for the packs being merged (default: the system's temp dir)")
	quiet := fl.Bool("q", false, "no progress")
	if err := fl.Parse(args); err != nil || fl.NArg() != 1 || *maxPacks < 0 {
		fmt.Fprintln(stderr, "usage: git-remote-object-store compact [--max-packs N] [--tmp DIR] [-q] <url>")
		return exitUsage
	}
	_, e, ok := openMaintainer(ctx, "compact", fl.Arg(0), stderr)
	if !ok {
		return exitFail
	}
	o := engine.CompactOptions{MaxPacks: *maxPacks, TmpDir: *tmp}
	if !*quiet {
		o.Progress = stderr
	}
	res, err := e.Compact(ctx, o)
	if err != nil {
		fmt.Fprintf(stderr, "fatal: %v\n", err)
		return exitFail
	}
	if res.Pack == "" {
		fmt.Fprintf(stdout, "nothing to compact: %d pack(s), at most %d wanted\n", res.Before, *maxPacks)
		return exitOK
	}
	fmt.Fprintf(stdout, "compacted %d packs into %s (%d objects, %d bytes); run gc after the grace period to delete the old ones\n",
		res.Before, res.Pack, res.Objects, res.Size)
	return exitOK
}

func cmdGC(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fl := flag.NewFlagSet("gc", flag.ContinueOnError)
	fl.SetOutput(stderr)
	grace := fl.Duration("grace", engine.DefaultGrace, "leave packs the manifest stopped naming for this long (a fetch may still read them)")
	dry := fl.Bool("dry-run", false, "list what would be deleted, delete nothing")
	if err := fl.Parse(args); err != nil || fl.NArg() != 1 || *grace < 0 {
		fmt.Fprintln(stderr, "usage: git-remote-object-store gc [--grace DURATION] [--dry-run] <url>")
		return exitUsage
	}
	r, e, ok := openMaintainer(ctx, "gc", fl.Arg(0), stderr)
	if !ok {
		return exitFail
	}
	items, err := e.GC(ctx, *grace, *dry)
	verb := "deleted"
	if *dry {
		verb = "would delete"
	}
	var total int64
	for _, it := range items {
		total += it.Bytes
		fmt.Fprintf(stdout, "%s %s (%d bytes): %s\n", verb, it.Name, it.Bytes, it.Reason)
	}
	fmt.Fprintf(stdout, "%s %d pack(s), %d bytes\n", verb, len(items), total)
	if err == nil {
		err = gcLeftovers(ctx, r.Store, *dry, stdout)
	}
	if err != nil {
		fmt.Fprintf(stderr, "fatal: %v\n", err)
		return exitFail
	}
	return exitOK
}

// gcLeftovers removes (with dry: lists) what interrupted uploads left on the remote
// (engine.SweepLeftovers), printing each.
func gcLeftovers(ctx context.Context, st store.Store, dry bool, stdout io.Writer) error {
	verb := "removed"
	if dry {
		verb = "would remove"
	}
	n := 0
	err := engine.SweepLeftovers(ctx, st, dry, func(g store.Garbage) {
		n++
		fmt.Fprintf(stdout, "%s %s\n", verb, g)
	})
	if n > 0 {
		fmt.Fprintf(stdout, "%s %d leftover(s) of interrupted uploads\n", verb, n)
	}
	return err
}
