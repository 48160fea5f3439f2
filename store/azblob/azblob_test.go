package azblob_test

import (
	"encoding/base64"
	"strings"
	"testing"

	"git-remote-object-store/azauth"
	"git-remote-object-store/internal/testenv"
	"git-remote-object-store/store"
	"git-remote-object-store/store/azblob"
	"git-remote-object-store/store/storetest"
)

func TestConformance(t *testing.T) {
	t.Run("azblob", func(t *testing.T) {
		storetest.Run(t, func(t *testing.T) store.Store {
			cfg := testenv.AzureContainer(t)
			cfg.ListPageSize = 1000 // so 2,600 keys cross pages
			st, err := azblob.New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			return st
		}, storetest.Options{PartSize: 5 << 20, ListPageSize: 1000})
	})
}

// TestSASAndWrongKey: a service SAS made with the dev key works; a wrong key fails with
// one clear error that does not contain the key.
func TestSASAndWrongKey(t *testing.T) {
	cfg := testenv.AzureContainer(t)
	c := testenv.Azure(t)
	key, _ := azauth.NewSharedKey(c.Account, c.Key)
	sas := testenv.ServiceSAS(t, key.Account, c.Key, cfg.Container)
	sasCfg := cfg
	sasCfg.Auth = azblob.SAS{SAS: azauth.NewSAS(sas)}
	st, err := azblob.New(sasCfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Put(t.Context(), "via/sas", strings.NewReader("x"), 1, store.Cond{}); err != nil {
		t.Fatalf("put with SAS: %v", err)
	}
	if _, err := st.Head(t.Context(), "via/sas"); err != nil {
		t.Fatalf("head with SAS: %v", err)
	}
	wrong, _ := azauth.NewSharedKey(c.Account, base64.StdEncoding.EncodeToString([]byte("definitely-not-the-key")))
	bad := cfg
	bad.Auth = azblob.SharedKey{SharedKey: wrong}
	bst, _ := azblob.New(bad)
	_, err = bst.Put(t.Context(), "x", strings.NewReader("x"), 1, store.Cond{})
	if err == nil || !strings.Contains(err.Error(), "check the account key") || strings.Contains(err.Error(), "definitely") {
		t.Fatalf("wrong key: %v", err)
	}
}
