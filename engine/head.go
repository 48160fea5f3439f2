package engine

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"git-remote-object-store/gitpack"
)

// ErrDeleteCurrent refuses, without force, a push or delete-branch that would delete the
// branch the remote's HEAD names (its default branch). The words are git's own: its
// receive-pack refuses the same deletion with them.
var ErrDeleteCurrent = errors.New("deletion of the current branch prohibited")

// CurrentBranch is the branch the local repository has checked out (its HEAD symref,
// e.g. refs/heads/main), or "" without a repository, on a detached HEAD, or when HEAD
// cannot be read.
func CurrentBranch(repo *gitpack.Repo) string {
	if repo == nil {
		return ""
	}
	b, err := os.ReadFile(filepath.Join(repo.GitDir(), "HEAD"))
	if err != nil {
		return ""
	}
	ref, ok := strings.CutPrefix(strings.TrimSpace(string(b)), "ref: ")
	ref = strings.TrimSpace(ref)
	if !ok || !strings.HasPrefix(ref, "refs/heads/") || gitpack.CheckRefName(ref) != nil {
		return "" // detached, or a reftable repository's placeholder (refs/heads/.invalid)
	}
	return ref
}

// ChooseHead is the branch a remote's HEAD should name among refs (the remote's refs
// after the change, in any order) when it names none of them yet, or the one it named was
// just deleted: prefer (the pushing repository's current branch) when the remote has
// it, else main, else master, else the first branch by name. Only branches qualify; ""
// when there is none.
func ChooseHead(prefer string, refs []string) string {
	var branches []string
	for _, r := range refs {
		if strings.HasPrefix(r, "refs/heads/") {
			branches = append(branches, r)
		}
	}
	if prefer != "" && slices.Contains(branches, prefer) {
		return prefer
	}
	slices.Sort(branches)
	return PickHead(branches)
}

// ShortRef is a ref's name as git prints it: refs/heads/main is main, a tag keeps its
// refs/tags/ prefix off too.
func ShortRef(ref string) string {
	for _, p := range []string{"refs/heads/", "refs/tags/"} {
		if s, ok := strings.CutPrefix(ref, p); ok {
			return s
		}
	}
	return ref
}

// What forces the deletion of the remote's default branch, as DeleteCurrentError says it.
// git never tells a remote helper about --force on a deletion (it sends ":<ref>" either
// way, with no option), but it does pass --force-with-lease's expectation ("option cas"),
// so that is the force a push can give; delete-branch has its own --force.
const (
	ForceDeletePush = "git push --force-with-lease"
	ForceDeleteCLI  = "--force"
)

// DeleteCurrentError is the refusal of a deletion of the remote's default branch without
// force; next is the branch that would become the default ("" for none), how what forces
// it (ForceDeletePush, ForceDeleteCLI). The ref itself is not named: git prints it before
// the reason, and the CLI names it once too.
func DeleteCurrentError(next, how string) error {
	if next == "" {
		return fmt.Errorf("%w: it is the remote's default branch and its only branch; delete it with %s, and the next branch pushed becomes the default", ErrDeleteCurrent, how)
	}
	return fmt.Errorf("%w: it is the remote's default branch; delete it with %s, and %s becomes the default", ErrDeleteCurrent, how, ShortRef(next))
}

// DeletedCurrentWarning is the warning (without its "warning: ") printed after the
// remote's default branch ref was deleted with force; next is the branch HEAD names now
// ("" for none).
func DeletedCurrentWarning(ref, next string) string {
	if next == "" {
		return fmt.Sprintf("deleted the remote's default branch %s; it has no other branch, so the next branch pushed becomes its default", ShortRef(ref))
	}
	return fmt.Sprintf("deleted the remote's default branch %s; its default is now %s", ShortRef(ref), ShortRef(next))
}

// Forces reports whether u may delete the remote's default branch: a forced update
// ("+:<ref>", which git itself never sends for a deletion), or a --force-with-lease
// (its expectation is checked by Decide first).
func (u Update) Forces() bool { return u.Force || u.HasExpect }

// ErrNoSuchBranch: a management verb named a branch the remote does not have.
var ErrNoSuchBranch = errors.New("no such branch on the remote")

// CheckHeadTarget is SetHead's rule, the same for both engines: the default branch must
// be a branch (refs/heads/…) the remote has.
func CheckHeadTarget(ref string, has bool) error {
	if !strings.HasPrefix(ref, "refs/heads/") {
		return fmt.Errorf("%s is not a branch; the default branch must be one (refs/heads/…)", ref)
	}
	if !has {
		return fmt.Errorf("%w: %s (push it first, or pick one of the branches git ls-remote lists)", ErrNoSuchBranch, ref)
	}
	return nil
}
