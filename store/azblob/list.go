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

type enumeration struct {
	Blobs []struct {
		Name       string `xml:"Name"`
		Properties struct {
			LastModified  string `xml:"Last-Modified"`
			Etag          string `xml:"Etag"`
			ContentLength int64  `xml:"Content-Length"`
		} `xml:"Properties"`
	} `xml:"Blobs>Blob"`
	NextMarker string `xml:"NextMarker"`
}

// List implements store.Store with List Blobs, page by page.
func (s *Store) List(ctx context.Context, prefix string, fn func(store.Info) error) error {
	marker, last := "", ""
	for {
		q := []sigv4.Param{{Name: "restype", Value: "container"}, {Name: "comp", Value: "list"},
			{Name: "prefix", Value: prefix}, {Name: "maxresults", Value: strconv.Itoa(s.cfg.ListPageSize)}}
		if marker != "" {
			q = append(q, sigv4.Param{Name: "marker", Value: marker})
		}
		var page enumeration
		_, err := s.do(ctx, &request{op: "list", method: "GET", key: prefix, container: true, query: q}, func(resp *http.Response) error {
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
			in := store.Info{Key: b.Name, Size: b.Properties.ContentLength, ETag: store.Unquote(b.Properties.Etag)}
			if t, err := time.Parse(time.RFC1123, b.Properties.LastModified); err == nil {
				in.LastModified = t.UTC()
			}
			if err := fn(in); err != nil {
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
