package engine

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestRefConflict(t *testing.T) {
	existing := []string{"refs/heads/main", "refs/heads/release", "refs/heads/feature/a", "refs/tags/v1"}
	for _, c := range []struct{ name, want string }{
		{"refs/heads/release/1.0", "refs/heads/release"},
		{"refs/heads/feature", "refs/heads/feature/a"},
		{"refs/heads/feature/b", ""},
		{"refs/heads/releases", ""}, // a longer name, not a directory
		{"refs/heads/main", ""},     // the same ref is an update, not a conflict
		{"refs/tags/v1/x", "refs/tags/v1"},
		{"refs/heads/mai", ""},
	} {
		if got := RefConflict(existing, c.name); got != c.want {
			t.Errorf("RefConflict(%s) = %q, want %q", c.name, got, c.want)
		}
	}
	err := RefConflictError("refs/heads/release", "refs/heads/release/1.0")
	if !errors.Is(err, ErrRefConflict) || err.Error() != "ref name conflict: 'refs/heads/release' exists; cannot create 'refs/heads/release/1.0'" {
		t.Errorf("RefConflictError = %q", err)
	}
}

func TestDropConflicts(t *testing.T) {
	refs := []Ref{
		{Name: "HEAD", Symref: "refs/heads/main"},
		{Name: "refs/heads/main"},
		{Name: "refs/heads/release/1.0"},
		{Name: "refs/heads/release"},
		{Name: "refs/heads/release/1.0/hotfix"},
		{Name: "refs/heads/release-2"},
		{Name: "refs/heads/x/y"},
	}
	kept, dropped := DropConflicts(refs)
	var names []string
	for _, r := range kept {
		names = append(names, r.Name)
	}
	if diff := cmp.Diff([]string{"HEAD", "refs/heads/main", "refs/heads/release", "refs/heads/release-2", "refs/heads/x/y"}, names); diff != "" {
		t.Errorf("kept (-want +got):\n%s", diff)
	}
	want := []Conflict{{"refs/heads/release/1.0", "refs/heads/release"}, {"refs/heads/release/1.0/hotfix", "refs/heads/release"}}
	if diff := cmp.Diff(want, dropped); diff != "" {
		t.Errorf("dropped (-want +got):\n%s", diff)
	}
}

func TestConflictFindings(t *testing.T) {
	refs := []RefInfo{{Name: "refs/heads/a", Hash: "1"}, {Name: "refs/heads/a/b", Hash: "2"}, {Name: "refs/heads/c/d", Protected: true}, {Name: "refs/heads/c", Hash: "3"}}
	f := ConflictFindings(refs)
	if len(f) != 1 || f[0].Fix != nil || f[0].What != "refs/heads/a/b cannot live beside refs/heads/a in a git repository, so clones and fetches leave it out; delete one of them (git object-store delete-branch)" {
		t.Fatalf("ConflictFindings = %+v", f)
	}
}
