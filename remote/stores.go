package remote

import (
	"context"
	"fmt"

	"git-remote-object-store/store"
	"git-remote-object-store/store/fs"
)

// OpenStore opens the backend a Location names (the whole bucket; the caller scopes it
// to the prefix).
func OpenStore(ctx context.Context, loc *Location) (store.Store, error) {
	switch loc.Backend {
	case FS:
		return fs.New(loc.Dir)
	}
	return nil, fmt.Errorf("%s: the %s backend is not part of this build yet", loc.URL, loc.Backend)
}
