package bundle

import (
	"bytes"
	"strings"
	"testing"

	"git-remote-object-store/engine"
	"git-remote-object-store/gitpack/object"
	"git-remote-object-store/store"
	"git-remote-object-store/store/fs"
)

// TestRemoteFormatFromNames: the bundles' names say the remote's object format, so a
// clone can learn it before its repository has the right one; a bucket holding both
// lengths keeps the local repository's (sha1 without one) and warns about the rest.
func TestRemoteFormatFromNames(t *testing.T) {
	sha1a, sha1b := strings.Repeat("a", 40), strings.Repeat("b", 40)
	sha256a := strings.Repeat("c", 64)
	cases := []struct {
		name    string
		keys    []string
		want    object.Format
		refs    []string // listed, in order
		warning string
	}{
		{"empty", nil, 0, nil, ""},
		{"sha1", []string{"refs/heads/main/" + sha1a + ".bundle"}, object.SHA1, []string{"refs/heads/main"}, ""},
		{"sha256", []string{"refs/heads/main/" + sha256a + ".bundle", "refs/tags/v1/" + sha256a + ".bundle"}, object.SHA256,
			[]string{"refs/heads/main", "refs/tags/v1"}, ""},
		{"both: sha1 wins without a repository", []string{"refs/heads/main/" + sha1a + ".bundle", "refs/heads/x/" + sha1b + ".bundle", "refs/heads/new/" + sha256a + ".bundle"},
			object.SHA1, []string{"refs/heads/main", "refs/heads/x"}, `ignoring "refs/heads/new/` + sha256a + `.bundle": a 64-digit id on a sha1 remote`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			st, err := fs.New(t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			for _, k := range c.keys {
				if _, err := st.Put(t.Context(), k, strings.NewReader("x"), 1, store.Cond{}); err != nil {
					t.Fatal(err)
				}
			}
			var warn bytes.Buffer
			e := New(engine.Config{Store: st, Warn: &warn})
			s, err := e.scan(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			if s.format != c.want {
				t.Errorf("format %v, want %v", s.format, c.want)
			}
			refs, err := e.List(t.Context(), true)
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, r := range refs {
				names = append(names, r.Name)
				if r.Hash.Format() != c.want {
					t.Errorf("%s listed with a %v id", r.Name, r.Hash.Format())
				}
			}
			if strings.Join(names, " ") != strings.Join(c.refs, " ") {
				t.Errorf("listed %v, want %v", names, c.refs)
			}
			if !strings.Contains(warn.String(), c.warning) || c.warning == "" && warn.Len() > 0 {
				t.Errorf("warnings %q, want %q", warn.String(), c.warning)
			}
		})
	}
}
