package testenv

import (
	"testing"

	"git-remote-object-store/store"
)

// cloudStores is filled by the files that add S3 and Azure (see s3.go, azure.go), so
// packages test every backend that exists without listing them.
var cloudStores = map[string]func(t testing.TB) store.Store{}

// Stores returns a constructor of fresh stores for every backend: fs always, plus the
// cloud backends (which skip, or fail under CI, when their server is not running).
func Stores(t testing.TB) map[string]func(t *testing.T) store.Store {
	out := map[string]func(t *testing.T) store.Store{
		"fs": func(t *testing.T) store.Store { return FSStore(t) },
	}
	for name, fn := range cloudStores {
		out[name] = func(t *testing.T) store.Store { return fn(t) }
	}
	return out
}
