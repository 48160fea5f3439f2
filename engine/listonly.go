package engine

import (
	"context"
	"errors"
)

// ErrNoRepository: a fetch or push was asked of a helper that runs outside any local
// repository. git does not do that; it runs the helper outside a repository only for
// `git ls-remote <url>`, which lists.
var ErrNoRepository = errors.New("not in a git repository (fetch and push need one)")

// ListOnly wraps t for a helper running outside any repository: List works (it needs no
// local objects), Fetch and Push fail with ErrNoRepository instead of touching a
// repository that is not there.
func ListOnly(t Transport) Transport { return listOnly{t} }

type listOnly struct{ Transport }

func (listOnly) Fetch(context.Context, []Ref, Options) error { return ErrNoRepository }

func (listOnly) Push(context.Context, []Update, Options) ([]Result, error) {
	return nil, ErrNoRepository
}
