package azblob

import (
	"context"
	"crypto/md5"
	"encoding/base64"
	"net/http"
	"strings"

	"git-remote-object-store/store"
	"git-remote-object-store/store/internal/httpstore"
)

// objects is httpstore.Objects under a name of this package, so that Store embeds it
// without an exported field: only its methods (Head, Get, Delete, Put, PutMeta) join
// Store's API.
type objects = httpstore.Objects

// metaNames are the headers Azure keeps store.Meta in. Its metadata names are C
// identifiers, so a '-' becomes '_'.
var metaNames = httpstore.MetaNames{ContentType: "X-Ms-Blob-Content-Type", ContentDisposition: "X-Ms-Blob-Content-Disposition",
	User: func(k string) string { return "X-Ms-Meta-" + strings.ReplaceAll(k, "-", "_") }}

// putBlob writes data with one Put Blob (the Objects' Writes.One).
func (s *Store) putBlob(ctx context.Context, key string, data []byte, c store.Cond, m store.Meta) (store.Info, error) {
	h := httpstore.MetaHeader(m, metaNames)
	h.Set("X-Ms-Blob-Type", "BlockBlob")
	sum := md5.Sum(data)
	return s.http.PutOne(ctx, key, data, h, c, md5Is(sum[:]))
}

// md5Is recognises our own write for httpstore's Settle: the blob's Content-MD5 is the
// MD5 of our bytes.
func md5Is(sum []byte) func(store.Info, http.Header) bool {
	return func(_ store.Info, h http.Header) bool {
		return h.Get("Content-MD5") == base64.StdEncoding.EncodeToString(sum)
	}
}
