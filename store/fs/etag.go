package fs

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"

	"git-remote-object-store/store"
)

// etagAttr holds the SHA-256 of an object's content, set on the temporary file before
// the rename so content and tag land together.
const etagAttr = "user.gros.sha256"

// fileETag is the ETag of the file f is open on, read through f itself and never through
// the path: a writer may rename a new version onto the path at any moment, and a reader
// that paired the old bytes with the new version's tag would win a compare-and-swap it
// should lose, silently dropping that writer's update.
//
// It is the content hash when the file carries one (every object this backend wrote, on
// file systems with user xattrs); otherwise a hash of the file's identity (size,
// modification time, file id), which changes with every write because every write is a
// new file renamed into place.
func fileETag(f *os.File, fi os.FileInfo) string {
	if tag, ok := readTag(f); ok {
		return tag
	}
	sum := sha256.Sum256(fmt.Appendf(nil, "%d:%d:%s", fi.Size(), fi.ModTime().UnixNano(), fileID(f, fi)))
	return hex.EncodeToString(sum[:16])
}

// tagValue is what the xattr holds for a content hash: its full hex form; the ETag is the
// first 32 digits, as long as an S3 ETag.
func tagValue(sum []byte) []byte { return []byte(hex.EncodeToString(sum)) }

func readTag(f *os.File) (string, bool) {
	buf := make([]byte, 64)
	if n, err := getTag(f, buf); err == nil && n == 64 {
		return string(buf[:32]), true
	}
	return "", false
}

// openInfo opens key's file and describes it from the open file, so the Info (and above
// all its ETag) belongs to exactly the bytes the returned file reads. A directory is a
// prefix, not an object: ErrNotFound.
func (s *Store) openInfo(op, key, p string) (*os.File, store.Info, error) {
	f, err := openObject(p)
	if err != nil {
		return nil, store.Info{}, s.openError(op, key, err)
	}
	fi, err := f.Stat()
	if err != nil || !fi.Mode().IsRegular() {
		f.Close()
		if err == nil {
			err = store.ErrNotFound
		}
		return nil, store.Info{}, &store.Error{Op: op, Key: key, Err: err}
	}
	return f, store.Info{Key: key, Size: fi.Size(), ETag: fileETag(f, fi), LastModified: fi.ModTime().UTC()}, nil
}
