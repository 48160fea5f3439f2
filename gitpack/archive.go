package gitpack

import (
	"archive/zip"
	"bytes"
	"fmt"
	"io"
	"io/fs"
	"strconv"
	"time"

	"git-remote-object-store/gitpack/object"
)

// WriteZip streams the tree of commit as a zip archive, like `git archive --format=zip`:
// directories and files with their executable bit, symlinks as symlink entries, every
// entry stamped with the commit's committer date; submodules (gitlinks) are skipped.
func WriteZip(r *Repo, commit object.Hash, w io.Writer) error {
	t, data, err := r.Read(commit)
	if err != nil {
		return fmt.Errorf("zip %s: %w", commit, err)
	}
	for t == object.Tag {
		target, _, err := ParseTag(data, r.format)
		if err != nil {
			return err
		}
		if t, data, err = r.Read(target); err != nil {
			return err
		}
	}
	if t != object.Commit {
		return fmt.Errorf("zip %s: not a commit", commit)
	}
	tree, _, err := ParseCommit(data, r.format)
	if err != nil {
		return err
	}
	mtime := committerTime(data)
	zw := zip.NewWriter(w)
	if err := r.zipTree(zw, tree, "", mtime); err != nil {
		return err
	}
	return zw.Close()
}

func committerTime(commit []byte) time.Time {
	for _, line := range bytes.Split(commit, []byte("\n")) {
		if len(line) == 0 {
			break
		}
		if rest, ok := bytes.CutPrefix(line, []byte("committer ")); ok {
			f := bytes.Fields(rest)
			if len(f) >= 2 {
				if secs, err := strconv.ParseInt(string(f[len(f)-2]), 10, 64); err == nil {
					return time.Unix(secs, 0).UTC()
				}
			}
		}
	}
	return time.Unix(0, 0).UTC()
}

func (r *Repo) zipTree(zw *zip.Writer, tree object.Hash, prefix string, mtime time.Time) error {
	_, data, err := r.Read(tree)
	if err != nil {
		return err
	}
	entries, err := ParseTree(data, r.format)
	if err != nil {
		return err
	}
	for _, e := range entries {
		name := prefix + e.Name
		hdr := &zip.FileHeader{Name: name, Modified: mtime, Method: zip.Deflate}
		switch e.Mode & 0o170000 {
		case 0o160000:
			continue
		case 0o040000:
			hdr.Name += "/"
			hdr.Method = zip.Store
			hdr.SetMode(fs.ModeDir | 0o777) // as git archive writes them; umask applies on extraction
			if _, err := zw.CreateHeader(hdr); err != nil {
				return err
			}
			if err := r.zipTree(zw, e.Hash, name+"/", mtime); err != nil {
				return err
			}
			continue
		case 0o120000:
			hdr.SetMode(fs.ModeSymlink | 0o777)
			hdr.Method = zip.Store
		default:
			mode := fs.FileMode(0o644)
			if e.Mode&0o111 != 0 {
				mode = 0o755
			}
			hdr.SetMode(mode)
		}
		fw, err := zw.CreateHeader(hdr)
		if err != nil {
			return err
		}
		_, _, blob, err := r.Open(e.Hash) // streamed: a blob may be larger than memory
		if err != nil {
			return fmt.Errorf("zip %s: %w", name, err)
		}
		_, err = io.Copy(fw, blob)
		blob.Close()
		if err != nil {
			return fmt.Errorf("zip %s: %w", name, err)
		}
	}
	return nil
}
