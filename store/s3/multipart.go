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

	"git-remote-object-store/internal/uriencode"
	"git-remote-object-store/store"
	"git-remote-object-store/store/internal/httpstore"
)

// S3's multipart upload, shared by Put (putMultipart) and the resumable uploads of
// resume.go: create, upload parts, complete with the write's condition, or abort.

// initiated is a CreateMultipartUpload answer.
type initiated struct {
	UploadID string `xml:"UploadId"`
}

type completedPart struct {
	PartNumber int    `xml:"PartNumber"`
	ETag       string `xml:"ETag"`
}

// putMultipart uploads first and the rest of body as parts, Concurrency at a time, each
// in its own buffer (so memory is Concurrency × PartSize), then completes the upload with
// the write's condition. Any failure or cancellation aborts the upload: nothing appears.
func (s *Store) putMultipart(ctx context.Context, key string, first []byte, body io.Reader, size int64, c store.Cond, m store.Meta) (store.Info, error) {
	uploadID, err := s.createUpload(ctx, key, httpstore.MetaHeader(m, metaNames))
	if err != nil {
		return store.Info{}, err
	}
	var mu sync.Mutex
	var parts []completedPart
	total, err := httpstore.SendParts(ctx, key, body, first, size, s.cfg.PartSize, s.cfg.Concurrency, 10000, func(ctx context.Context, n int, data []byte) error {
		etag, err := s.uploadPart(ctx, key, uploadID, n, data, nil)
		if err != nil {
			return err
		}
		mu.Lock()
		parts = append(parts, completedPart{PartNumber: n, ETag: etag})
		mu.Unlock()
		return nil
	})
	if err != nil {
		s.abort(key, uploadID)
		return store.Info{}, err
	}
	sort.Slice(parts, func(i, j int) bool { return parts[i].PartNumber < parts[j].PartNumber })
	info, err := s.complete(ctx, key, uploadID, parts, c, total)
	if err != nil {
		s.abort(key, uploadID)
	}
	return info, err
}

// createUpload begins a multipart upload of key (CreateMultipartUpload) with the object
// headers h (metadata; nil for none) and returns its id.
func (s *Store) createUpload(ctx context.Context, key string, h http.Header) (string, error) {
	created, _, err := httpstore.DoXML[initiated](ctx, s.http, &httpstore.Request{Op: "create multipart upload", Method: "POST",
		Key: key, Header: h, Query: []uriencode.Param{{Name: "uploads"}}})
	if err != nil {
		return "", err
	}
	if created.UploadID == "" {
		return "", &store.Error{Op: "create multipart upload", Key: key, Message: "no UploadId in the answer"}
	}
	return created.UploadID, nil
}

// abort drops a failed Put's upload, even when the Put's context has ended; its own
// failure is left to a Janitor to clean up.
func (s *Store) abort(key, uploadID string) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s.AbortUpload(ctx, key, uploadID)
}

// uploadPart stores part n (UploadPart, with Content-MD5 and a signed payload hash, so a
// damaged part is refused, not stored) and returns its ETag as S3 quoted it.
func (s *Store) uploadPart(ctx context.Context, key, uploadID string, n int, data []byte, sum *[32]byte) (string, error) {
	var etag string
	_, err := s.http.Do(ctx, &httpstore.Request{Op: "upload part", Method: "PUT", Key: key, Body: data, BodyMD5: true, BodySHA256: sum,
		Query: []uriencode.Param{{Name: "partNumber", Value: strconv.Itoa(n)}, {Name: "uploadId", Value: uploadID}}},
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
		raw, _ := hex.DecodeString(httpstore.Unquote(p.ETag))
		all.Write(raw)
	}
	b.WriteString("</CompleteMultipartUpload>")
	ours := hex.EncodeToString(all.Sum(nil)) + "-" + strconv.Itoa(len(parts))
	var in store.Info
	r := &httpstore.Request{Op: "complete multipart upload", Method: "POST", Key: key, Header: httpstore.CondHeader(c), Body: b.Bytes(),
		Query: []uriencode.Param{{Name: "uploadId", Value: uploadID}}}
	attempts, err := s.http.Do(ctx, r, func(resp *http.Response) error {
		data, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		if err != nil {
			return &store.Error{Op: r.Op, Key: key, Err: err}
		}
		if e, ok := parseError(bytes.NewReader(data)); ok {
			se := &store.Error{Op: r.Op, Key: key, Status: resp.StatusCode, Code: e.Code, Message: e.Message,
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
		in = store.Info{Key: key, Size: size, ETag: httpstore.Unquote(cmp.Or(res.ETag, resp.Header.Get("ETag")))}
		return nil
	})
	return s.http.Settle(ctx, key, in, err, attempts, c, etagIs(ours, size))
}

func xmlEscape(s string) string {
	var b bytes.Buffer
	xml.EscapeText(&b, []byte(s))
	return b.String()
}
