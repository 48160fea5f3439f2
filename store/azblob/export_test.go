package azblob

import (
	"context"
	"crypto/rand"
	"encoding/base64"
)

// StageBlock uploads one block for key and never commits it: what a Put leaves when its
// process dies before Put Block List. Tests only.
func (s *Store) StageBlock(ctx context.Context, key string) error {
	id := make([]byte, 24)
	rand.Read(id)
	return s.putBlock(ctx, key, base64.StdEncoding.EncodeToString(id), []byte("a block that is never committed\n"))
}
