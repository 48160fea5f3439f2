package s3

import (
	"bytes"
	"cmp"
	"context"
	"crypto/md5"
	"encoding/hex"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strconv"
	"sync"
	"time"

	"git-remote-object-store/sigv4"
	"git-remote-object-store/store"
)

type completedPart struct {
	PartNumber int    `xml:"PartNumber"`
	ETag       string `xml:"ETag"`
}

// putMultipart uploads first and the rest of body as parts, Concurrency at a time, each
// in its own buffer (so memory is Concurrency × PartSize), then completes the upload with
// the write's condition. Any failure or cancellation aborts the upload: nothing appears.
func (s *Store) putMultipart(ctx context.Context, key string, first []byte, body io.Reader, size int64, c store.Cond, m store.Meta) (store.Info, error) {
	h := http.Header{}
	metaHeaders(h, m)
	var created struct {
		UploadID string `xml:"UploadId"`
	}
	_, err := s.do(ctx, &request{op: "create multipart upload", method: "POST", key: key, header: h, query: []sigv4.Param{{Name: "uploads"}}},
		func(resp *http.Response) error { return decodeXML(resp.Body, &created) })
	if err != nil {
		return store.Info{}, err
	}
	if created.UploadID == "" {
		return store.Info{}, &store.Error{Op: "create multipart upload", Key: key, Message: "no UploadId in the answer"}
	}
	parts, total, err := s.uploadParts(ctx, key, created.UploadID, first, body)
	if err == nil && size >= 0 && total != size {
		err = &store.Error{Op: "put", Key: key, Err: fmt.Errorf("body has %d bytes, %d were announced", total, size)}
	}
	if err != nil {
		s.abort(key, created.UploadID)
		return store.Info{}, err
	}
	info, err := s.complete(ctx, key, created.UploadID, parts, c, total)
	if err != nil {
		s.abort(key, created.UploadID)
	}
	return info, err
}

func (s *Store) abort(key, uploadID string) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s.do(ctx, &request{op: "abort multipart upload", method: "DELETE", key: key, query: []sigv4.Param{{Name: "uploadId", Value: uploadID}}}, nil)
}

func (s *Store) uploadParts(ctx context.Context, key, uploadID string, first []byte, body io.Reader) ([]completedPart, int64, error) {
	var mu sync.Mutex
	var parts []completedPart
	total, err := store.SendParts(ctx, body, first, s.cfg.PartSize, s.cfg.Concurrency, 10000, func(ctx context.Context, n int, data []byte) error {
		etag, err := s.uploadPart(ctx, key, uploadID, n, data)
		if err != nil {
			return err
		}
		mu.Lock()
		parts = append(parts, completedPart{PartNumber: n, ETag: etag})
		mu.Unlock()
		return nil
	})
	if err != nil {
		if _, ok := err.(*store.Error); !ok {
			err = &store.Error{Op: "put", Key: key, Err: err}
		}
		return nil, 0, err
	}
	sort.Slice(parts, func(i, j int) bool { return parts[i].PartNumber < parts[j].PartNumber })
	return parts, total, nil
}

func (s *Store) uploadPart(ctx context.Context, key, uploadID string, n int, data []byte) (string, error) {
	var etag string
	_, err := s.do(ctx, &request{op: "upload part", method: "PUT", key: key, body: data, bodyMD5: true,
		query: []sigv4.Param{{Name: "partNumber", Value: strconv.Itoa(n)}, {Name: "uploadId", Value: uploadID}}},
		func(resp *http.Response) error {
			etag = resp.Header.Get("ETag")
			return nil
		})
	return etag, err
}

// complete commits the parts. S3 may answer 200 and put an <Error> in the body, so the
// body is always read. The ETag of a multipart object is md5(concatenated part md5s)-N,
// which lets a retried conditional complete recognise its own earlier success.
func (s *Store) complete(ctx context.Context, key, uploadID string, parts []completedPart, c store.Cond, size int64) (store.Info, error) {
	var b bytes.Buffer
	b.WriteString(`<CompleteMultipartUpload xmlns="http://s3.amazonaws.com/doc/2006-03-01/">`)
	all := md5.New()
	for _, p := range parts {
		fmt.Fprintf(&b, "<Part><PartNumber>%d</PartNumber><ETag>%s</ETag></Part>", p.PartNumber, xmlEscape(p.ETag))
		raw, _ := hex.DecodeString(store.Unquote(p.ETag))
		all.Write(raw)
	}
	b.WriteString("</CompleteMultipartUpload>")
	ours := hex.EncodeToString(all.Sum(nil)) + "-" + strconv.Itoa(len(parts))
	var in store.Info
	r := &request{op: "complete multipart upload", method: "POST", key: key, header: condHeaders(c), body: b.Bytes(),
		query: []sigv4.Param{{Name: "uploadId", Value: uploadID}}}
	attempts, err := s.do(ctx, r, func(resp *http.Response) error {
		data, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		if err != nil {
			return &store.Error{Op: r.op, Key: key, Err: err}
		}
		if e, ok := parseError(bytes.NewReader(data)); ok {
			se := &store.Error{Op: r.op, Key: key, Status: resp.StatusCode, Code: e.Code, Message: e.Message,
				Retryable: e.Code == "InternalError" || e.Code == "SlowDown"}
			if e.Code == "PreconditionFailed" || e.Code == "ConditionalRequestConflict" {
				se.Err = store.ErrPrecondition
			}
			return se
		}
		var res struct {
			ETag string `xml:"ETag"`
		}
		xml.Unmarshal(data, &res)
		in = store.Info{Key: key, Size: size, ETag: store.Unquote(cmp.Or(res.ETag, resp.Header.Get("ETag")))}
		return nil
	})
	return s.settle(ctx, key, in, err, attempts, c, ours, size)
}

func xmlEscape(s string) string {
	var b bytes.Buffer
	xml.EscapeText(&b, []byte(s))
	return b.String()
}

func decodeXML(r io.Reader, v any) error {
	data, err := io.ReadAll(io.LimitReader(r, 16<<20))
	if err != nil {
		return err
	}
	return xml.Unmarshal(data, v)
}
