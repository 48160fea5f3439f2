package storetest

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"git-remote-object-store/store"
)

// MakeGarbage leaves, on s (a store made by the suite's constructor), what an upload of
// key that died half-way leaves on this backend: an S3 multipart upload with a part and
// no complete, Azure blocks staged and never committed, a local temporary file. A
// backend whose leftovers do not record their key may ignore key.
type MakeGarbage func(ctx context.Context, s store.Store, key string) error

// RunGarbage checks a backend's store.Janitor on real leftovers made by makeGarbage:
// they are listed when older than the cutoff and not when younger (the cutoff moves, the
// clock is not waited for), listing honours the prefix and store.Prefixed, removal makes
// them go away and is idempotent, and committed objects — including one stored under a
// key that also has a leftover — are never touched. Every backend that implements
// store.Janitor must run it; the stores newStore makes must implement it.
func RunGarbage(t *testing.T, newStore func(t *testing.T) store.Store, makeGarbage MakeGarbage) {
	t.Run("Garbage", func(t *testing.T) {
		testGarbage(t, newStore(t), makeGarbage)
	})
}

func listGarbage(t *testing.T, j store.Janitor, prefix string, olderThan time.Time) []store.Garbage {
	t.Helper()
	var out []store.Garbage
	if err := j.ListGarbage(ctxT(t), prefix, olderThan, func(g store.Garbage) error { out = append(out, g); return nil }); err != nil {
		t.Fatalf("ListGarbage(%q, %v): %v", prefix, olderThan, err)
	}
	return out
}

func testGarbage(t *testing.T, s store.Store, makeGarbage MakeGarbage) {
	j, ok := store.JanitorOf(s)
	if !ok {
		t.Fatalf("%T does not implement store.Janitor", s)
	}
	ctx := ctxT(t)
	// An empty store has no garbage, whatever the cutoff, and listing it creates nothing.
	if got := listGarbage(t, j, "", time.Now().Add(time.Hour)); len(got) != 0 {
		t.Fatalf("a fresh store lists garbage: %v", got)
	}
	if got := listAll(t, s, ""); len(got) != 0 {
		t.Fatalf("listing garbage created objects: %+v", got)
	}

	keep := map[string][]byte{
		"keep/object":   []byte("a committed object nobody may touch\n"),
		"garbage/both":  []byte("committed, with a dead upload of the same key\n"),
		"garbage/other": []byte("a committed neighbour\n"),
	}
	for k, v := range keep {
		mustPut(t, s, k, v)
	}
	before := time.Now().Add(-5 * time.Minute)
	for _, k := range []string{"garbage/orphan", "garbage/both", "elsewhere/orphan"} {
		if err := makeGarbage(ctx, s, k); err != nil {
			t.Fatalf("make garbage for %q: %v", k, err)
		}
	}
	after := time.Now().Add(5 * time.Minute)

	// Young leftovers are not garbage: a cutoff before they began hides them.
	if got := listGarbage(t, j, "", before); len(got) != 0 {
		t.Fatalf("leftovers younger than the cutoff were listed: %v", got)
	}
	// Old enough: every leftover shows up, described.
	all := listGarbage(t, j, "", after.Add(time.Hour))
	keyed := map[string]int{}
	keyless := 0
	for _, g := range all {
		if g.Kind == "" || g.ID == "" && g.Key == "" {
			t.Errorf("leftover without kind or handle: %+v", g)
		}
		if g.Time.Before(before) || g.Time.After(after) {
			t.Errorf("leftover %v: time %v is not when it was made (between %v and %v)", g, g.Time, before, after)
		}
		if g.Size < -1 {
			t.Errorf("leftover %v: size %d", g, g.Size)
		}
		if g.Key == "" {
			keyless++
		} else {
			keyed[g.Key]++
		}
		if g.String() == "" {
			t.Errorf("leftover %+v has no description", g)
		}
	}
	if keyless == 0 && keyed["garbage/orphan"] == 0 {
		t.Fatalf("the dead upload of garbage/orphan is not listed: %v", all)
	}
	if keyless > 0 && len(keyed) > 0 {
		t.Fatalf("a backend reports keys for some leftovers and not others: %v", all)
	}
	if keyless == 0 && keyed["elsewhere/orphan"] == 0 {
		t.Fatalf("the dead upload of elsewhere/orphan is not listed: %v", all)
	}
	for k := range keyed {
		if !strings.HasSuffix(k, "orphan") && k != "garbage/both" {
			t.Errorf("listed garbage for %q, where no upload died", k)
		}
	}

	// The prefix scopes the listing; key-less leftovers belong to no prefix.
	for _, g := range listGarbage(t, j, "garbage/", after.Add(time.Hour)) {
		if !strings.HasPrefix(g.Key, "garbage/") {
			t.Errorf("ListGarbage(garbage/) reported %v", g)
		}
	}
	if got := listGarbage(t, j, "nothing/", after.Add(time.Hour)); len(got) != 0 {
		t.Errorf("ListGarbage(nothing/) = %v", got)
	}

	// Through store.Prefixed: same leftovers, keys relative to the prefix, neighbours hidden.
	pj, ok := store.JanitorOf(store.Prefixed(s, "garbage"))
	if !ok {
		t.Fatal("store.Prefixed hid the backend's Janitor")
	}
	var viaPrefix []store.Garbage
	for _, g := range listGarbage(t, pj, "", after.Add(time.Hour)) {
		if g.Key != "orphan" && g.Key != "both" {
			t.Errorf("through Prefixed(garbage): %v", g)
		}
		viaPrefix = append(viaPrefix, g)
	}
	if keyless == 0 && !slices.ContainsFunc(viaPrefix, func(g store.Garbage) bool { return g.Key == "orphan" }) {
		t.Errorf("through Prefixed(garbage) the dead upload of orphan is missing: %v", viaPrefix)
	}
	if got := listGarbage(t, pj, "", before); len(got) != 0 {
		t.Errorf("through Prefixed, young leftovers were listed: %v", got)
	}

	// Remove: below the prefix through Prefixed, the rest directly; twice is fine.
	for _, g := range viaPrefix {
		if err := pj.RemoveGarbage(ctx, g); err != nil {
			t.Fatalf("RemoveGarbage(%v) through Prefixed: %v", g, err)
		}
	}
	for _, g := range listGarbage(t, j, "", after.Add(time.Hour)) {
		if strings.HasPrefix(g.Key, "garbage/") {
			t.Errorf("removed through Prefixed, still listed: %v", g)
		}
		if err := j.RemoveGarbage(ctx, g); err != nil {
			t.Fatalf("RemoveGarbage(%v): %v", g, err)
		}
	}
	if got := listGarbage(t, j, "", after.Add(time.Hour)); len(got) != 0 {
		t.Fatalf("after removal, still listed: %v", got)
	}
	for _, g := range all {
		if err := j.RemoveGarbage(ctx, g); err != nil {
			t.Errorf("removing %v a second time: %v", g, err)
		}
	}
	// Leftovers it never listed, naming a committed object, may fail but must not harm it.
	for _, kind := range []string{store.GarbageMultipart, store.GarbageBlocks, store.GarbageTemp, "no such kind"} {
		for _, id := range []string{"", "keep/object", "../keep/object"} {
			j.RemoveGarbage(ctx, store.Garbage{Kind: kind, Key: "keep/object", ID: id, Size: -1, Time: before.Add(-48 * time.Hour)})
		}
	}

	// Committed objects are all there, unchanged, and nothing else became visible.
	var keys []string
	for _, in := range listAll(t, s, "") {
		keys = append(keys, in.Key)
	}
	want := []string{"garbage/both", "garbage/other", "keep/object"}
	if !slices.Equal(keys, want) {
		t.Fatalf("after garbage removal List = %q, want %q", keys, want)
	}
	for k, v := range keep {
		if got, _ := mustGet(t, s, k, nil); string(got) != string(v) {
			t.Errorf("%s reads %q after garbage removal, want %q", k, got, v)
		}
	}
}
