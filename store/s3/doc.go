// Package s3 is the S3 backend: a store.Store over net/http for AWS S3 and every
// S3-compatible service (MinIO, R2, Wasabi, B2, Ceph, versitygw), signed by package
// sigv4. Provider differences are configuration (endpoint, region, path or virtual
// addressing), not code paths.
//
// Bodies are streamed: an object larger than one part, or of unknown size, goes up as a
// multipart upload whose parts are buffered one at a time per worker (memory is
// Concurrency × PartSize), hashed for the signature, retried individually, and committed
// by CompleteMultipartUpload carrying the write's condition, so the object appears
// atomically or not at all. Every failure is classified once, here, into *store.Error.
//
// What it shares with the Azure backend (building, sending and retrying requests, reading
// answers, the shape of a write) is package store/internal/httpstore; what is here is
// S3's own: its URLs and region discovery, its signing, its error codes and XML.
package s3
