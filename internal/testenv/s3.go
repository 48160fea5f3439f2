package testenv

import (
	"crypto/rand"
	"encoding/hex"
	"os"
	"testing"

	"git-remote-object-store/store"
	"git-remote-object-store/store/s3"
)

func init() {
	cloudStores["s3"] = func(t testing.TB) store.Store { return S3Store(t) }
}

// S3StoreConfig returns a config for a fresh, empty bucket on the test S3 server.
func S3StoreConfig(t testing.TB) s3.Config {
	t.Helper()
	c := S3(t)
	b := make([]byte, 6)
	rand.Read(b)
	return s3.Config{
		Endpoint: c.Endpoint, Bucket: "t-" + hex.EncodeToString(b), Region: c.Region, PathStyle: true,
		Credentials: s3.Static{AccessKeyID: c.AccessKey, SecretAccessKey: c.SecretKey},
		PartSize:    s3.MinPartSize,
	}
}

// S3Bucket creates a fresh, empty bucket on the test S3 server and returns its config.
func S3Bucket(t testing.TB) s3.Config {
	t.Helper()
	cfg := S3StoreConfig(t)
	st, err := s3.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.CreateBucket(t.Context()); err != nil {
		t.Fatalf("create test bucket: %v", err)
	}
	return cfg
}

// S3Store returns a store on a fresh, empty bucket of the test S3 server.
func S3Store(t testing.TB) store.Store {
	t.Helper()
	st, err := s3.New(S3Bucket(t))
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// SeaweedFSConfig returns a config for a fresh, empty bucket on the second S3 test
// server, SeaweedFS's S3 gateway (GROS_TEST_S3B_*), which scripts/test-servers.sh starts
// so that what the suites prove is S3's behaviour and not one server's. It skips t (fails
// it under CI=true) when that server is not configured.
func SeaweedFSConfig(t testing.TB) s3.Config {
	t.Helper()
	endpoint, id, secret := os.Getenv("GROS_TEST_S3B_ENDPOINT"), os.Getenv("GROS_TEST_S3B_ACCESS_KEY"), os.Getenv("GROS_TEST_S3B_SECRET_KEY")
	Need(t, endpoint != "" && id != "" && secret != "", "the second S3 test server, SeaweedFS (GROS_TEST_S3B_ENDPOINT)")
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
