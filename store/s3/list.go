package s3

import (
	"context"
	"strconv"
	"strings"
	"time"

	"git-remote-object-store/internal/uriencode"
	"git-remote-object-store/store"
	"git-remote-object-store/store/internal/httpstore"
)

// listResult is one ListObjectsV2 page.
type listResult struct {
	IsTruncated           bool   `xml:"IsTruncated"`
	NextContinuationToken string `xml:"NextContinuationToken"`
	Contents              []struct {
		Key          string `xml:"Key"`
		LastModified string `xml:"LastModified"`
		ETag         string `xml:"ETag"`
		Size         int64  `xml:"Size"`
	} `xml:"Contents"`
}

// List implements store.Store with ListObjectsV2, page by page.
func (s *Store) List(ctx context.Context, prefix string, fn func(store.Info) error) error {
	token := ""
	last := ""
	for {
		q := []uriencode.Param{{Name: "list-type", Value: "2"}, {Name: "prefix", Value: prefix},
			{Name: "max-keys", Value: strconv.Itoa(s.cfg.ListPageSize)}}
		if token != "" {
			q = append(q, uriencode.Param{Name: "continuation-token", Value: token})
		}
		page, _, err := httpstore.DoXML[listResult](ctx, s.http, &httpstore.Request{Op: "list", Method: "GET", Bucket: true, Query: q})
		if err != nil {
			if se, ok := err.(*store.Error); ok && se.Key == "" {
				se.Key = prefix
			}
			return err
		}
		for _, c := range page.Contents {
			if !strings.HasPrefix(c.Key, prefix) || c.Key <= last && last != "" {
				continue // a misbehaving server must not make us loop or leak other keys
			}
			last = c.Key
			in := store.Info{Key: c.Key, Size: c.Size, ETag: httpstore.Unquote(c.ETag)}
			if t, err := time.Parse(time.RFC3339Nano, c.LastModified); err == nil {
				in.LastModified = t.UTC()
			}
			if err := fn(in); err != nil {
				return err
			}
		}
		if !page.IsTruncated || page.NextContinuationToken == "" || page.NextContinuationToken == token {
			return nil
		}
		token = page.NextContinuationToken
	}
}

// CreateBucket makes the bucket; one that already exists and is ours is fine.
func (s *Store) CreateBucket(ctx context.Context) error {
	var body []byte
	if s.cfg.Region != "us-east-1" {
		body = []byte(`<CreateBucketConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><LocationConstraint>` +
			xmlEscape(s.cfg.Region) + `</LocationConstraint></CreateBucketConfiguration>`)
	}
	_, err := s.http.Do(ctx, &httpstore.Request{Op: "create bucket", Method: "PUT", Bucket: true, Body: body}, nil)
	if se, ok := err.(*store.Error); ok && (se.Code == "BucketAlreadyOwnedByYou" || se.Code == "BucketAlreadyExists" && se.Status == 409) {
		return nil
	}
	return err
}
