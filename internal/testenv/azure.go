package testenv

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"net/url"
	"strings"
	"testing"
	"time"

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

// ServiceSAS signs a SAS for one container (sr=c, permissions racwdl) valid for an hour,
// with the account's base64 key: what a user is handed instead of the key.
func ServiceSAS(t testing.TB, account, b64key, container string) string {
	t.Helper()
	raw, err := base64.StdEncoding.DecodeString(b64key)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now().UTC().Add(-5 * time.Minute).Format("2006-01-02T15:04:05Z")
	expiry := time.Now().UTC().Add(time.Hour).Format("2006-01-02T15:04:05Z")
	const version = "2021-08-06"
	perms := "racwdl"
	canonical := "/blob/" + account + "/" + container
	// The service SAS string-to-sign of version 2020-12-06 and later.
	sts := strings.Join([]string{perms, start, expiry, canonical, "", "", "http,https", version, "c", "", "", "", "", "", "", ""}, "\n")
	m := hmac.New(sha256.New, raw)
	m.Write([]byte(sts))
	sig := base64.StdEncoding.EncodeToString(m.Sum(nil))
	q := url.Values{"sv": {version}, "st": {start}, "se": {expiry}, "sr": {"c"}, "sp": {perms}, "spr": {"http,https"}, "sig": {sig}}
	return q.Encode()
}
