package s3

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"git-remote-object-store/internal/uriencode"
	"git-remote-object-store/store"
	"git-remote-object-store/store/internal/httpstore"
)

var _ store.Janitor = (*Store)(nil)

// uploadsPage is one ListMultipartUploads page.
type uploadsPage struct {
	IsTruncated        bool   `xml:"IsTruncated"`
	NextKeyMarker      string `xml:"NextKeyMarker"`
	NextUploadIDMarker string `xml:"NextUploadIdMarker"`
	Uploads            []struct {
		Key       string `xml:"Key"`
		UploadID  string `xml:"UploadId"`
		Initiated string `xml:"Initiated"`
	} `xml:"Upload"`
}

// ListGarbage implements store.Janitor: the bucket's multipart uploads below prefix that
// were initiated before olderThan (ListMultipartUploads, page by page), each with the
// bytes its parts hold (ListParts). An upload that completes or is aborted while it is
// being listed is skipped. Listing needs s3:ListBucketMultipartUploads (and
// s3:ListMultipartUploadParts for the sizes).
func (s *Store) ListGarbage(ctx context.Context, prefix string, olderThan time.Time, fn func(store.Garbage) error) error {
	keyMarker, idMarker := "", ""
	for {
		q := []uriencode.Param{{Name: "uploads"}, {Name: "prefix", Value: prefix},
			{Name: "max-uploads", Value: strconv.Itoa(s.cfg.ListPageSize)}}
		if keyMarker != "" {
			q = append(q, uriencode.Param{Name: "key-marker", Value: keyMarker}, uriencode.Param{Name: "upload-id-marker", Value: idMarker})
		}
		page, _, err := httpstore.DoXML[uploadsPage](ctx, s.http, &httpstore.Request{Op: "list multipart uploads", Method: "GET", Bucket: true, Query: q})
		if se, ok := err.(*store.Error); ok && idMarker != "" && se.Status == 400 && se.Code == "InvalidArgument" {
			// versitygw (1.8.0) rejects the upload-id-marker it handed out: it drops the
			// marker's key before looking for the id. Go on after the key alone; more
			// uploads of that same key, if any, are found by the next run.
			idMarker = ""
			continue
		}
		if err != nil {
			return err
		}
		for _, u := range page.Uploads {
			if !strings.HasPrefix(u.Key, prefix) || u.UploadID == "" {
				continue // a misbehaving server must not leak other keys
			}
			started, err := time.Parse(time.RFC3339Nano, u.Initiated)
			if err != nil || !started.Before(olderThan) {
				continue // too young, or no date to judge by: never guess "abandoned"
			}
			size, err := s.uploadSize(ctx, u.Key, u.UploadID)
			if errors.Is(err, store.ErrNotFound) {
				continue // completed or aborted meanwhile
			}
			if err != nil {
				return err
			}
			g := store.Garbage{Kind: store.GarbageMultipart, Key: u.Key, Size: size, Time: started.UTC(), ID: u.UploadID}
			if err := fn(g); err != nil {
				return err
			}
		}
		if !page.IsTruncated || page.NextKeyMarker == "" ||
			page.NextKeyMarker == keyMarker && page.NextUploadIDMarker == idMarker {
			return nil
		}
		keyMarker, idMarker = page.NextKeyMarker, page.NextUploadIDMarker
	}
}

// uploadSize sums the sizes of an upload's parts.
func (s *Store) uploadSize(ctx context.Context, key, uploadID string) (int64, error) {
	var total int64
	err := s.eachPart(ctx, key, uploadID, func(p listedPart) { total += p.Size })
	return total, err
}

// RemoveGarbage implements store.Janitor with AbortMultipartUpload, which frees the
// upload's parts and never touches an object stored under the same key. An upload that
// is already gone (NoSuchUpload) is fine.
func (s *Store) RemoveGarbage(ctx context.Context, g store.Garbage) error {
	if g.Kind != store.GarbageMultipart || g.Key == "" || g.ID == "" {
		return &store.Error{Op: "abort multipart upload", Key: g.Key, Err: fmt.Errorf("not a multipart upload of this store: %v", g)}
	}
	return s.AbortUpload(ctx, g.Key, g.ID)
}
