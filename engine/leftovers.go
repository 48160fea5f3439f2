package engine

import (
	"context"
	"errors"
	"fmt"
	"time"

	"git-remote-object-store/store"
)

// LeftoverAge is how long an upload must have been silent before doctor and gc call what
// it left behind abandoned: far beyond any real upload, so a running push is never hit.
const LeftoverAge = 24 * time.Hour

// listLeftovers lists what interrupted uploads left in st more than LeftoverAge ago
// (store.Janitor); j is nil when the backend cannot tell.
func listLeftovers(ctx context.Context, st store.Store) (j store.Janitor, gs []store.Garbage, err error) {
	j, ok := store.JanitorOf(st)
	if !ok {
		return nil, nil, nil
	}
	err = j.ListGarbage(ctx, "", time.Now().Add(-LeftoverAge), func(g store.Garbage) error {
		gs = append(gs, g)
		return nil
	})
	return j, gs, err
}

// LeftoverFindings reports each abandoned leftover in st as a doctor finding whose fix
// removes it, and a note to print when there is something to say that is not a problem
// (none found; cannot list them, which is housekeeping, not a failure). A backend that
// cannot list leftovers yields neither.
func LeftoverFindings(ctx context.Context, st store.Store) (findings []Finding, okNote string, err error) {
	j, gs, err := listLeftovers(ctx, st)
	if j == nil || err != nil {
		return nil, "", err
	}
	if len(gs) == 0 {
		return nil, "leftovers of interrupted uploads: none older than a day", nil
	}
	for _, g := range gs {
		findings = append(findings, Finding{
			What: fmt.Sprintf("abandoned leftover of an interrupted upload: %s", g),
			Fix:  func(ctx context.Context) error { return j.RemoveGarbage(ctx, g) },
		})
	}
	return findings, "", nil
}

// SweepLeftovers removes what interrupted uploads left in st more than LeftoverAge ago
// (multipart uploads, uncommitted blocks, temporary files), calling done for each one
// removed; with dry it removes nothing and calls done for each it would remove. Backends
// that cannot list leftovers are skipped silently.
func SweepLeftovers(ctx context.Context, st store.Store, dry bool, done func(store.Garbage)) error {
	j, gs, err := listLeftovers(ctx, st)
	if j == nil || err != nil {
		return err
	}
	var errs []error
	for _, g := range gs {
		if !dry {
			if err := j.RemoveGarbage(ctx, g); err != nil {
				errs = append(errs, err)
				continue
			}
		}
		done(g)
	}
	return errors.Join(errs...)
}
