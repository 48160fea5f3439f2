package store

import (
	"context"
	"io"
)

// Meta is optional per-object metadata. Only the zip mirror needs it today: AWS
// CodePipeline reads a revision summary from the object's user metadata.
type Meta struct {
	ContentType        string
	ContentDisposition string
	// User is user metadata (S3 x-amz-meta-*, Azure x-ms-meta-*). Keys are lower-case
	// ASCII letters, digits and '-'; values printable ASCII.
	User map[string]string
}

// MetaPutter is implemented by backends that can store Meta with an object. It is
// optional: callers get it with MetaPutterOf (or use PutWithMeta) and fall back to a
// plain Put, losing only the metadata, when it is missing.
type MetaPutter interface {
	PutMeta(ctx context.Context, key string, body io.Reader, size int64, c Cond, m Meta) (Info, error)
}

// PutWithMeta stores body with m when s supports metadata, and without it otherwise.
func PutWithMeta(ctx context.Context, s Store, key string, body io.Reader, size int64, c Cond, m Meta) (Info, error) {
	if mp, ok := MetaPutterOf(s); ok {
		return mp.PutMeta(ctx, key, body, size, c, m)
	}
	return s.Put(ctx, key, body, size, c)
}
