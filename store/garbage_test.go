package store_test

import (
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"git-remote-object-store/store"
	"git-remote-object-store/store/fs"
)

// fakeJanitor holds leftovers by key; it ignores prefix on purpose (a sloppy backend),
// so Prefixed's own filtering is tested too.
type fakeJanitor struct {
	store.Store
	garbage []store.Garbage
	removed []store.Garbage
}

func (f *fakeJanitor) ListGarbage(_ context.Context, prefix string, olderThan time.Time, fn func(store.Garbage) error) error {
	for _, g := range f.garbage {
		if err := fn(g); err != nil {
			return err
		}
	}
	return nil
}

func (f *fakeJanitor) RemoveGarbage(_ context.Context, g store.Garbage) error {
	f.removed = append(f.removed, g)
	return nil
}

func TestPrefixedJanitor(t *testing.T) {
	base, _ := fs.New(t.TempDir())
	j := &fakeJanitor{Store: plain{base}, garbage: []store.Garbage{
		{Kind: store.GarbageMultipart, Key: "repo/packs/p", ID: "1"},
		{Kind: store.GarbageMultipart, Key: "repo2/x", ID: "2"},
		{Kind: store.GarbageTemp, ID: "put-x"},
	}}
	for name, s := range map[string]store.Store{"janitor": j, "meta+janitor": metaJanitor{j}} {
		t.Run(name, func(t *testing.T) {
			j.removed = nil
			p := store.Prefixed(s, "repo")
			pj, ok := store.JanitorOf(p)
			if !ok {
				t.Fatal("Prefixed hid the backend's Janitor")
			}
			_, meta := store.MetaPutterOf(s)
			if _, ok := store.MetaPutterOf(p); ok != meta {
				t.Fatalf("Prefixed MetaPutter = %v, backend's = %v", ok, meta)
			}
			var got []store.Garbage
			pj.ListGarbage(t.Context(), "", time.Now(), func(g store.Garbage) error { got = append(got, g); return nil })
			if len(got) != 1 || got[0].Key != "packs/p" || got[0].ID != "1" {
				t.Fatalf("through Prefixed(repo): %+v", got)
			}
			if err := pj.RemoveGarbage(t.Context(), got[0]); err != nil {
				t.Fatal(err)
			}
			if len(j.removed) != 1 || j.removed[0].Key != "repo/packs/p" {
				t.Fatalf("removal reached the backend as %+v", j.removed)
			}
		})
	}
	if _, ok := store.JanitorOf(store.Prefixed(plain{base}, "p")); ok {
		t.Fatal("Prefixed claims Janitor for a store without it")
	}
	if _, ok := store.JanitorOf(store.Prefixed(base, "p")); !ok {
		t.Fatal("Prefixed hid fs's Janitor")
	}
}

type metaJanitor struct{ *fakeJanitor }

func (m metaJanitor) PutMeta(ctx context.Context, key string, body io.Reader, size int64, c store.Cond, meta store.Meta) (store.Info, error) {
	return m.Put(ctx, key, body, size, c)
}

func TestGarbageString(t *testing.T) {
	g := store.Garbage{Kind: store.GarbageMultipart, Key: "packs/p.pack", Size: 12 << 20, Time: time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC), ID: "xyz"}
	if s := g.String(); s != `multipart upload of "packs/p.pack" (12.0 MiB, since 2024-05-01 10:00:00 UTC)` {
		t.Fatalf("String() = %s", s)
	}
	g = store.Garbage{Kind: store.GarbageTemp, ID: "put-1", Size: -1}
	if s := g.String(); !strings.HasPrefix(s, "temporary file put-1") || strings.Contains(s, "(") {
		t.Fatalf("String() = %s", s)
	}
}
