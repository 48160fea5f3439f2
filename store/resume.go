package store

import "context"

// Part is one stored part of an upload in progress.
type Part struct {
	Number int   // 1-based
	Size   int64 // bytes
	// ETag is the backend's tag for the part, without quotes (S3: the part's ETag; Azure:
	// the block id; fs: empty). Callers only pass it back to CompleteUpload.
	ETag string
}

// Resumer is implemented by backends whose multipart uploads outlive the process that
// started them: the parts already stored can be listed by another process, which
// uploads only the missing ones and completes the same upload. It is optional: callers
// get it with ResumerOf and fall back to Put when it is missing.
//
// An upload is named by its key and the id StartUpload returned. Nothing of it is
// visible to Get, Head or List until CompleteUpload; an upload that is never completed
// or aborted is what a Janitor reports as garbage.
type Resumer interface {
	// PartSize is the size of every part but the last: UploadPart may refuse other
	// sizes (S3 needs at least 5 MiB, and R2 equal sizes).
	PartSize() int64
	// UploadScope names the bucket, container or directory (and, through Prefixed, the
	// prefix) without any credential, so that a record of an upload kept elsewhere is
	// never applied to another store. It is stable across processes.
	UploadScope() string
	// StartUpload begins an upload of key and returns its id.
	StartUpload(ctx context.Context, key string) (id string, err error)
	// UploadPart stores part n (1-based) of the upload, replacing an earlier part n.
	UploadPart(ctx context.Context, key, id string, n int, data []byte) (Part, error)
	// ListParts returns the stored parts of the upload in ascending order, or
	// ErrNotFound when the upload is gone (completed, aborted, expired). A backend that
	// keeps nothing of an upload but its parts (Azure) also reports an upload without
	// any part as gone.
	ListParts(ctx context.Context, key, id string) ([]Part, error)
	// CompleteUpload makes the object key out of parts (ascending, as ListParts or
	// UploadPart reported them), honouring c exactly as Put does, and ends the upload;
	// stored parts that are not named are dropped. A failed completion leaves the object
	// as it was.
	CompleteUpload(ctx context.Context, key, id string, parts []Part, c Cond) (Info, error)
	// AbortUpload drops the upload and its parts. An upload that is already gone is not
	// an error. Where parts cannot be dropped without risk to a committed object (Azure,
	// when the blob exists or another upload is staging blocks on it) they are left to
	// expire.
	AbortUpload(ctx context.Context, key, id string) error
}

// PartSummer is a Resumer that takes a part's SHA-256 from the caller, who has worked it
// out already (the resume record keeps it), instead of hashing the part again: S3 signs
// every part's SHA-256, and a part is hashed once, not twice.
type PartSummer interface {
	// UploadPartSum is UploadPart with sum, the SHA-256 of data. A wrong sum makes the
	// server refuse the part, never store other bytes.
	UploadPartSum(ctx context.Context, key, id string, n int, data []byte, sum [32]byte) (Part, error)
}

// UploadPartSum is r's UploadPartSum if it has one, its UploadPart if not.
func UploadPartSum(ctx context.Context, r Resumer, key, id string, n int, data []byte, sum [32]byte) (Part, error) {
	if ps, ok := r.(PartSummer); ok {
		return ps.UploadPartSum(ctx, key, id, n, data, sum)
	}
	return r.UploadPart(ctx, key, id, n, data)
}
