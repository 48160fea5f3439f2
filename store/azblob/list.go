package azblob

import (
	"context"
	"strconv"
	"strings"
	"time"

	"git-remote-object-store/internal/uriencode"
	"git-remote-object-store/store"
	"git-remote-object-store/store/internal/httpstore"
)

// blobEntry is one blob of a List Blobs page. With include=uncommittedblobs a blob that
// has only uncommitted blocks is listed with Content-Length 0, and a committed blob with
// stray blocks as the committed blob.
type blobEntry struct {
	Name       string `xml:"Name"`
	Properties struct {
		CreationTime  string `xml:"Creation-Time"`
		LastModified  string `xml:"Last-Modified"`
		Etag          string `xml:"Etag"`
		ContentLength int64  `xml:"Content-Length"`
	} `xml:"Properties"`
}

type enumeration struct {
	Blobs      []blobEntry `xml:"Blobs>Blob"`
	NextMarker string      `xml:"NextMarker"`
}

// List implements store.Store with List Blobs, page by page.
func (s *Store) List(ctx context.Context, prefix string, fn func(store.Info) error) error {
	return s.listBlobs(ctx, "list", prefix, "", func(b blobEntry) error {
		in := store.Info{Key: b.Name, Size: b.Properties.ContentLength, ETag: httpstore.Unquote(b.Properties.Etag)}
		if t, err := time.Parse(time.RFC1123, b.Properties.LastModified); err == nil {
			in.LastModified = t.UTC()
		}
		return fn(in)
	})
}

// listBlobs calls fn for every blob below prefix, page by page, in key order; include is
// List Blobs' include= ("" for none). A page that repeats or goes back is skipped over,
// so a server that misbehaves cannot make a listing loop.
func (s *Store) listBlobs(ctx context.Context, op, prefix, include string, fn func(blobEntry) error) error {
	marker, last := "", ""
	for {
		q := []uriencode.Param{{Name: "restype", Value: "container"}, {Name: "comp", Value: "list"},
			{Name: "prefix", Value: prefix}, {Name: "maxresults", Value: strconv.Itoa(s.cfg.ListPageSize)}}
		if include != "" {
			q = append(q, uriencode.Param{Name: "include", Value: include})
		}
		if marker != "" {
			q = append(q, uriencode.Param{Name: "marker", Value: marker})
		}
		page, _, err := httpstore.DoXML[enumeration](ctx, s.http, &httpstore.Request{Op: op, Method: "GET", Key: prefix, Bucket: true, Query: q})
		if err != nil {
			return err
		}
		for _, b := range page.Blobs {
			if !strings.HasPrefix(b.Name, prefix) || last != "" && b.Name <= last {
				continue
			}
			last = b.Name
			if err := fn(b); err != nil {
				return err
			}
		}
		if page.NextMarker == "" || page.NextMarker == marker {
			return nil
		}
		marker = page.NextMarker
	}
}

// CreateContainer makes the container; one that already exists is fine.
func (s *Store) CreateContainer(ctx context.Context) error {
	_, err := s.http.Do(ctx, &httpstore.Request{Op: "create container", Method: "PUT", Bucket: true,
		Query: []uriencode.Param{{Name: "restype", Value: "container"}}}, nil)
	if se, ok := err.(*store.Error); ok && se.Code == "ContainerAlreadyExists" {
		return nil
	}
	return err
}
