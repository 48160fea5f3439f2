// Package store is the whole contract between the storage engines and the clouds: a flat
// key space of immutable-or-conditionally-replaced objects, the errors callers branch on,
// and the wrappers (retry, key prefix) that every backend shares.
//
// A backend lives in its own package (store/s3, store/azblob, store/fs) and must pass the
// conformance suite in store/storetest. What the two HTTP backends share beyond this
// contract (requests, retries, answers) is store/internal/httpstore, not this package.
package store

import (
	"context"
	"errors"
	"io"
	"time"
)

// Sentinel errors. Backends wrap them (usually inside *Error) so callers use errors.Is.
var (
	// ErrNotFound: the key does not exist (Get, Head, and a Put with IfMatch on a missing key).
	ErrNotFound = errors.New("not found")
	// ErrPrecondition: a conditional write lost (IfNoneMatch on an existing key, IfMatch on a
	// different ETag). Backends map S3's 412 and Azure's 409 BlobAlreadyExists / 412 here.
	ErrPrecondition = errors.New("precondition failed")
)

// ErrStopList, returned by a List callback, ends the listing early. List returns it
// unchanged (see Store.List), so a caller tells "stopped" from a failure with ==.
var ErrStopList = errors.New("listing stopped")

// Info describes one stored object.
type Info struct {
	Key  string
	Size int64
	// ETag is the backend's entity tag without surrounding quotes. The same object must
	// report the same ETag from Put, Head, Get and List, so any of them can feed Cond.IfMatch.
	ETag string
	// LastModified is the store's own clock, never the client's (lock TTLs depend on it).
	LastModified time.Time
}

// Range selects bytes [Offset, Offset+Length) of an object; Length < 0 means "to the end".
type Range struct {
	Offset int64
	Length int64
}

// Cond makes a Put conditional. The zero value is an unconditional write.
type Cond struct {
	// IfNoneMatch: create only; fail with ErrPrecondition if the key exists.
	IfNoneMatch bool
	// IfMatch: replace only if the current ETag equals this; ErrPrecondition otherwise
	// (or ErrNotFound / ErrPrecondition when the key is missing, depending on the backend;
	// callers must treat both as "lost").
	IfMatch string
}

// Store is a bucket (or container, or directory). Keys are UTF-8, '/'-separated, never
// starting with '/'. Implementations must be safe for concurrent use.
type Store interface {
	// Get opens an object, or a range of it. The caller must Close the reader. A range that
	// starts past the end is an error; one that runs past the end is cut short.
	Get(ctx context.Context, key string, r *Range) (io.ReadCloser, Info, error)
	// Head returns an object's Info, or ErrNotFound.
	Head(ctx context.Context, key string) (Info, error)
	// Put stores body under key. size is the exact length, or -1 when unknown, in which case
	// the body is streamed in parts (multipart / block upload) with memory bounded by the
	// part size. A failed or cancelled Put leaves no visible object and never a partial one.
	Put(ctx context.Context, key string, body io.Reader, size int64, c Cond) (Info, error)
	// Delete removes key. Deleting a missing key is not an error (S3 cannot tell the two apart).
	Delete(ctx context.Context, key string) error
	// List calls fn once per object whose key starts with prefix, in lexical key order,
	// from the calling goroutine. An error from fn stops the listing and is returned
	// unchanged, not wrapped; fn returns ErrStopList to end a listing it needs no more of.
	List(ctx context.Context, prefix string, fn func(Info) error) error
}
