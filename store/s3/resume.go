package s3

import (
	"context"
	"fmt"
	"net/http"
	"net/url"

	"git-remote-object-store/sigv4"
	"git-remote-object-store/store"
)

var _ store.Resumer = (*Store)(nil)

// PartSize implements store.Resumer: the configured part size.
func (s *Store) PartSize() int64 { return s.cfg.PartSize }

// UploadScope implements store.Resumer: the configured endpoint (no user info, query or
// fragment) and the bucket. A region switch does not change it.
func (s *Store) UploadScope() string {
	ep := s.cfg.Endpoint
	if u, err := url.Parse(ep); err == nil {
		u.User, u.RawQuery, u.Fragment = nil, "", ""
		ep = u.String()
	}
	return "s3 " + ep + " bucket " + s.cfg.Bucket
}

// StartUpload implements store.Resumer with CreateMultipartUpload.
func (s *Store) StartUpload(ctx context.Context, key string) (string, error) {
	var created struct {
		UploadID string `xml:"UploadId"`
	}
	_, err := s.do(ctx, &request{op: "create multipart upload", method: "POST", key: key, query: []sigv4.Param{{Name: "uploads"}}},
		func(resp *http.Response) error { return decodeXML(resp.Body, &created) })
	if err != nil {
		return "", err
	}
	if created.UploadID == "" {
		return "", &store.Error{Op: "create multipart upload", Key: key, Message: "no UploadId in the answer"}
	}
	return created.UploadID, nil
}

// UploadPart implements store.Resumer with UploadPart (Content-MD5 and a signed payload
// hash, so a damaged part is refused, not stored).
func (s *Store) UploadPart(ctx context.Context, key, id string, n int, data []byte) (store.Part, error) {
	if n < 1 || n > 10000 {
		return store.Part{}, &store.Error{Op: "upload part", Key: key, Err: fmt.Errorf("part number %d is outside 1..10000", n)}
	}
	etag, err := s.uploadPart(ctx, key, id, n, data)
	if err != nil {
		return store.Part{}, err
	}
	return store.Part{Number: n, Size: int64(len(data)), ETag: store.Unquote(etag)}, nil
}

// listedParts is one ListParts page.
type listedParts struct {
	IsTruncated          bool   `xml:"IsTruncated"`
	NextPartNumberMarker string `xml:"NextPartNumberMarker"`
	Parts                []struct {
		PartNumber int    `xml:"PartNumber"`
		Size       int64  `xml:"Size"`
		ETag       string `xml:"ETag"`
	} `xml:"Part"`
}

// ListParts implements store.Resumer with ListParts, page by page; NoSuchUpload (404) is
// ErrNotFound.
func (s *Store) ListParts(ctx context.Context, key, id string) ([]store.Part, error) {
	var out []store.Part
	marker := ""
	for {
		q := []sigv4.Param{{Name: "uploadId", Value: id}}
		if marker != "" {
			q = append(q, sigv4.Param{Name: "part-number-marker", Value: marker})
		}
		var page listedParts
		_, err := s.do(ctx, &request{op: "list parts", method: "GET", key: key, query: q}, func(resp *http.Response) error {
			page = listedParts{}
			return decodeXML(resp.Body, &page)
		})
		if err != nil {
			return nil, err
		}
		for _, p := range page.Parts {
			if n := len(out); n > 0 && p.PartNumber <= out[n-1].Number {
				continue // a server that repeats a page must not duplicate parts
			}
			out = append(out, store.Part{Number: p.PartNumber, Size: p.Size, ETag: store.Unquote(p.ETag)})
		}
		if !page.IsTruncated || page.NextPartNumberMarker == "" || page.NextPartNumberMarker == marker {
			return out, nil
		}
		marker = page.NextPartNumberMarker
	}
}

// CompleteUpload implements store.Resumer with CompleteMultipartUpload, carrying the
// condition like a Put's, and recognising its own earlier success on a retry as Put does.
func (s *Store) CompleteUpload(ctx context.Context, key, id string, parts []store.Part, c store.Cond) (store.Info, error) {
	if len(parts) == 0 {
		return store.Info{}, &store.Error{Op: "complete multipart upload", Key: key, Err: fmt.Errorf("no parts")}
	}
	cps := make([]completedPart, len(parts))
	var size int64
	for i, p := range parts {
		if i > 0 && p.Number <= parts[i-1].Number {
			return store.Info{}, &store.Error{Op: "complete multipart upload", Key: key, Err: fmt.Errorf("parts out of order at part %d", p.Number)}
		}
		cps[i] = completedPart{PartNumber: p.Number, ETag: `"` + store.Unquote(p.ETag) + `"`}
		size += p.Size
	}
	return s.complete(ctx, key, id, cps, c, size)
}

// AbortUpload implements store.Resumer with AbortMultipartUpload; a gone upload is fine.
func (s *Store) AbortUpload(ctx context.Context, key, id string) error {
	_, err := s.do(ctx, &request{op: "abort multipart upload", method: "DELETE", key: key,
		query: []sigv4.Param{{Name: "uploadId", Value: id}}}, nil)
	return store.IgnoreNotFound(err)
}
