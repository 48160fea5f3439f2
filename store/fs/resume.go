package fs

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"git-remote-object-store/store"
)

var _ store.Resumer = (*Store)(nil)

// An upload is a set of files in <root>/.gros/tmp, beside Put's temporary files and
// named like them (tempPrefix first), so the Janitor reports what a dead upload leaves
// and removes it file by file:
//
//	put-<id>-upload        the key being uploaded (its presence is the upload)
//	put-<id>-part-<n>      part n, renamed into place once written and fsynced
//
// <id> is 24 hex digits. Completing concatenates the parts through Put, so the object
// lands by the same locked check-and-rename every write takes, then removes the files.
const (
	uploadIDLen  = 24
	uploadSuffix = "-upload"
	partInfix    = "-part-"
)

// ResumePartSize is the part size the directory backend asks for: a local directory has
// no minimum, so it only bounds the memory a resumable upload holds.
const ResumePartSize = 16 << 20

// PartSize implements store.Resumer.
func (s *Store) PartSize() int64 { return ResumePartSize }

// UploadScope implements store.Resumer: the bucket directory.
func (s *Store) UploadScope() string { return "fs " + s.root }

func (s *Store) tmpDir() string { return filepath.Join(s.root, stateDir, "tmp") }

func (s *Store) uploadFile(id string) string {
	return filepath.Join(s.tmpDir(), tempPrefix+id+uploadSuffix)
}

func (s *Store) partFile(id string, n int) string {
	return filepath.Join(s.tmpDir(), fmt.Sprintf("%s%s%s%05d", tempPrefix, id, partInfix, n))
}

func validUploadID(id string) bool {
	if len(id) != uploadIDLen {
		return false
	}
	_, err := hex.DecodeString(id)
	return err == nil && strings.ToLower(id) == id
}

// writeFile writes data to a temporary file, fsyncs it and renames it to name, so name
// holds all of data or does not exist.
func (s *Store) writeFile(name string, data []byte) error {
	f, err := s.createTemp()
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = replaceFile(f.Name(), name)
	}
	if err != nil {
		os.Remove(f.Name())
	}
	return err
}

// checkUpload returns ErrNotFound unless id is an upload of key in progress.
func (s *Store) checkUpload(op, key, id string) error {
	if _, err := s.path(op, key); err != nil {
		return err
	}
	if !validUploadID(id) {
		return &store.Error{Op: op, Key: key, Err: store.ErrNotFound, Message: fmt.Sprintf("upload id %q is not one of this store's", id)}
	}
	b, err := os.ReadFile(s.uploadFile(id))
	if errors.Is(err, os.ErrNotExist) || err == nil && string(b) != key {
		return &store.Error{Op: op, Key: key, Err: store.ErrNotFound, Message: "no upload " + id + " of this key"}
	}
	if err != nil {
		return &store.Error{Op: op, Key: key, Err: err}
	}
	return nil
}

// StartUpload implements store.Resumer.
func (s *Store) StartUpload(ctx context.Context, key string) (string, error) {
	if _, err := s.path("start upload", key); err != nil {
		return "", err
	}
	if err := s.ensureRoot("start upload", key); err != nil {
		return "", err
	}
	b := make([]byte, uploadIDLen/2)
	rand.Read(b)
	id := hex.EncodeToString(b)
	if err := s.writeFile(s.uploadFile(id), []byte(key)); err != nil {
		return "", &store.Error{Op: "start upload", Key: key, Err: err}
	}
	return id, nil
}

// UploadPart implements store.Resumer. It also touches the upload's record, so an
// upload that is still going does not look abandoned to the Janitor.
func (s *Store) UploadPart(ctx context.Context, key, id string, n int, data []byte) (store.Part, error) {
	if err := s.checkUpload("upload part", key, id); err != nil {
		return store.Part{}, err
	}
	if n < 1 || n > 99999 {
		return store.Part{}, &store.Error{Op: "upload part", Key: key, Err: fmt.Errorf("part number %d is outside 1..99999", n)}
	}
	if err := ctx.Err(); err != nil {
		return store.Part{}, err
	}
	if err := s.writeFile(s.partFile(id, n), data); err != nil {
		return store.Part{}, &store.Error{Op: "upload part", Key: key, Err: err}
	}
	now := time.Now()
	os.Chtimes(s.uploadFile(id), now, now)
	return store.Part{Number: n, Size: int64(len(data))}, nil
}

// ListParts implements store.Resumer.
func (s *Store) ListParts(ctx context.Context, key, id string) ([]store.Part, error) {
	if err := s.checkUpload("list parts", key, id); err != nil {
		return nil, err
	}
	entries, err := os.ReadDir(s.tmpDir())
	if err != nil {
		return nil, &store.Error{Op: "list parts", Key: key, Err: err}
	}
	head := tempPrefix + id + partInfix
	var out []store.Part
	for _, e := range entries {
		num, ok := strings.CutPrefix(e.Name(), head)
		if !ok || !e.Type().IsRegular() {
			continue
		}
		n, err := strconv.Atoi(num)
		if err != nil || n < 1 {
			continue
		}
		fi, err := e.Info()
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, &store.Error{Op: "list parts", Key: key, Err: err}
		}
		out = append(out, store.Part{Number: n, Size: fi.Size()})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Number < out[j].Number })
	return out, nil
}

// CompleteUpload implements store.Resumer: the parts, checked against their sizes, are
// streamed through Put (temporary file, fsync, then the condition checked and the file
// renamed into place under the bucket lock); then the upload's files are removed.
func (s *Store) CompleteUpload(ctx context.Context, key, id string, parts []store.Part, c store.Cond) (store.Info, error) {
	if err := s.checkUpload("complete upload", key, id); err != nil {
		return store.Info{}, err
	}
	if len(parts) == 0 {
		return store.Info{}, &store.Error{Op: "complete upload", Key: key, Err: errors.New("no parts")}
	}
	var total int64
	for i, p := range parts {
		if i > 0 && p.Number <= parts[i-1].Number {
			return store.Info{}, &store.Error{Op: "complete upload", Key: key, Err: fmt.Errorf("parts out of order at part %d", p.Number)}
		}
		if fi, err := os.Stat(s.partFile(id, p.Number)); err != nil || fi.Size() != p.Size {
			return store.Info{}, &store.Error{Op: "complete upload", Key: key, Code: "InvalidPart",
				Err: fmt.Errorf("part %d is missing or not the size it was listed with (%d bytes)", p.Number, p.Size)}
		}
		total += p.Size
	}
	pr := &partsReader{s: s, id: id, parts: parts}
	defer pr.close()
	info, err := s.Put(ctx, key, pr, total, c)
	if err != nil {
		return store.Info{}, err
	}
	s.removeUpload(id)
	return info, nil
}

// AbortUpload implements store.Resumer.
func (s *Store) AbortUpload(ctx context.Context, key, id string) error {
	if !validUploadID(id) {
		return nil
	}
	if err := s.checkUpload("abort upload", key, id); err != nil {
		return store.IgnoreNotFound(err)
	}
	return s.removeUpload(id)
}

// removeUpload removes an upload's parts, then its record.
func (s *Store) removeUpload(id string) error {
	entries, err := os.ReadDir(s.tmpDir())
	if err != nil {
		return &store.Error{Op: "abort upload", Key: id, Err: err}
	}
	var errs []error
	head := tempPrefix + id + partInfix
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), head) {
			if err := os.Remove(filepath.Join(s.tmpDir(), e.Name())); err != nil && !errors.Is(err, os.ErrNotExist) {
				errs = append(errs, err)
			}
		}
	}
	if err := os.Remove(s.uploadFile(id)); err != nil && !errors.Is(err, os.ErrNotExist) {
		errs = append(errs, err)
	}
	if len(errs) > 0 {
		return &store.Error{Op: "abort upload", Key: id, Err: errors.Join(errs...)}
	}
	return nil
}

// partsReader reads an upload's parts one after the other, one file open at a time, each
// cut to the size it was listed with (so a part rewritten meanwhile cannot make the
// object longer; Put checks the total).
type partsReader struct {
	s     *Store
	id    string
	parts []store.Part
	cur   *os.File
	left  io.Reader
}

func (r *partsReader) Read(p []byte) (int, error) {
	for {
		if r.left != nil {
			n, err := r.left.Read(p)
			if err != io.EOF || n > 0 {
				return n, err
			}
			r.close()
		}
		if len(r.parts) == 0 {
			return 0, io.EOF
		}
		f, err := os.Open(r.s.partFile(r.id, r.parts[0].Number))
		if err != nil {
			return 0, fmt.Errorf("part %d: %w", r.parts[0].Number, err)
		}
		r.cur, r.left = f, io.LimitReader(f, r.parts[0].Size)
		r.parts = r.parts[1:]
	}
}

func (r *partsReader) close() {
	if r.cur != nil {
		r.cur.Close()
	}
	r.cur, r.left = nil, nil
}
