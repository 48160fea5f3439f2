package s3

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"net/http"

	"git-remote-object-store/store"
	"git-remote-object-store/store/internal/httpstore"
)

// objects is httpstore.Objects under a name of this package, so that Store embeds it
// without an exported field: only its methods (Head, Get, Delete, Put, PutMeta) join
// Store's API.
type objects = httpstore.Objects

// metaNames are the headers S3 keeps store.Meta in.
var metaNames = httpstore.MetaNames{ContentType: "Content-Type", ContentDisposition: "Content-Disposition",
	User: func(k string) string { return "X-Amz-Meta-" + k }}

// putSingle writes data with one PutObject (the Objects' Writes.One).
func (s *Store) putSingle(ctx context.Context, key string, data []byte, c store.Cond, m store.Meta) (store.Info, error) {
	sum := md5.Sum(data)
	return s.http.PutOne(ctx, key, data, httpstore.MetaHeader(m, metaNames), c, etagIs(hex.EncodeToString(sum[:]), int64(len(data))))
}

// etagIs recognises our own write for httpstore's Settle: the object's ETag is etag (the
// MD5 of our bytes, or S3's multipart form of it) and its size ours. A PUT's answer has
// no Last-Modified; callers that need it Head.
func etagIs(etag string, size int64) func(store.Info, http.Header) bool {
	return func(h store.Info, _ http.Header) bool { return h.ETag == etag && h.Size == size }
}
