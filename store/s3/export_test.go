package s3

import "context"

// LeaveUpload initiates a multipart upload of key and uploads one part, then walks away:
// what a Put leaves when its process dies between the parts and the complete. Tests only.
func (s *Store) LeaveUpload(ctx context.Context, key string) error {
	id, err := s.StartUpload(ctx, key)
	if err != nil {
		return err
	}
	_, err = s.UploadPart(ctx, key, id, 1, []byte("a part that is never completed\n"))
	return err
}
