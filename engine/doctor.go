package engine

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
)

// Finding is one problem doctor saw in a remote's layout, with what --fix does about it.
type Finding struct {
	What string
	Fix  func(ctx context.Context) error // nil: nothing to fix automatically
}

// Report prints findings and, with fix, repairs them; it returns how many remain.
func Report(ctx context.Context, w io.Writer, findings []Finding, fix bool) (failed int) {
	for _, f := range findings {
		fmt.Fprintf(w, "problem: %s\n", f.What)
		if fix && f.Fix != nil {
			if err := f.Fix(ctx); err != nil {
				fmt.Fprintf(w, "  fix failed: %v\n", err)
				failed++
			} else {
				fmt.Fprintln(w, "  fixed")
			}
		} else {
			if f.Fix == nil {
				fmt.Fprintln(w, "  (no automatic fix)")
			}
			failed++
		}
	}
	return failed
}

// PickHead chooses the branch a remote's HEAD should name among sorted ref names: main,
// then master, then the first branch, then the first ref.
func PickHead(refs []string) string {
	for _, want := range []string{"refs/heads/main", "refs/heads/master"} {
		if slices.Contains(refs, want) {
			return want
		}
	}
	for _, r := range refs {
		if strings.HasPrefix(r, "refs/heads/") {
			return r
		}
	}
	if len(refs) > 0 {
		return refs[0]
	}
	return ""
}
