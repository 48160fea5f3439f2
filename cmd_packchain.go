package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	"git-remote-object-store/engine"
	"git-remote-object-store/internal/redact"
	"git-remote-object-store/remote"
	"git-remote-object-store/store"
)

// openMaintainer opens the remote a verb's <url> argument names, for a verb only an
// engine that keeps packs has (cat, compact, gc). When ok is false the verb stops with
// code, the reason already printed.
func openMaintainer(ctx context.Context, verb, arg string, stdout, stderr io.Writer) (*remote.Remote, engine.Maintainer, int, bool) {
	r, e, ok := openEngine(ctx, arg, stderr)
	if !ok {
		return nil, nil, exitFail, false
	}
	if m, ok := e.(engine.Maintainer); ok {
		return r, m, exitOK, true
	}
	if verb == "cat" {
		fmt.Fprintf(stderr, "fatal: cat works on packchain remotes; %s uses the %s engine, which keeps whole bundles (clone it instead)\n", arg, r.Kind)
		return nil, nil, exitFail, false
	}
	// compact and gc tidy packs. A bundle remote has none: each push replaces its ref's
	// one bundle. Nothing to do is success, so a job that runs gc over every remote does
	// not fail on the bundle ones.
	fmt.Fprintf(stdout, "nothing to do: %s uses the %s engine, which keeps one bundle per ref and needs no %s", arg, r.Kind, verb)
	if verb == "gc" {
		fmt.Fprint(stdout, " (doctor --fix removes leftovers of interrupted uploads)")
	}
	fmt.Fprintln(stdout)
	return nil, nil, exitOK, false
}

func cmdCat(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	cl := newCmdLine("cat", stdout, stderr)
	pos, code, ok := cl.Parse(args, "<url>", "<ref>:<path>")
	if !ok {
		return code
	}
	rev, path, found := strings.Cut(pos[1], ":")
	if !found {
		return cl.Fail("'%s' is not <ref>:<path> (like main:README.md)", pos[1])
	}
	_, e, code, ok := openMaintainer(ctx, "cat", pos[0], stdout, stderr)
	if !ok {
		return code
	}
	// The file's bytes are the user's data and reach stdout unchanged (redact.Raw); the
	// messages still go through the redactor.
	bw := bufio.NewWriterSize(redact.Raw(stdout), 64<<10)
	err := e.Cat(ctx, rev, path, bw)
	if ferr := bw.Flush(); err == nil {
		err = ferr
	}
	if err != nil {
		fmt.Fprintf(stderr, "fatal: %s\n", sayOnce(pos[1], err))
		return exitFail
	}
	return exitOK
}

func cmdCompact(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	cl := newCmdLine("compact", stdout, stderr)
	maxPacks := cl.Int("max-packs", "N", 1, "compact only when the manifest names more packs than N (default 1; 0: always, dropping objects no ref reaches)")
	tmp := cl.String("tmp", "DIR", "", "scratch directory for the packs being merged (default: the system's temp dir)")
	quiet := cl.Bool("q", "no progress")
	pos, code, ok := cl.Parse(args, "<url>")
	if !ok {
		return code
	}
	if *maxPacks < 0 {
		return cl.Fail("option 'max-packs' cannot be negative")
	}
	_, e, code, ok := openMaintainer(ctx, "compact", pos[0], stdout, stderr)
	if !ok {
		return code
	}
	o := engine.CompactOptions{MaxPacks: *maxPacks, TmpDir: *tmp, Progress: progressTo(stderr, *quiet)}
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
	cl := newCmdLine("gc", stdout, stderr)
	grace := cl.Duration("grace", "DURATION", engine.DefaultGrace, "leave packs the manifest stopped naming for this long, as a fetch may still read them (default 24h)")
	dry := cl.Bool("dry-run", "list what would be deleted, delete nothing")
	quiet := cl.Bool("q", "no progress")
	pos, code, ok := cl.Parse(args, "<url>")
	if !ok {
		return code
	}
	if *grace < 0 {
		return cl.Fail("option 'grace' cannot be negative")
	}
	r, e, code, ok := openMaintainer(ctx, "gc", pos[0], stdout, stderr)
	if !ok {
		return code
	}
	items, err := e.GC(engine.WithProgress(ctx, progressTo(stderr, *quiet)), *grace, *dry)
	verb := "deleted"
	if *dry {
		verb = "would delete"
	}
	var total int64
	for _, it := range items {
		total += it.Bytes
		fmt.Fprintf(stdout, "%s %s (%d bytes): %s\n", verb, it.Name, it.Bytes, it.Reason)
	}
	if err == nil || len(items) > 0 { // a refused gc (a grace too short) deleted nothing: no tally
		fmt.Fprintf(stdout, "%s %d pack(s), %d bytes\n", verb, len(items), total)
	}
	if err == nil {
		err = gcLeftovers(ctx, r.Store, *dry, stdout)
	}
	if err != nil {
		fmt.Fprintf(stderr, "fatal: %v\n", err)
		return exitFail
	}
	return exitOK
}

// progressTo is where a verb's progress goes, by git's rule for its own commands: to
// stderr when that is a terminal and -q was not given, else nowhere (a pipe or a log
// gets no progress at all). stderr is the redacting wrapper main puts around the
// process's stderr; what it wraps says whether that is a terminal.
func progressTo(stderr io.Writer, quiet bool) io.Writer {
	if quiet {
		return nil
	}
	if f, ok := redact.Raw(stderr).(*os.File); !ok || !engine.IsTerminal(f) {
		return nil
	}
	return engine.TerminalWriter(stderr, true)
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
