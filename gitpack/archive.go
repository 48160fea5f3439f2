package gitpack

import (
	"archive/zip"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"git-remote-object-store/gitpack/attr"
	"git-remote-object-store/gitpack/gitconfig"
	"git-remote-object-store/gitpack/object"
)

// WriteZip streams the tree of commit as a zip archive, like `git archive --format=zip`:
// directories and files with their executable bit, symlinks as symlink entries,
// submodules (gitlinks) as empty directories, every entry stamped with the commit's
// committer date, and no entry for a directory holding nothing but directories left
// out. As git archive does, it honours the export-ignore and export-subst attributes of
// the .gitattributes files in the tree and of $GIT_DIR/info/attributes (see zipper).
func WriteZip(r *Repo, commit object.Hash, w io.Writer) error {
	t, data, err := r.Read(commit)
	if err != nil {
		return fmt.Errorf("zip %s: %w", commit, err)
	}
	for t == object.Tag {
		target, _, err := ParseTag(data, r.format)
		if err != nil {
			return fmt.Errorf("zip %s: %w", commit, err)
		}
		commit = target
		if t, data, err = r.Read(target); err != nil {
			return fmt.Errorf("zip %s: %w", commit, err)
		}
	}
	if t != object.Commit {
		return fmt.Errorf("zip %s: not a commit", commit)
	}
	cf, err := r.newCommitFormat(commit, data)
	if err != nil {
		return fmt.Errorf("zip: %w", err)
	}
	z := &zipper{r: r, zw: zip.NewWriter(w), mtime: committerTime(data), format: cf}
	if err := z.loadRepoAttributes(); err != nil {
		return fmt.Errorf("zip %s: %w", commit, err)
	}
	if err := z.tree(cf.tree, "", nil); err != nil {
		return fmt.Errorf("zip %s: %w", commit, err)
	}
	return z.zw.Close()
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

// zipper writes one archive.
//
// Attributes come from where git archive of a commit takes them: the .gitattributes
// files of the archived tree itself (not of the work tree or the index), so the mirror
// is the same whoever pushes, and $GIT_DIR/info/attributes, which git reads too. The
// user's core.attributesFile and the system-wide gitattributes, which git also reads,
// are deliberately left out: they belong to one user's machine, and a mirror that
// changed with whoever pushed last would be worse than one that ignores them.
type zipper struct {
	r      *Repo
	zw     *zip.Writer
	mtime  time.Time
	format *commitFormat
	info   *attr.File // $GIT_DIR/info/attributes, or nil
	fold   bool       // core.ignorecase
	// pending are the directories entered but not yet written, top first: git archive
	// writes a directory only once it reaches a non-tree entry somewhere inside it, so a
	// directory whose every subdirectory is left out does not appear at all.
	pending []string
}

func (z *zipper) flushDirs() error {
	for _, name := range z.pending {
		if err := z.dir(name); err != nil {
			return err
		}
	}
	z.pending = z.pending[:0]
	return nil
}

func (z *zipper) dir(name string) error {
	hdr := &zip.FileHeader{Name: name, Modified: z.mtime, Method: zip.Store}
	hdr.SetMode(fs.ModeDir | 0o777) // as git archive writes them; umask applies on extraction
	if _, err := z.zw.CreateHeader(hdr); err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	return nil
}

func (z *zipper) loadRepoAttributes() error {
	if v, ok := z.r.config.Lookup("core", "", "ignorecase"); ok {
		z.fold, _ = gitconfig.Bool(v, false)
	}
	p := filepath.Join(z.r.commonDir, "info", "attributes")
	data, err := os.ReadFile(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("read %s: %w", p, err)
	}
	z.info = attr.ParseDiskFile("", data)
	return nil
}

// stack is the attributes that apply in a directory whose .gitattributes files, top
// first, are files.
func (z *zipper) stack(files []*attr.File) attr.Stack {
	if z.info != nil {
		files = append(files[:len(files):len(files)], z.info)
	}
	return attr.Stack{Files: files, IgnoreCase: z.fold}
}

// tree writes the entries of tree under prefix ("" or ending in "/"); attrs are the
// .gitattributes files of the directories above it, top first.
func (z *zipper) tree(tree object.Hash, prefix string, attrs []*attr.File) error {
	_, data, err := z.r.Read(tree)
	if err != nil {
		return fmt.Errorf("read tree %s of %q: %w", tree, prefix, err)
	}
	entries, err := ParseTree(data, z.r.format)
	if err != nil {
		return fmt.Errorf("tree %s of %q: %w", tree, prefix, err)
	}
	// This directory's own .gitattributes applies to its entries even when it is itself
	// export-ignore'd, as in git, which reads attributes from the tree, not the archive.
	for _, e := range entries {
		if e.Name == ".gitattributes" && e.Mode&0o170000 == 0o100000 {
			_, blob, err := z.r.Read(e.Hash)
			if err != nil {
				return fmt.Errorf("read %s.gitattributes: %w", prefix, err)
			}
			attrs = append(attrs[:len(attrs):len(attrs)], attr.Parse(strings.TrimSuffix(prefix, "/"), blob))
		}
	}
	st := z.stack(attrs)
	for _, e := range entries {
		name := prefix + e.Name
		kind := e.Mode & 0o170000
		if kind == 0o040000 {
			if st.IsSet(name, true, "export-ignore") {
				continue
			}
			z.pending = append(z.pending, name+"/")
			if err := z.tree(e.Hash, name+"/", attrs); err != nil {
				return err
			}
			if len(z.pending) > 0 { // nothing below it was reached: git leaves it out
				z.pending = z.pending[:len(z.pending)-1]
			}
			continue
		}
		// Like git, the directories above are written on reaching anything but a tree,
		// whether or not that is left out itself.
		if err := z.flushDirs(); err != nil {
			return err
		}
		if st.IsSet(name, kind == 0o160000, "export-ignore") {
			continue
		}
		hdr := &zip.FileHeader{Name: name, Modified: z.mtime, Method: zip.Deflate}
		switch kind {
		case 0o160000:
			if err := z.dir(name + "/"); err != nil {
				return err
			}
			continue
		case 0o120000:
			hdr.SetMode(fs.ModeSymlink | 0o777)
			hdr.Method = zip.Store
		default:
			// git archive records a Unix mode for executables only; other files carry
			// none, which zip readers take as 0666 less the umask.
			if e.Mode&0o111 != 0 {
				hdr.SetMode(0o755)
			}
		}
		fw, err := z.zw.CreateHeader(hdr)
		if err != nil {
			return err
		}
		if kind != 0o120000 && st.IsSet(name, false, "export-subst") {
			_, blob, err := z.r.Read(e.Hash)
			if err != nil {
				return fmt.Errorf("read %s: %w", name, err)
			}
			if _, err := fw.Write(z.format.substitute(nil, blob)); err != nil {
				return fmt.Errorf("write %s: %w", name, err)
			}
			continue
		}
		_, _, blob, err := z.r.Open(e.Hash) // streamed: a blob may be larger than memory
		if err != nil {
			return fmt.Errorf("read %s: %w", name, err)
		}
		_, err = io.Copy(fw, blob)
		blob.Close()
		if err != nil {
			return fmt.Errorf("write %s: %w", name, err)
		}
	}
	return nil
}
