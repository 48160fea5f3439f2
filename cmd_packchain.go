package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"git-remote-object-store/engine"
	"git-remote-object-store/packchain"
	"git-remote-object-store/remote"
	"git-remote-object-store/store"
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
	e, ok := openPackchain(ctx, "compact", fl.Arg(0), stderr)
	if !ok {
		return exitFail
	}
	var o engine.Options
	if !*quiet {
		o.Progress = stderr
	}
	res, err := e.Compact(ctx, *maxPacks, *tmp, o)
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
	grace := fl.Duration("grace", packchain.DefaultGrace, "leave packs the manifest stopped naming for this long (a fetch may still read them)")
	dry := fl.Bool("dry-run", false, "list what would be deleted, delete nothing")
	if err := fl.Parse(args); err != nil || fl.NArg() != 1 || *grace < 0 {
		fmt.Fprintln(stderr, "usage: git-remote-object-store gc [--grace DURATION] [--dry-run] <url>")
		return exitUsage
	}
	e, ok := openPackchain(ctx, "gc", fl.Arg(0), stderr)
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
		err = gcLeftovers(ctx, fl.Arg(0), *dry, stdout)
	}
	if err != nil {
		fmt.Fprintf(stderr, "fatal: %v\n", err)
		return exitFail
	}
	return exitOK
}

// gcLeftovers removes what interrupted uploads left below url's prefix more than
// leftoverAge ago (multipart uploads, uncommitted blocks, temporary files), printing each;
// with dry it only prints. Backends that cannot list leftovers are skipped silently.
func gcLeftovers(ctx context.Context, url string, dry bool, stdout io.Writer) error {
	loc, err := remote.Parse(url)
	if err != nil {
		return err
	}
	st, err := remote.OpenStore(ctx, loc)
	if err != nil {
		return err
	}
	j, gs, err := leftovers(ctx, store.Prefixed(st, loc.Prefix))
	if j == nil || err != nil {
		return err
	}
	verb := "removed"
	if dry {
		verb = "would remove"
	}
	var errs []error
	n := 0
	for _, g := range gs {
		if !dry {
			if err := j.RemoveGarbage(ctx, g); err != nil {
				errs = append(errs, err)
				continue
			}
		}
		n++
		fmt.Fprintf(stdout, "%s %s\n", verb, g)
	}
	if n > 0 {
		fmt.Fprintf(stdout, "%s %d leftover(s) of interrupted uploads\n", verb, n)
	}
	return errors.Join(errs...)
}
