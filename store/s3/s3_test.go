package s3_test

import (
	"testing"

	"git-remote-object-store/internal/testenv"
	"git-remote-object-store/store"
	"git-remote-object-store/store/s3"
	"git-remote-object-store/store/storetest"
)

func TestConformance(t *testing.T) {
	opt := storetest.Options{PartSize: s3.MinPartSize, ListPageSize: 1000}
	t.Run("s3", func(t *testing.T) {
		storetest.Run(t, func(t *testing.T) store.Store {
			cfg := testenv.S3StoreConfig(t)
			cfg.ListPageSize = 1000
			return newBucket(t, cfg)
		}, opt)
	})
	// A second, independent S3 implementation, so that what the suite proves is S3's
	// behaviour and not versitygw's.
	t.Run("seaweedfs", func(t *testing.T) {
		storetest.Run(t, func(t *testing.T) store.Store {
			cfg := testenv.SeaweedFSConfig(t)
			cfg.ListPageSize = 1000
			return newBucket(t, cfg)
		}, opt)
	})
}

func newBucket(t *testing.T, cfg s3.Config) store.Store {
	t.Helper()
	st, err := s3.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.CreateBucket(t.Context()); err != nil {
		t.Fatal(err)
	}
	return st
}
