package engine_test

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"git-remote-object-store/engine"
	"git-remote-object-store/gitpack"
	"git-remote-object-store/gitpack/object"
)

func TestChooseHead(t *testing.T) {
	for _, c := range []struct {
		name, prefer string
		refs         []string
		want         string
	}{
		{"the pusher's branch first", "refs/heads/work", []string{"refs/heads/dev", "refs/heads/main", "refs/heads/work"}, "refs/heads/work"},
		{"then main", "refs/heads/gone", []string{"refs/heads/dev", "refs/heads/main", "refs/heads/master"}, "refs/heads/main"},
		{"then master", "", []string{"refs/heads/master", "refs/heads/dev"}, "refs/heads/master"},
		{"then the first branch by name", "", []string{"refs/heads/zeta", "refs/tags/v1", "refs/heads/dev"}, "refs/heads/dev"},
		{"never a tag", "refs/tags/v1", []string{"refs/tags/v1"}, ""},
		{"nothing", "refs/heads/main", nil, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := engine.ChooseHead(c.prefer, c.refs); got != c.want {
				t.Fatalf("ChooseHead(%q, %q) = %q, want %q", c.prefer, c.refs, got, c.want)
			}
		})
	}
}

func TestCurrentBranch(t *testing.T) {
	dir := t.TempDir()
	repo, err := gitpack.InitBare(dir, object.SHA1)
	if err != nil {
		t.Fatal(err)
	}
	defer repo.Close()
	for _, c := range []struct{ head, want string }{
		{"ref: refs/heads/topic\n", "refs/heads/topic"},
		{"ref: refs/heads/.invalid\n", ""}, // a reftable repository's placeholder
		{"0123456789012345678901234567890123456789\n", ""},
		{"ref: refs/tags/v1\n", ""},
	} {
		if err := os.WriteFile(filepath.Join(repo.GitDir(), "HEAD"), []byte(c.head), 0o644); err != nil {
			t.Fatal(err)
		}
		if got := engine.CurrentBranch(repo); got != c.want {
			t.Errorf("HEAD %q: CurrentBranch = %q, want %q", c.head, got, c.want)
		}
	}
	if got := engine.CurrentBranch(nil); got != "" {
		t.Errorf("CurrentBranch(nil) = %q", got)
	}
}

// The words git shows ("! [remote rejected] main (…)") and the CLI prints.
func TestDeleteCurrentWords(t *testing.T) {
	err := engine.DeleteCurrentError("refs/heads/dev", engine.ForceDeletePush)
	if !errors.Is(err, engine.ErrDeleteCurrent) {
		t.Fatalf("%v does not wrap ErrDeleteCurrent", err)
	}
	for _, c := range []struct{ got, want string }{
		{err.Error(), "deletion of the current branch prohibited: it is the remote's default branch; delete it with git push --force-with-lease, and dev becomes the default"},
		{engine.DeleteCurrentError("", engine.ForceDeleteCLI).Error(), "deletion of the current branch prohibited: it is the remote's default branch and its only branch; delete it with --force, and the next branch pushed becomes the default"},
		{engine.DeletedCurrentWarning("refs/heads/main", "refs/heads/dev"), "deleted the remote's default branch main; its default is now dev"},
		{engine.DeletedCurrentWarning("refs/heads/main", ""), "deleted the remote's default branch main; it has no other branch, so the next branch pushed becomes its default"},
	} {
		if c.got != c.want {
			t.Errorf("got  %q\nwant %q", c.got, c.want)
		}
	}
}
