package store_test

import (
	"testing"

	"git-remote-object-store/store"
	"git-remote-object-store/store/fs"
)

// Prefixed keeps exactly the optional interfaces its store has, in every combination.
func TestPrefixedKeepsResumer(t *testing.T) {
	base, _ := fs.New(t.TempDir())
	type (
		r struct {
			store.Store
			store.Resumer
		}
		mr struct {
			store.Store
			store.MetaPutter
			store.Resumer
		}
		jr struct {
			store.Store
			store.Janitor
			store.Resumer
		}
		m struct {
			store.Store
			store.MetaPutter
		}
	)
	for _, c := range []struct {
		name string
		s    store.Store
	}{
		{"all", base}, {"resumer", r{base, base}}, {"meta+resumer", mr{base, base, base}},
		{"janitor+resumer", jr{base, base, base}}, {"meta", m{base, base}}, {"plain", plain{base}},
	} {
		p := store.Prefixed(c.s, "p")
		for name, has := range map[string]func(store.Store) bool{
			"MetaPutter": func(s store.Store) bool { _, ok := s.(store.MetaPutter); return ok },
			"Janitor":    func(s store.Store) bool { _, ok := s.(store.Janitor); return ok },
			"Resumer":    func(s store.Store) bool { _, ok := s.(store.Resumer); return ok },
		} {
			if has(p) != has(c.s) {
				t.Errorf("%s: Prefixed has %s = %v, its store %v", c.name, name, has(p), has(c.s))
			}
		}
		if pr, ok := p.(store.Resumer); ok && pr.UploadScope() != base.UploadScope()+" prefix p" {
			t.Errorf("%s: scope %q", c.name, pr.UploadScope())
		}
	}
}
