package s3_test

import (
	"crypto/rand"
	"encoding/hex"
	"os"
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
			cfg := seaweedFSConfig(t)
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

// seaweedFSConfig returns a config for a fresh bucket on the SeaweedFS S3 gateway that
// scripts/test-servers.sh starts (GROS_TEST_S3B_*), or skips (fails under CI=true).
func seaweedFSConfig(t *testing.T) s3.Config {
	t.Helper()
	endpoint, id, secret := os.Getenv("GROS_TEST_S3B_ENDPOINT"), os.Getenv("GROS_TEST_S3B_ACCESS_KEY"), os.Getenv("GROS_TEST_S3B_SECRET_KEY")
	testenv.Need(t, endpoint != "" && id != "" && secret != "", "the second S3 test server, SeaweedFS (GROS_TEST_S3B_ENDPOINT)")
	region := os.Getenv("GROS_TEST_S3B_REGION")
	if region == "" {
		region = "us-east-1"
	}
	b := make([]byte, 6)
	rand.Read(b)
	return s3.Config{
		Endpoint: endpoint, Bucket: "t-" + hex.EncodeToString(b), Region: region, PathStyle: true,
		Credentials: s3.Static{AccessKeyID: id, SecretAccessKey: secret},
		PartSize:    s3.MinPartSize,
	}
}
