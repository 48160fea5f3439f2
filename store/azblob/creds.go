package azblob

import (
	"context"
	"net/http"
	"time"

	"git-remote-object-store/azauth"
)

// Authorizer signs one request: Shared Key, SAS, or an Entra ID bearer token.
type Authorizer interface {
	Authorize(ctx context.Context, req *http.Request, now time.Time) error
}

// SharedKey adapts azauth.SharedKey.
type SharedKey struct{ azauth.SharedKey }

// Authorize implements Authorizer.
func (k SharedKey) Authorize(_ context.Context, req *http.Request, now time.Time) error {
	k.Sign(req, now)
	return nil
}

// SAS adapts azauth.SAS.
type SAS struct{ azauth.SAS }

// Authorize implements Authorizer.
func (s SAS) Authorize(_ context.Context, req *http.Request, now time.Time) error {
	s.Apply(req, now)
	return nil
}

// Entra adapts an azauth token source (client secret, workload or managed identity).
type Entra struct{ Source azauth.TokenSource }

// Authorize implements Authorizer.
func (e Entra) Authorize(ctx context.Context, req *http.Request, now time.Time) error {
	return azauth.Bearer{Source: e.Source}.Apply(ctx, req, now)
}
