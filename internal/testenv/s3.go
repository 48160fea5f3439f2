package testenv

import (
	"crypto/rand"
	"encoding/hex"
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
