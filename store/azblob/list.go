package azblob

import (
	"context"
	"encoding/xml"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"git-remote-object-store/sigv4"
	"git-remote-object-store/store"
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
		in := store.Info{Key: b.Name, Size: b.Properties.ContentLength, ETag: store.Unquote(b.Properties.Etag)}
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
		q := []sigv4.Param{{Name: "restype", Value: "container"}, {Name: "comp", Value: "list"},
			{Name: "prefix", Value: prefix}, {Name: "maxresults", Value: strconv.Itoa(s.cfg.ListPageSize)}}
		if include != "" {
			q = append(q, sigv4.Param{Name: "include", Value: include})
		}
		if marker != "" {
			q = append(q, sigv4.Param{Name: "marker", Value: marker})
		}
		var page enumeration
		_, err := s.do(ctx, &request{op: op, method: "GET", key: prefix, container: true, query: q}, func(resp *http.Response) error {
			page = enumeration{}
			data, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
			if err != nil {
				return err
			}
			return xml.Unmarshal(data, &page)
		})
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
	_, err := s.do(ctx, &request{op: "create container", method: "PUT", container: true,
		query: []sigv4.Param{{Name: "restype", Value: "container"}}}, nil)
	if se, ok := err.(*store.Error); ok && se.Code == "ContainerAlreadyExists" {
		return nil
	}
	return err
}
