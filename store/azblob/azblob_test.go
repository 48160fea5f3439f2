package azblob_test

import (
	"testing"

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
