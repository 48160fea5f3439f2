package remote

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"git-remote-object-store/engine"
	"git-remote-object-store/gitpack"
	"git-remote-object-store/store"
)

// DoctorOptions tune Doctor.
type DoctorOptions struct {
	Fix bool // repair what can be repaired safely
	// Repo is the clone doctor runs in, nil outside one: with it, --fix can write a pack
	// missing from a packchain remote again from the local objects.
	Repo *gitpack.Repo
}

// Doctor checks the remote at url end to end, in the order a user would debug it: URL,
// credentials and reachability, permissions (a probe object is written, read and
// deleted), clock skew against the store, whether the store honours conditional writes
// (engine.CheckConditionalWrites), the engine, and damage to the layout, including
// leftovers of interrupted uploads. It prints one line per check to out ("ok   …",
// "FAIL …", "note …", and "problem: …" per finding) and reports whether all passed; with
// o.Fix it repairs what it can and reports whether every repair worked. The store is
// opened once: credentials are resolved once.
func Doctor(ctx context.Context, url string, o DoctorOptions, out io.Writer) bool {
	say := func(ok bool, format string, a ...any) {
		mark := "ok  "
		if !ok {
			mark = "FAIL"
		}
		fmt.Fprintf(out, "%s %s\n", mark, fmt.Sprintf(format, a...))
	}
	loc, err := Parse(url)
	if err != nil {
		say(false, "url: %v", err)
		return false
	}
	say(true, "url: %s backend, bucket %q, prefix %q", loc.Backend, cmp.Or(loc.Bucket, loc.Dir), loc.Prefix)
	st, err := OpenStore(ctx, loc)
	if err != nil {
		say(false, "credentials: %v", err)
		return false
	}
	if err := st.List(ctx, "", func(store.Info) error { return store.ErrStopList }); err != nil && err != store.ErrStopList {
		say(false, "reachability and list permission: %v", err)
		return false
	}
	say(true, "reachability and list permission")
	now, err := probe(ctx, st)
	if err != nil {
		say(false, "write/read/delete permissions: %v", err)
		return false
	}
	say(true, "write, read and delete permissions (probe object written and removed)")
	skew := time.Since(now)
	say(skew < time.Minute && skew > -time.Minute, "clock: this machine is %s from the store's clock", skew.Round(time.Second))
	if err := engine.CheckConditionalWrites(ctx, st); err != nil {
		say(false, "conditional writes: %v", err)
		return false
	}
	say(true, "conditional writes: If-None-Match and If-Match are honoured (locks and compare-and-swap are safe)")
	r, err := New(ctx, loc, st)
	if err != nil {
		say(false, "engine: %v", err)
		return false
	}
	say(true, "engine: %s", r.Kind)
	e, err := r.Engine(o.Repo, io.Discard)
	if err != nil {
		say(false, "engine: %v", err)
		return false
	}
	d, err := e.Doctor(ctx, engine.DoctorOptions{Now: time.Now().Add(-skew)})
	if err != nil {
		say(false, "layout: %v", err)
		return false
	}
	for _, n := range d.Notes {
		fmt.Fprintf(out, "note %s\n", n)
	}
	// A pair like release and release/1.0 (an older client let it in) is damage neither
	// engine's own doctor sees: each ref on its own is fine.
	refs, _, err := e.Refs(ctx)
	if err != nil {
		say(false, "refs: %v", err)
		return false
	}
	d.Findings = append(d.Findings, engine.ConflictFindings(refs)...)
	if loc.Zip {
		// git never calls the helper for an up-to-date ref, so a remote that gained
		// zip=1 after its refs were pushed lacks their mirrors until doctor --fix (or the
		// next push that changes something) writes them.
		zips, err := engine.ZipFindings(ctx, st, refs, o.Repo)
		if err != nil {
			say(false, "zip mirrors: %v", err)
			return false
		}
		if len(zips) == 0 {
			say(true, "zip mirrors: every ref has its %s", engine.ZipName)
		}
		d.Findings = append(d.Findings, zips...)
	}
	left, okNote, err := engine.LeftoverFindings(ctx, st)
	switch {
	case err != nil:
		fmt.Fprintf(out, "note leftovers of interrupted uploads: cannot list them: %v\n", err)
	case okNote != "":
		say(true, "%s", okNote)
	}
	findings := append(d.Findings, left...)
	if len(findings) == 0 {
		say(true, "layout: no damage found")
		return true
	}
	if failed := engine.Report(ctx, out, findings, o.Fix); failed > 0 {
		if !o.Fix && slices.ContainsFunc(findings, func(f engine.Finding) bool { return f.Fix != nil }) {
			fmt.Fprintln(out, "run again with --fix to repair")
		}
		return false
	}
	return true
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
