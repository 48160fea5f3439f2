package azblob

import (
	"context"
	"crypto/rand"
	"encoding/base64"

	"git-remote-object-store/sigv4"
)

// StageBlock uploads one block for key and never commits it: what a Put leaves when its
// process dies before Put Block List. Tests only.
func (s *Store) StageBlock(ctx context.Context, key string) error {
	id := make([]byte, 24)
	rand.Read(id)
	_, err := s.do(ctx, &request{op: "put block", method: "PUT", key: key, body: []byte("a block that is never committed\n"), bodyMD5: true,
		query: []sigv4.Param{{Name: "comp", Value: "block"}, {Name: "blockid", Value: base64.StdEncoding.EncodeToString(id)}}}, nil)
	return err
}
