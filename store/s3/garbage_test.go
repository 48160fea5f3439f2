package s3_test

import (
	"context"
	"testing"

	"git-remote-object-store/internal/testenv"
	"git-remote-object-store/store"
	"git-remote-object-store/store/s3"
	"git-remote-object-store/store/storetest"
)

func TestGarbage(t *testing.T) {
	leave := func(ctx context.Context, st store.Store, key string) error {
		return st.(*s3.Store).LeaveUpload(ctx, key)
	}
	t.Run("s3", func(t *testing.T) {
		storetest.RunGarbage(t, func(t *testing.T) store.Store {
			cfg := testenv.S3Bucket(t)
			cfg.ListPageSize = 2 // so the listing of leftovers crosses pages
			st, err := s3.New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			return st
		}, leave)
	})
	t.Run("seaweedfs", func(t *testing.T) {
		storetest.RunGarbage(t, func(t *testing.T) store.Store {
			cfg := testenv.SeaweedFSConfig(t)
			cfg.ListPageSize = 2
			return newBucket(t, cfg)
		}, leave)
	})
}
