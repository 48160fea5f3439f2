package store_test

import (
	"testing"

	"git-remote-object-store/store"
	"git-remote-object-store/store/fs"
)

// Prefixed offers exactly the optional interfaces its store has, in every combination,
// also when it wraps another Prefixed.
func TestPrefixedKeepsCaps(t *testing.T) {
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
		for _, p := range []store.Store{store.Prefixed(c.s, "p"), store.Prefixed(store.Prefixed(c.s, "a"), "p")} {
			for name, has := range map[string]func(store.Store) bool{
				"MetaPutter": func(s store.Store) bool { _, ok := store.MetaPutterOf(s); return ok },
				"Janitor":    func(s store.Store) bool { _, ok := store.JanitorOf(s); return ok },
				"Resumer":    func(s store.Store) bool { _, ok := store.ResumerOf(s); return ok },
			} {
				if has(p) != has(c.s) {
					t.Errorf("%s: Prefixed has %s = %v, its store %v", c.name, name, has(p), has(c.s))
				}
			}
		}
		if pr, ok := store.ResumerOf(store.Prefixed(c.s, "p")); ok && pr.UploadScope() != base.UploadScope()+" prefix p" {
			t.Errorf("%s: scope %q", c.name, pr.UploadScope())
		}
		if pr, ok := store.ResumerOf(store.Prefixed(store.Prefixed(c.s, "a"), "p")); ok && pr.UploadScope() != base.UploadScope()+" prefix a prefix p" {
			t.Errorf("%s: nested scope %q", c.name, pr.UploadScope())
		}
	}
}

// A Capable store's Caps are the whole answer: what it implements as methods does not
// count (a wrapper may have methods its inner store cannot serve).
func TestCapsOfAsksCapableFirst(t *testing.T) {
	base, _ := fs.New(t.TempDir())
	if c := store.CapsOf(noCaps{base}); c.MetaPutter != nil || c.Janitor != nil || c.Resumer != nil {
		t.Fatalf("CapsOf looked past Caps(): %+v", c)
	}
	if c := store.CapsOf(base); c.MetaPutter == nil || c.Janitor == nil || c.Resumer == nil {
		t.Fatalf("CapsOf(fs) = %+v, want all three", c)
	}
}

// noCaps has every optional method (through *fs.Store) yet says it offers none.
type noCaps struct{ *fs.Store }

func (noCaps) Caps() store.Caps { return store.Caps{} }
