package s3

import (
	"context"
	"fmt"

	"git-remote-object-store/internal/uriencode"
	"git-remote-object-store/store"
	"git-remote-object-store/store/internal/httpstore"
)

var _ store.Resumer = (*Store)(nil)

// PartSize implements store.Resumer: the configured part size.
func (s *Store) PartSize() int64 { return s.cfg.PartSize }

// UploadScope implements store.Resumer: the configured endpoint (no user info, query or
// fragment) and the bucket. A region switch does not change it.
func (s *Store) UploadScope() string {
	return "s3 " + httpstore.EndpointScope(s.cfg.Endpoint) + " bucket " + s.cfg.Bucket
}

// StartUpload implements store.Resumer with CreateMultipartUpload.
func (s *Store) StartUpload(ctx context.Context, key string) (string, error) {
	return s.createUpload(ctx, key, nil)
}

// UploadPart implements store.Resumer with UploadPart (Content-MD5 and a signed payload
// hash, so a damaged part is refused, not stored).
func (s *Store) UploadPart(ctx context.Context, key, id string, n int, data []byte) (store.Part, error) {
	return s.uploadPartSum(ctx, key, id, n, data, nil)
}

var _ store.PartSummer = (*Store)(nil)

// UploadPartSum implements store.PartSummer: UploadPart signing the caller's SHA-256 of
// the part instead of hashing it again.
func (s *Store) UploadPartSum(ctx context.Context, key, id string, n int, data []byte, sum [32]byte) (store.Part, error) {
	return s.uploadPartSum(ctx, key, id, n, data, &sum)
}

func (s *Store) uploadPartSum(ctx context.Context, key, id string, n int, data []byte, sum *[32]byte) (store.Part, error) {
	if n < 1 || n > 10000 {
		return store.Part{}, &store.Error{Op: "upload part", Key: key, Err: fmt.Errorf("part number %d is outside 1..10000", n)}
	}
	etag, err := s.uploadPart(ctx, key, id, n, data, sum)
	if err != nil {
		return store.Part{}, err
	}
	return store.Part{Number: n, Size: int64(len(data)), ETag: httpstore.Unquote(etag)}, nil
}

// listedParts is one ListParts page.
type listedParts struct {
	IsTruncated          bool         `xml:"IsTruncated"`
	NextPartNumberMarker string       `xml:"NextPartNumberMarker"`
	Parts                []listedPart `xml:"Part"`
}

type listedPart struct {
	PartNumber int    `xml:"PartNumber"`
	Size       int64  `xml:"Size"`
	ETag       string `xml:"ETag"`
}

// eachPart calls fn for every part ListParts reports of the upload, page by page;
// NoSuchUpload (404) is ErrNotFound.
func (s *Store) eachPart(ctx context.Context, key, id string, fn func(listedPart)) error {
	marker := ""
	for {
		q := []uriencode.Param{{Name: "uploadId", Value: id}}
		if marker != "" {
			q = append(q, uriencode.Param{Name: "part-number-marker", Value: marker})
		}
		page, _, err := httpstore.DoXML[listedParts](ctx, s.http, &httpstore.Request{Op: "list parts", Method: "GET", Key: key, Query: q})
		if err != nil {
			return err
		}
		for _, p := range page.Parts {
			fn(p)
		}
		if !page.IsTruncated || page.NextPartNumberMarker == "" || page.NextPartNumberMarker == marker {
			return nil
		}
		marker = page.NextPartNumberMarker
	}
}

// ListParts implements store.Resumer with ListParts; NoSuchUpload (404) is ErrNotFound.
func (s *Store) ListParts(ctx context.Context, key, id string) ([]store.Part, error) {
	var out []store.Part
	err := s.eachPart(ctx, key, id, func(p listedPart) {
		if n := len(out); n > 0 && p.PartNumber <= out[n-1].Number {
			return // a server that repeats a page must not duplicate parts
		}
		out = append(out, store.Part{Number: p.PartNumber, Size: p.Size, ETag: httpstore.Unquote(p.ETag)})
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// CompleteUpload implements store.Resumer with CompleteMultipartUpload, carrying the
// condition like a Put's, and recognising its own earlier success on a retry as Put does.
func (s *Store) CompleteUpload(ctx context.Context, key, id string, parts []store.Part, c store.Cond) (store.Info, error) {
	size, err := httpstore.PartsTotal("complete multipart upload", key, parts)
	if err != nil {
		return store.Info{}, err
	}
	cps := make([]completedPart, len(parts))
	for i, p := range parts {
		cps[i] = completedPart{PartNumber: p.Number, ETag: `"` + httpstore.Unquote(p.ETag) + `"`}
	}
	return s.complete(ctx, key, id, cps, c, size)
}

// AbortUpload implements store.Resumer with AbortMultipartUpload; a gone upload is fine.
func (s *Store) AbortUpload(ctx context.Context, key, id string) error {
	_, err := s.http.Do(ctx, &httpstore.Request{Op: "abort multipart upload", Method: "DELETE", Key: key,
		Query: []uriencode.Param{{Name: "uploadId", Value: id}}}, nil)
	return store.IgnoreNotFound(err)
}
