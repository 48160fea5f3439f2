package s3_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
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
			endpoint := os.Getenv("GROS_TEST_S3B_ENDPOINT")
			id, secret := os.Getenv("GROS_TEST_S3B_ACCESS_KEY"), os.Getenv("GROS_TEST_S3B_SECRET_KEY")
			testenv.Need(t, endpoint != "" && id != "" && secret != "", "the second S3 test server, SeaweedFS (GROS_TEST_S3B_ENDPOINT)")
			b := make([]byte, 6)
			rand.Read(b)
			cfg := s3.Config{Endpoint: endpoint, Bucket: "t-" + hex.EncodeToString(b), Region: os.Getenv("GROS_TEST_S3B_REGION"),
				PathStyle: true, Credentials: s3.Static{AccessKeyID: id, SecretAccessKey: secret}, ListPageSize: 2}
			st, err := s3.New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			if err := st.CreateBucket(t.Context()); err != nil {
				t.Fatal(err)
			}
			return st
		}, leave)
	})
}
