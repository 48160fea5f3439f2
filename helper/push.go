package helper

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"git-remote-object-store/engine"
	"git-remote-object-store/gitpack/object"
)

func (s *session) push(ctx context.Context, first string) error {
	lines, err := s.batch(first, "push")
	if err != nil {
		return err
	}
	var updates []engine.Update
	var early []engine.Result // refused before the engine sees them
	for _, l := range lines {
		spec := strings.TrimPrefix(l, "push ")
		u := engine.Update{}
		if strings.HasPrefix(spec, "+") {
			u.Force, spec = true, spec[1:]
		}
		src, dst, ok := strings.Cut(spec, ":")
		if !ok || dst == "" {
			return fmt.Errorf("%w: push %q", ErrProtocol, clip(spec))
		}
		u.Dst = dst
		if src != "" {
			h, err := s.cfg.Resolve(src)
			if err != nil {
				early = append(early, engine.Result{Dst: dst, Err: fmt.Errorf("%s: %w", src, err)})
				continue
			}
			u.Src = h
		}
		if expect, ok := s.cas[dst]; ok {
			u.HasExpect = true
			if expect != "" {
				h, err := object.ParseHash(expect)
				if err != nil {
					early = append(early, engine.Result{Dst: dst, Err: fmt.Errorf("--force-with-lease value %q: %w", expect, err)})
					continue
				}
				u.Expect = h
			}
		}
		updates = append(updates, u)
	}
	var results []engine.Result
	if len(updates) > 0 && !(s.opts.Atomic && len(early) > 0) {
		e, err := s.engine(ctx)
		if err != nil {
			return err
		}
		if results, err = e.Push(ctx, updates, s.opts); err != nil {
			return err
		}
	} else {
		for _, u := range updates {
			results = append(results, engine.Result{Dst: u.Dst, Err: engine.ErrAtomicFailed})
		}
	}
	for _, r := range append(early, results...) {
		s.out.WriteString(s.status(r) + "\n")
	}
	s.out.WriteString("\n")
	return nil
}

// reasons are the refusal words git's transport-helper.c maps to its own statuses.
var reasons = []struct {
	err  error
	word string
}{
	{engine.ErrNonFastForward, "non-fast-forward"},
	{engine.ErrFetchFirst, "fetch first"},
	{engine.ErrStaleInfo, "stale info"},
	{engine.ErrAlreadyExists, "already exists"},
}

// status renders one result. A refusal git knows is sent as its bare word (git prints
// its own hint); anything else goes as text git shows as "remote rejected (…)". Details
// beyond the word go to stderr so the user still sees them.
func (s *session) status(r engine.Result) string {
	if r.Err == nil {
		if r.Forced {
			return "ok " + r.Dst + " forced update"
		}
		return "ok " + r.Dst
	}
	for _, x := range reasons {
		if errors.Is(r.Err, x.err) {
			if r.Err.Error() != x.err.Error() {
				fmt.Fprintf(s.cfg.Stderr, "warning: %s: %s\n", r.Dst, oneLine(r.Err.Error()))
			}
			return "error " + r.Dst + " " + x.word
		}
	}
	return "error " + r.Dst + " " + quote(oneLine(r.Err.Error()))
}

// quote makes free text safe as the last field of a status line: git unquotes a
// C-style quoted string, and takes an unquoted one verbatim to the end of the line.
func quote(s string) string {
	if !strings.ContainsAny(s, "\"\\") {
		return s
	}
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`)
	return `"` + r.Replace(s) + `"`
}
