package testenv

import (
	"crypto/rand"
	"encoding/hex"
	"testing"

	"git-remote-object-store/azauth"
	"git-remote-object-store/store"
	"git-remote-object-store/store/azblob"
)

func init() {
	cloudStores["azblob"] = func(t testing.TB) store.Store { return AzureStore(t) }
}

// AzureContainer creates a fresh, empty container on the test Azure server and returns
// its config (Shared Key auth, small blocks).
func AzureContainer(t testing.TB) azblob.Config {
	t.Helper()
	c := Azure(t)
	key, err := azauth.NewSharedKey(c.Account, c.Key)
	if err != nil {
		t.Fatal(err)
	}
	b := make([]byte, 6)
	rand.Read(b)
	cfg := azblob.Config{Endpoint: c.Endpoint, Container: "t-" + hex.EncodeToString(b), Auth: azblob.SharedKey{SharedKey: key}, BlockSize: 5 << 20}
	st, err := azblob.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.CreateContainer(t.Context()); err != nil {
		t.Fatalf("create test container: %v", err)
	}
	return cfg
}

// AzureStore returns a store on a fresh, empty container of the test Azure server.
func AzureStore(t testing.TB) store.Store {
	t.Helper()
	st, err := azblob.New(AzureContainer(t))
	if err != nil {
		t.Fatal(err)
	}
	return st
}
