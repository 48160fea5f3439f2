// Package engine is the vocabulary shared by the two storage engines (bundle, packchain),
// the remote package that chooses between them, and the helper that drives them: refs as
// a remote lists them, ref updates as git pushes them, per-ref results, and the rejection
// reasons git understands.
//
// It sits below remote so that the engines can speak remote.Engine's types without
// importing remote (which imports them).
package engine

import (
	"context"
	"errors"
	"fmt"
	"io"

	"git-remote-object-store/gitpack"
	"git-remote-object-store/gitpack/object"
)

// Rejection reasons. An engine reports a refused ref update with an error wrapping one of
// these; the helper turns it into the exact "error <ref> <why>" text git maps to a status.
var (
	ErrNonFastForward = errors.New("non-fast-forward")
	ErrFetchFirst     = errors.New("fetch first")    // the remote moved and has work we lack
	ErrStaleInfo      = errors.New("stale info")     // --force-with-lease expectation failed
	ErrAlreadyExists  = errors.New("already exists") // a tag may not be moved without force
	ErrProtected      = errors.New("protected branch")
	ErrAtomicFailed   = errors.New("atomic push failed") // another ref of an --atomic push was refused
)

// Ref is one advertised ref.
type Ref struct {
	Name string      // full name, e.g. refs/heads/main, or HEAD
	Hash object.Hash // zero for a symref
	// Symref names the target when this ref is symbolic (HEAD → refs/heads/main).
	Symref string
}

// Update is one ref update of a push.
type Update struct {
	Src   object.Hash // the new value; zero means delete Dst
	Dst   string      // full remote ref name
	Force bool        // "+src:dst"
	// Expect, when HasExpect, is --force-with-lease's expectation: the remote ref must
	// currently equal Expect (a zero Expect means "must not exist").
	Expect    object.Hash
	HasExpect bool
}

// Delete reports whether this update removes Dst.
func (u Update) Delete() bool { return u.Src.IsZero() }

// Result is the outcome of one Update. Err is nil on success; otherwise it wraps one of
// the rejection reasons above, or is some other failure shown to the user as is.
type Result struct {
	Dst    string
	Err    error
	Forced bool // a non-fast-forward update that was accepted because of Force
}

// Options carry what git told the helper with "option" that an engine acts on.
type Options struct {
	// Progress receives progress lines in git's style ("Writing objects:  42% (…)\r");
	// nil means git did not ask for progress, so print nothing.
	Progress  io.Writer
	Verbosity int  // 0 quiet … 2 chatty; warnings are always printed
	Cloning   bool // fetch is the first fetch of a "git clone"
	DryRun    bool // push: decide and report every ref, change nothing
	Atomic    bool // push: all updates land or none does (only when Caps.Atomic)
	// Deepen: fetch a shallow history (--depth, --deepen, --shallow-since,
	// --shallow-exclude, --unshallow); the zero value fetches whole histories.
	Deepen gitpack.Deepen
	// Connectivity, when set, asks a fetch to find out whether what it brings is one
	// pack that is self-contained and connected, and to report it there (git's
	// check-connectivity, which git asks of a clone's fetch).
	Connectivity *Connectivity
}

// Connectivity is what a fetch asked for it found (see Options.Connectivity).
type Connectivity struct {
	// Kept is the .keep file of the one pack the fetch installed, when that pack was
	// found self-contained and connected; "" otherwise. Whoever is told of it removes it
	// once the refs are written.
	Kept string
}

// Caps says what an engine can honour, so the helper answers "option" truthfully.
type Caps struct {
	Atomic bool
}

// Lister is the read side every engine has.
type Lister interface {
	List(ctx context.Context, forPush bool) ([]Ref, error)
}

// RefInfo is one ref as the management verbs list it.
type RefInfo struct {
	Name      string
	Hash      string // "" when only a protection marker exists
	Protected bool
}

// ErrObjectFormat: the remote and the local repository use different hash functions
// (sha1 and sha256). git cannot move objects between them, so neither fetch nor push may
// start: a push would leave a remote that cannot be cloned back.
var ErrObjectFormat = errors.New("mismatched object formats")

// CheckFormat refuses a transfer between a remote of format remote and a local repository
// of format local; a zero remote format (an empty remote) goes with anything.
func CheckFormat(remote, local object.Format) error {
	if remote == 0 || remote == local {
		return nil
	}
	return fmt.Errorf("%w: the remote is %s, this repository %s (clone the remote into a new repository, or push to an empty remote)", ErrObjectFormat, remote, local)
}

// CommitFetch installs what a fetch staged in in: everything, or, for a shallow fetch or
// any fetch into a shallow repository, just the history the shallow boundary lets in
// (and the boundary is updated).
func CommitFetch(repo *gitpack.Repo, in *gitpack.Incoming, wants []Ref, o Options) error {
	if !o.Deepen.Shallow() && !repo.IsShallow() {
		if err := in.Commit(); err != nil {
			return err
		}
		if o.Connectivity != nil {
			o.Connectivity.Kept = in.Kept()
		}
		return nil
	}
	hs := make([]object.Hash, len(wants))
	for i, w := range wants {
		hs[i] = w.Hash
	}
	return in.CommitShallow(hs, o.Deepen)
}

// Deepening reports whether a fetch with o must extend the repository's shallow history
// even where it has the wanted commits (--deepen, --unshallow, a larger --depth).
func Deepening(repo *gitpack.Repo, o Options) bool {
	return o.Deepen.Shallow() && repo.IsShallow()
}
