package main

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"git-remote-object-store/bundle"
	"git-remote-object-store/engine"
	"git-remote-object-store/gitpack"
	"git-remote-object-store/packchain"
	"git-remote-object-store/reflock"
	"git-remote-object-store/remote"
	"git-remote-object-store/store"
)

// cmdDoctor checks a remote end to end: URL, credentials and reachability, permissions
// (a probe object is written, read and deleted), clock skew against the store, whether
// the store honours conditional writes (engine.CheckConditionalWrites), the engine, and
// damage to the layout; --fix repairs what it safely can.
func cmdDoctor(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fl := flag.NewFlagSet("doctor", flag.ContinueOnError)
	fl.SetOutput(stderr)
	fix := fl.Bool("fix", false, "repair what can be repaired (duplicate bundles are moved aside, stale locks removed, HEAD reset, leftovers of interrupted uploads removed)")
	if err := fl.Parse(args); err != nil || fl.NArg() != 1 {
		fmt.Fprintln(stderr, "usage: git-remote-object-store doctor [--fix] <url>")
		return exitUsage
	}
	url := fl.Arg(0)
	say := func(ok bool, format string, a ...any) {
		mark := "ok  "
		if !ok {
			mark = "FAIL"
		}
		fmt.Fprintf(stdout, "%s %s\n", mark, fmt.Sprintf(format, a...))
	}
	loc, err := remote.Parse(url)
	if err != nil {
		say(false, "url: %v", err)
		return exitFail
	}
	say(true, "url: %s backend, bucket %q, prefix %q", loc.Backend, cmp.Or(loc.Bucket, loc.Dir), loc.Prefix)
	st, err := remote.OpenStore(ctx, loc)
	if err != nil {
		say(false, "credentials: %v", err)
		return exitFail
	}
	st = store.Prefixed(st, loc.Prefix)
	if err := st.List(ctx, "", func(store.Info) error { return store.ErrStopList }); err != nil && err != store.ErrStopList {
		say(false, "reachability and list permission: %v", err)
		return exitFail
	}
	say(true, "reachability and list permission")
	now, err := probe(ctx, st)
	if err != nil {
		say(false, "write/read/delete permissions: %v", err)
		return exitFail
	}
	say(true, "write, read and delete permissions (probe object written and removed)")
	skew := time.Since(now)
	say(skew < time.Minute && skew > -time.Minute, "clock: this machine is %s from the store's clock", skew.Round(time.Second))
	if err := engine.CheckConditionalWrites(ctx, st); err != nil {
		say(false, "conditional writes: %v", err)
		return exitFail
	}
	say(true, "conditional writes: If-None-Match and If-Match are honoured (locks and compare-and-swap are safe)")
	r, err := remote.Open(ctx, url)
	if err != nil {
		say(false, "engine: %v", err)
		return exitFail
	}
	say(true, "engine: %s", r.Engine)
	var findings []engine.Finding
	var notes []string
	if r.Engine == remote.EnginePackchain {
		// Inside a clone, --fix can write a missing pack again from the local objects.
		findings, notes, err = packchain.NewEngine(r.Store, localRepo(), io.Discard).Doctor(ctx, "")
	} else {
		e := bundle.NewEngine(r.Store, nil, bundle.Config{Warn: io.Discard})
		findings, err = e.Doctor(ctx, time.Now().Add(-skew), reflock.TTLFromEnv())
	}
	if err != nil {
		say(false, "layout: %v", err)
		return exitFail
	}
	for _, n := range notes {
		fmt.Fprintf(stdout, "note %s\n", n)
	}
	findings = append(findings, leftoverFindings(ctx, st, stdout)...)
	if len(findings) == 0 {
		say(true, "layout: no damage found")
		return exitOK
	}
	if failed := engine.Report(ctx, stdout, findings, *fix); failed > 0 {
		if !*fix {
			fmt.Fprintln(stdout, "run again with --fix to repair")
		}
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

// probe writes, reads and deletes a small object; it returns the store's clock (the
// probe's Last-Modified).
func probe(ctx context.Context, st store.Store) (time.Time, error) {
	b := make([]byte, 8)
	rand.Read(b)
	key := ".doctor-probe-" + hex.EncodeToString(b)
	if _, err := st.Put(ctx, key, strings.NewReader("probe"), 5, store.Cond{IfNoneMatch: true}); err != nil {
		return time.Time{}, err
	}
	defer st.Delete(context.WithoutCancel(ctx), key)
	info, err := st.Head(ctx, key)
	if err != nil {
		return time.Time{}, err
	}
	rc, _, err := st.Get(ctx, key, nil)
	if err != nil {
		return time.Time{}, err
	}
	data, err := io.ReadAll(rc)
	rc.Close()
	if err != nil || string(data) != "probe" {
		return time.Time{}, fmt.Errorf("the probe read back as %q (%v)", data, err)
	}
	if err := st.Delete(ctx, key); err != nil {
		return time.Time{}, err
	}
	return info.LastModified, nil
}

// leftoverAge is how long an upload must have been silent before doctor and gc call what
// it left behind abandoned: far beyond any real upload, so a running push is never hit.
const leftoverAge = 24 * time.Hour

// leftovers lists what interrupted uploads left below st's prefix more than leftoverAge
// ago (store.Janitor); j is nil when the backend cannot tell.
func leftovers(ctx context.Context, st store.Store) (j store.Janitor, gs []store.Garbage, err error) {
	j, ok := st.(store.Janitor)
	if !ok {
		return nil, nil, nil
	}
	err = j.ListGarbage(ctx, "", time.Now().Add(-leftoverAge), func(g store.Garbage) error {
		gs = append(gs, g)
		return nil
	})
	return j, gs, err
}

// leftoverFindings reports each leftover as a doctor finding whose fix removes it. Not
// being allowed to list them is a note, not a failure: it is housekeeping.
func leftoverFindings(ctx context.Context, st store.Store, stdout io.Writer) []engine.Finding {
	j, gs, err := leftovers(ctx, st)
	if j == nil {
		return nil
	}
	if err != nil {
		fmt.Fprintf(stdout, "note leftovers of interrupted uploads: cannot list them: %v\n", err)
		return nil
	}
	if len(gs) == 0 {
		fmt.Fprintln(stdout, "ok   leftovers of interrupted uploads: none older than a day")
		return nil
	}
	var findings []engine.Finding
	for _, g := range gs {
		findings = append(findings, engine.Finding{
			What: fmt.Sprintf("abandoned leftover of an interrupted upload: %s", g),
			Fix:  func(ctx context.Context) error { return j.RemoveGarbage(ctx, g) },
		})
	}
	return findings
}
