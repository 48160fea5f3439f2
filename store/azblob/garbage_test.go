package azblob_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"git-remote-object-store/internal/testenv"
	"git-remote-object-store/store"
	"git-remote-object-store/store/azblob"
	"git-remote-object-store/store/storetest"
)

func TestGarbage(t *testing.T) {
	storetest.RunGarbage(t, func(t *testing.T) store.Store {
		cfg := testenv.AzureContainer(t)
		cfg.ListPageSize = 2 // so the listing of leftovers crosses pages
		st, err := azblob.New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		return st
	}, func(ctx context.Context, st store.Store, key string) error {
		return st.(*azblob.Store).StageBlock(ctx, key)
	})
}

// TestGarbageCommittedMeanwhile: an upload listed as garbage that is committed before the
// removal is no longer garbage, and the blob it became is left alone.
func TestGarbageCommittedMeanwhile(t *testing.T) {
	st, err := azblob.New(testenv.AzureContainer(t))
	if err != nil {
		t.Fatal(err)
	}
	if err := st.StageBlock(t.Context(), "late/pack"); err != nil {
		t.Fatal(err)
	}
	var gs []store.Garbage
	st.ListGarbage(t.Context(), "", time.Now().Add(time.Hour), func(g store.Garbage) error { gs = append(gs, g); return nil })
	if len(gs) != 1 || gs[0].Key != "late/pack" || gs[0].Size <= 0 {
		t.Fatalf("listed %+v", gs)
	}
	if _, err := st.Put(t.Context(), "late/pack", strings.NewReader("committed"), 9, store.Cond{}); err != nil {
		t.Fatal(err)
	}
	if err := st.RemoveGarbage(t.Context(), gs[0]); err != nil {
		t.Fatalf("RemoveGarbage of a leftover committed meanwhile: %v", err)
	}
	if _, err := st.Head(t.Context(), "late/pack"); err != nil {
		t.Fatalf("the committed blob is gone: %v", err)
	}
}
