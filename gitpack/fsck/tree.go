package fsck

import (
	"bytes"

	"git-remote-object-store/gitpack/object"
)

// Modes as git's tree entries write them.
const (
	modeTypeMask = 0o170000
	modeReg      = 0o100000
	modeDir      = 0o040000
	modeLink     = 0o120000
	modeGitlink  = 0o160000
)

func isReg(m uint16) bool  { return uint32(m)&modeTypeMask == modeReg }
func isDir(m uint16) bool  { return uint32(m)&modeTypeMask == modeDir }
func isLink(m uint16) bool { return uint32(m)&modeTypeMask == modeLink }

// treeEntry is one decoded entry of a tree, as git's tree-walk sees it.
type treeEntry struct {
	mode    uint16 // the octal digits as written, truncated to 16 bits as git does
	zeroPad bool   // the mode was written with a leading 0
	name    []byte
	id      []byte // raw
	next    []byte // what follows the entry
}

// decodeTreeEntry is git's decode_tree_entry: "<octal mode> <name>\0<raw id>". It fails
// like git (too short, malformed mode, empty name); ok is false then.
func decodeTreeEntry(buf []byte, hs int) (e treeEntry, ok bool) {
	size := len(buf)
	if size < hs+3 || buf[size-(hs+1)] != 0 {
		return e, false // too-short tree object
	}
	i := 0
	if buf[0] == ' ' {
		return e, false // malformed mode
	}
	var mode uint32
	for {
		c := buf[i]
		i++
		if c == ' ' {
			break
		}
		if c < '0' || c > '7' {
			return e, false
		}
		mode = mode<<3 + uint32(c-'0')
	}
	nul := bytes.IndexByte(buf[i:], 0) + i // exists: buf[size-hs-1] is one
	if nul == i {
		return e, false // empty filename
	}
	e = treeEntry{mode: uint16(mode), zeroPad: buf[0] == '0', name: buf[i:nul], id: buf[nul+1 : nul+1+hs], next: buf[nul+1+hs:]}
	return e, true
}

// checkTree is git's fsck_tree. It also returns the tree's links (for Options.Links)
// and the ids of the blobs it names .gitmodules and .gitattributes.
func checkTree(r *reporter, data []byte, found func(gitmodules bool, id []byte)) bool {
	hs := r.format.Size()
	var (
		hasNull, hasFullPath, hasEmpty, hasDot, hasDotdot, hasDotgit, hasZeroPad bool
		hasBadModes, hasDups, notSorted, hasLarge                                bool
		failed                                                                   bool
	)
	rep := func(id MsgID, text string) {
		if r.report(id, "%s", text) {
			failed = true
		}
	}
	if len(data) == 0 {
		return false
	}
	e, ok := decodeTreeEntry(data, hs)
	if !ok {
		rep(BadTree, "cannot be parsed as a tree")
		return failed
	}
	var (
		prevMode  uint16
		prevName  []byte
		havePrev  bool
		dfDupCand [][]byte
		maxLen    = r.opt.maxPathLen()
	)
	for {
		name := e.name
		hasNull = hasNull || isZeroID(e.id)
		hasFullPath = hasFullPath || bytes.IndexByte(name, '/') >= 0
		hasEmpty = hasEmpty || len(name) == 0
		hasDot = hasDot || string(name) == "."
		hasDotdot = hasDotdot || string(name) == ".."
		hasDotgit = hasDotgit || isHFSDotGit(name) || isNTFSDotGit(name)
		hasZeroPad = hasZeroPad || e.zeroPad
		hasLarge = hasLarge || len(name) > maxLen
		if isHFSDot(name, "gitmodules") || isNTFSDotGeneric(name, "gitmodules", "gi7eba") {
			if !isLink(e.mode) {
				found(true, e.id)
			} else {
				rep(GitmodulesSymlink, ".gitmodules is a symbolic link")
			}
		}
		if isHFSDot(name, "gitattributes") || isNTFSDotGeneric(name, "gitattributes", "gi7d29") {
			if !isLink(e.mode) {
				found(false, e.id)
			} else {
				rep(GitattributesSymlink, ".gitattributes is a symlink")
			}
		}
		if isLink(e.mode) {
			if isHFSDot(name, "gitignore") || isNTFSDotGeneric(name, "gitignore", "gi250a") {
				rep(GitignoreSymlink, ".gitignore is a symlink")
			}
			if isHFSDot(name, "mailmap") || isNTFSDotGeneric(name, "mailmap", "maba30") {
				rep(MailmapSymlink, ".mailmap is a symlink")
			}
		}
		// On Windows a backslash separates directories: what follows each one is a name.
		for rest := name; ; {
			k := bytes.IndexByte(rest, '\\')
			if k < 0 {
				break
			}
			rest = rest[k+1:]
			hasDotgit = hasDotgit || isNTFSDotGit(rest)
			if isNTFSDotGeneric(rest, "gitmodules", "gi7eba") {
				if !isLink(e.mode) {
					found(true, e.id)
				} else {
					rep(GitmodulesSymlink, ".gitmodules is a symbolic link")
				}
			}
		}
		var next treeEntry
		more := len(e.next) > 0
		if more {
			if next, ok = decodeTreeEntry(e.next, hs); !ok {
				rep(BadTree, "cannot be parsed as a tree")
				break
			}
		}
		switch uint32(e.mode) {
		case modeReg | 0o755, modeReg | 0o644, modeLink, modeDir, modeGitlink:
		case modeReg | 0o664:
			hasBadModes = hasBadModes || r.opt.Strict
		default:
			hasBadModes = true
		}
		if havePrev {
			switch verifyOrdered(prevMode, prevName, e.mode, name, &dfDupCand) {
			case treeUnordered:
				notSorted = true
			case treeHasDups:
				hasDups = true
			}
		}
		prevMode, prevName, havePrev = e.mode, name, true
		if !more {
			break
		}
		e = next
	}
	if hasNull {
		rep(NullSha1, "contains entries pointing to null sha1")
	}
	if hasFullPath {
		rep(FullPathname, "contains full pathnames")
	}
	if hasEmpty {
		rep(EmptyName, "contains empty pathname")
	}
	if hasDot {
		rep(HasDot, "contains '.'")
	}
	if hasDotdot {
		rep(HasDotdot, "contains '..'")
	}
	if hasDotgit {
		rep(HasDotgit, "contains '.git'")
	}
	if hasZeroPad {
		rep(ZeroPaddedFilemode, "contains zero-padded file modes")
	}
	if hasBadModes {
		rep(BadFilemode, "contains bad file modes")
	}
	if hasDups {
		rep(DuplicateEntries, "contains duplicate file entries")
	}
	if notSorted {
		rep(TreeNotSorted, "not properly sorted")
	}
	if hasLarge {
		rep(LargePathname, "contains excessively large pathname")
	}
	return failed
}

func isZeroID(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

const (
	treeOrdered = iota
	treeUnordered
	treeHasDups
)

func isLessThanSlash(c byte) bool { return c != 0 && c < '/' }

// verifyOrdered is git's verify_ordered: entries sort by name, a directory as if its
// name ended in '/'; two entries of one name are duplicates, also when they are not
// adjacent ("foo", "foo.bar", "foo/"), which the candidates stack catches.
func verifyOrdered(mode1 uint16, name1 []byte, mode2 uint16, name2 []byte, cand *[][]byte) int {
	n := min(len(name1), len(name2))
	if c := bytes.Compare(name1[:n], name2[:n]); c < 0 {
		return treeOrdered
	} else if c > 0 {
		return treeUnordered
	}
	c1, c2 := at(name1, n), at(name2, n)
	if c1 == 0 && c2 == 0 {
		return treeHasDups
	}
	if c1 == 0 && isDir(mode1) {
		c1 = '/'
	}
	if c2 == 0 && isDir(mode2) {
		c2 = '/'
	}
	if c1 == 0 && isLessThanSlash(c2) {
		*cand = append(*cand, name1)
	} else if c2 == '/' && isLessThanSlash(c1) {
		for len(*cand) > 0 {
			f := (*cand)[len(*cand)-1]
			*cand = (*cand)[:len(*cand)-1]
			if !bytes.HasPrefix(name2, f) {
				continue
			}
			p := name2[len(f):]
			if len(p) == 0 {
				return treeHasDups
			}
			if isLessThanSlash(p[0]) {
				*cand = append(*cand, f)
				break
			}
		}
	}
	if c1 < c2 {
		return treeOrdered
	}
	return treeUnordered
}

// treeLinks calls fn for each entry git's fsck_walk follows: directories as trees,
// files and symlinks as blobs (gitlinks, and modes git reads as gitlinks, are not
// followed). It stops at the first entry it cannot decode.
func treeLinks(data []byte, f object.Format, fn func(id []byte, t object.Type)) {
	hs := f.Size()
	for len(data) > 0 {
		e, ok := decodeTreeEntry(data, hs)
		if !ok {
			return
		}
		switch {
		case isDir(e.mode):
			fn(e.id, object.Tree)
		case isReg(e.mode), isLink(e.mode):
			fn(e.id, object.Blob)
		}
		data = e.next
	}
}
