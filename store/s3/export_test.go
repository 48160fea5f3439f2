package s3

import (
	"context"
	"net/http"

	"git-remote-object-store/sigv4"
	"git-remote-object-store/store"
)

// LeaveUpload initiates a multipart upload of key and uploads one part, then walks away:
// what a Put leaves when its process dies between the parts and the complete. Tests only.
func (s *Store) LeaveUpload(ctx context.Context, key string) error {
	var created struct {
		UploadID string `xml:"UploadId"`
	}
	_, err := s.do(ctx, &request{op: "create multipart upload", method: "POST", key: key, query: []sigv4.Param{{Name: "uploads"}}},
		func(resp *http.Response) error { return decodeXML(resp.Body, &created) })
	if err != nil {
		return err
	}
	if created.UploadID == "" {
		return &store.Error{Op: "create multipart upload", Key: key, Message: "no UploadId in the answer"}
	}
	_, err = s.uploadPart(ctx, key, created.UploadID, 1, []byte("a part that is never completed\n"))
	return err
}
