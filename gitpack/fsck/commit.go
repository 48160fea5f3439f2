package fsck

import (
	"bytes"
	"math"
	"strconv"

	"git-remote-object-store/gitpack/object"
)

// verifyHeaders is git's verify_headers: the header of a commit or tag has no NUL and
// ends with a newline (at the blank line before the message, or at the end). Later
// checks rely on it: every header line they scan ends in '\n'.
func verifyHeaders(r *reporter, data []byte) bool {
	for i, c := range data {
		switch c {
		case 0:
			return r.report(NulInHeader, "unterminated header: NUL at offset %d", i)
		case '\n':
			if i+1 < len(data) && data[i+1] == '\n' {
				return false
			}
		}
	}
	if len(data) > 0 && data[len(data)-1] == '\n' {
		return false
	}
	return r.report(UnterminatedHeader, "unterminated header")
}

// parseHex reads a full hex id (either case) at data[i:], as parse_oid_hex does; end is
// just past it.
func parseHex(data []byte, i int, f object.Format) (end int, ok bool) {
	n := f.HexSize()
	if i+n > len(data) {
		return i, false
	}
	for _, c := range data[i : i+n] {
		if !isHex(c) {
			return i, false
		}
	}
	return i + n, true
}

func isHex(c byte) bool { return isDigit(c) || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' }

// nextLine is the index just past the newline at or after i (or len(data)).
func nextLine(data []byte, i int) int {
	if k := bytes.IndexByte(data[min(i, len(data)):], '\n'); k >= 0 {
		return i + k + 1
	}
	return len(data)
}

// checkIdent is git's fsck_ident on the ident starting at data[*i] (after "author "):
// "Name <email> 1234567890 +0000\n". *i moves to the next line whatever is found.
func checkIdent(r *reporter, data []byte, i *int) bool {
	p := *i
	*i = nextLine(data, p)
	c := func(k int) byte { return at(data, k) }
	if c(p) == '<' {
		return r.report(MissingNameBeforeEmail, "invalid author/committer line - missing space before email")
	}
	for {
		if p >= len(data) || c(p) == '\n' {
			return r.report(MissingEmail, "invalid author/committer line - missing email")
		}
		if c(p) == '>' {
			return r.report(BadName, "invalid author/committer line - bad name")
		}
		if c(p) == '<' {
			break
		}
		p++
	}
	if c(p-1) != ' ' {
		return r.report(MissingSpaceBeforeEmail, "invalid author/committer line - missing space before email")
	}
	p++
	for {
		if p >= len(data) || c(p) == '<' || c(p) == '\n' {
			return r.report(BadEmail, "invalid author/committer line - bad email")
		}
		if c(p) == '>' {
			break
		}
		p++
	}
	p++
	if c(p) != ' ' {
		return r.report(MissingSpaceBeforeDate, "invalid author/committer line - missing space before date")
	}
	p++
	for c(p) == ' ' || c(p) == '\t' {
		p++
	}
	if !isDigit(c(p)) {
		return r.report(BadDate, "invalid author/committer line - bad date")
	}
	if c(p) == '0' && c(p+1) != ' ' {
		return r.report(ZeroPaddedDate, "invalid author/committer line - zero-padded date")
	}
	if dateOverflows(data, &p) {
		return r.report(BadDateOverflow, "invalid author/committer line - date causes integer overflow")
	}
	if c(p) != ' ' {
		return r.report(BadDate, "invalid author/committer line - bad date")
	}
	p++
	if (c(p) != '+' && c(p) != '-') || !isDigit(c(p+1)) || !isDigit(c(p+2)) || !isDigit(c(p+3)) || !isDigit(c(p+4)) || c(p+5) != '\n' {
		return r.report(BadTimezone, "invalid author/committer line - bad time zone")
	}
	return false
}

// dateOverflows reads the timestamp at data[*p] as git's parse_timestamp_from_buf and
// date_overflows do: more than 23 digits, or a value that does not fit a signed 64-bit
// time_t, overflows (and then *p stays put, as in git).
func dateOverflows(data []byte, p *int) bool {
	q := *p
	for q < len(data) && isDigit(data[q]) {
		if q-*p >= 23 {
			return true
		}
		q++
	}
	v, err := strconv.ParseUint(string(data[*p:q]), 10, 64)
	*p = q
	return err != nil || v > math.MaxInt64
}

// checkCommit is git's fsck_commit.
func checkCommit(r *reporter, data []byte) bool {
	if verifyHeaders(r, data) {
		return true
	}
	f := r.format
	i := 0
	if !bytes.HasPrefix(data, []byte("tree ")) {
		return r.report(MissingTree, "invalid format - expected 'tree' line")
	}
	i += 5
	if end, ok := parseHex(data, i, f); !ok || at(data, end) != '\n' {
		if r.report(BadTreeSha1, "invalid 'tree' line format - bad sha1") {
			return true
		}
		i = nextLine(data, i) // (git reads on from where its parse stopped)
	} else {
		i = end + 1
	}
	for i < len(data) && bytes.HasPrefix(data[i:], []byte("parent ")) {
		i += 7
		if end, ok := parseHex(data, i, f); !ok || at(data, end) != '\n' {
			if r.report(BadParentSha1, "invalid 'parent' line format - bad sha1") {
				return true
			}
			i = nextLine(data, i)
		} else {
			i = end + 1
		}
	}
	authors := 0
	for i < len(data) && bytes.HasPrefix(data[i:], []byte("author ")) {
		authors++
		i += 7
		if checkIdent(r, data, &i) {
			return true
		}
	}
	if authors < 1 {
		if r.report(MissingAuthor, "invalid format - expected 'author' line") {
			return true
		}
	} else if authors > 1 {
		if r.report(MultipleAuthors, "invalid format - multiple 'author' lines") {
			return true
		}
	}
	if i >= len(data) || !bytes.HasPrefix(data[i:], []byte("committer ")) {
		return r.report(MissingCommitter, "invalid format - expected 'committer' line")
	}
	i += 10
	if checkIdent(r, data, &i) {
		return true
	}
	if bytes.IndexByte(data, 0) >= 0 {
		return r.report(NulInCommit, "NUL byte in the commit object body")
	}
	return false
}

// checkTag is git's fsck_tag.
func checkTag(r *reporter, data []byte) bool {
	if verifyHeaders(r, data) {
		return true
	}
	f := r.format
	i := 0
	if !bytes.HasPrefix(data, []byte("object ")) {
		return r.report(MissingObject, "invalid format - expected 'object' line")
	}
	i += 7
	if end, ok := parseHex(data, i, f); !ok || at(data, end) != '\n' {
		if r.report(BadObjectSha1, "invalid 'object' line format - bad sha1") {
			return true
		}
		i = nextLine(data, i)
	} else {
		i = end + 1
	}
	if i >= len(data) || !bytes.HasPrefix(data[i:], []byte("type ")) {
		return r.report(MissingTypeEntry, "invalid format - expected 'type' line")
	}
	i += 5
	eol := bytes.IndexByte(data[i:], '\n')
	if eol < 0 {
		return r.report(MissingType, "invalid format - unexpected end after 'type' line")
	}
	if _, err := object.ParseType(string(data[i : i+eol])); err != nil {
		if r.report(BadType, "invalid 'type' value") {
			return true
		}
	}
	i += eol + 1
	if i >= len(data) || !bytes.HasPrefix(data[i:], []byte("tag ")) {
		return r.report(MissingTagEntry, "invalid format - expected 'tag' line")
	}
	i += 4
	eol = bytes.IndexByte(data[i:], '\n')
	if eol < 0 {
		return r.report(MissingTag, "invalid format - unexpected end after 'type' line")
	}
	if name := data[i : i+eol]; !validRefName("refs/tags/" + string(name)) {
		if r.report(BadTagName, "invalid 'tag' name: %s", name) {
			return true
		}
	}
	i += eol + 1
	if i >= len(data) || !bytes.HasPrefix(data[i:], []byte("tagger ")) {
		// early tags do not contain 'tagger' lines; warn only
		if r.report(MissingTaggerEntry, "invalid format - expected 'tagger' line") {
			return true
		}
	} else {
		i += 7
		if checkIdent(r, data, &i) {
			return true
		}
	}
	if i < len(data) && (bytes.HasPrefix(data[i:], []byte("gpgsig ")) || bytes.HasPrefix(data[i:], []byte("gpgsig-sha256 "))) {
		eol = bytes.IndexByte(data[i:], '\n')
		if eol < 0 {
			return r.report(BadGpgsig, "invalid format - unexpected end after 'gpgsig' or 'gpgsig-sha256' line")
		}
		i += eol + 1
		for i < len(data) && data[i] == ' ' {
			eol = bytes.IndexByte(data[i:], '\n')
			if eol < 0 {
				return r.report(BadHeaderContinuation, "invalid format - unexpected end in 'gpgsig' or 'gpgsig-sha256' continuation line")
			}
			i += eol + 1
		}
	}
	if i < len(data) && data[i] != '\n' {
		return r.report(ExtraHeaderEntry, "invalid format - extra header(s) after 'tagger'")
	}
	return false
}

// commitLinks is what git's parse_commit_buffer takes from a commit: its tree and
// parents. ok is false for a commit git would not parse ("invalid commit").
func commitLinks(data []byte, f object.Format) (tree object.Hash, parents []object.Hash, ok bool) {
	if !bytes.HasPrefix(data, []byte("tree ")) {
		return tree, nil, false
	}
	end, ok := parseHex(data, 5, f)
	if !ok || at(data, end) != '\n' {
		return tree, nil, false
	}
	tree, err := object.ParseHashFormat(string(bytes.ToLower(data[5:end])), f)
	if err != nil {
		return tree, nil, false
	}
	i := end + 1
	for bytes.HasPrefix(data[min(i, len(data)):], []byte("parent ")) {
		e, ok := parseHex(data, i+7, f)
		if !ok || at(data, e) != '\n' {
			return tree, nil, false // git: "bad parents in commit"
		}
		p, _ := object.ParseHashFormat(string(bytes.ToLower(data[i+7:e])), f)
		parents = append(parents, p)
		i = e + 1
	}
	return tree, parents, true
}

// tagLinks is what git's parse_tag_buffer takes from a tag: the object and the type it
// names. ok is false for a tag git would not parse ("invalid tag"): one without its
// object, type or tag line.
func tagLinks(data []byte, f object.Format) (target object.Hash, t object.Type, ok bool) {
	if len(data) < f.HexSize()+24 || !bytes.HasPrefix(data, []byte("object ")) {
		return target, 0, false
	}
	end, ok := parseHex(data, 7, f)
	if !ok || at(data, end) != '\n' {
		return target, 0, false
	}
	target, _ = object.ParseHashFormat(string(bytes.ToLower(data[7:end])), f)
	rest := data[end+1:]
	if !bytes.HasPrefix(rest, []byte("type ")) {
		return target, 0, false
	}
	rest = rest[5:]
	nl := bytes.IndexByte(rest, '\n')
	if nl < 0 || nl >= 16 {
		return target, 0, false
	}
	t, err := object.ParseType(string(rest[:nl]))
	if err != nil {
		return target, 0, false
	}
	rest = rest[nl+1:]
	if len(rest) <= 4 || !bytes.HasPrefix(rest, []byte("tag ")) || bytes.IndexByte(rest[4:], '\n') < 0 {
		return target, 0, false
	}
	return target, t, true
}

// validRefName is git's check_refname_format(name, 0), for a tag's name under
// refs/tags/.
func validRefName(name string) bool {
	if name == "" || name == "@" || name[len(name)-1] == '.' || name[len(name)-1] == '/' || name[0] == '/' {
		return false
	}
	for _, comp := range bytes.Split([]byte(name), []byte("/")) {
		if len(comp) == 0 || comp[0] == '.' || bytes.HasSuffix(comp, []byte(".lock")) {
			return false
		}
	}
	if bytes.Contains([]byte(name), []byte("..")) || bytes.Contains([]byte(name), []byte("@{")) {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if c < 0x20 || c == 0x7f || bytes.IndexByte([]byte(" ~^:?*[\\"), c) >= 0 {
			return false
		}
	}
	return true
}
