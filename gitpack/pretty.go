package gitpack

import (
	"bytes"
	"fmt"
	"math/bits"
	"strconv"
	"strings"
	"time"

	"git-remote-object-store/gitpack/object"
)

// Files marked export-subst carry "$Format:<pretty>$" placeholders that `git archive`
// fills in from the archived commit, typically a version string or the commit date in a
// release tarball. A zip mirror that left them unexpanded would ship different files
// than the ones the user tested with `git archive`, so the placeholders people use are
// expanded here the way `git log -1 --pretty=format:<pretty>` does (git runs exactly that
// code for export-subst).
//
// Left as they are (so they differ from git): %d and %D (the ref decorations depend on
// the refs of the repository at push time, and a mirror that changed whenever a tag was
// added elsewhere would be surprising; they expand to nothing), %ar/%cr and %ah/%ch
// (relative to the current time), %f, %N, %G?, %g…, %w(), %<() and friends, %(trailers)
// and %(describe): these stay in the text literally. Mailmap is not applied (%aN is %an).
// Messages are taken as UTF-8, whatever their encoding header says.

// commitFormat is what the placeholders of one commit expand from.
type commitFormat struct {
	r                 *Repo
	id, tree          object.Hash
	parents           []object.Hash
	author, committer ident
	encoding          string
	message           []byte // everything after the header's blank line
	short             map[object.Hash]string
}

// ident is a parsed "Name <email> seconds ±hhmm" line; ok is false when it has no
// <email> at all, and then its placeholders expand to nothing, as in git.
type ident struct {
	name, email string
	when        int64
	tz          int // as written: +0530 is 530
	ok          bool
}

func (r *Repo) newCommitFormat(id object.Hash, data []byte) (*commitFormat, error) {
	c := &commitFormat{r: r, id: id, short: map[object.Hash]string{}}
	var err error
	if c.tree, c.parents, err = ParseCommit(data, r.format); err != nil {
		return nil, fmt.Errorf("commit %s: %w", id, err)
	}
	eachHeader(data, func(k, v []byte) error {
		switch string(k) {
		case "author":
			c.author = parseIdent(v)
		case "committer":
			c.committer = parseIdent(v)
		case "encoding":
			c.encoding = string(v)
		}
		return nil
	})
	if i := bytes.Index(data, []byte("\n\n")); i >= 0 {
		c.message = data[i+2:]
	}
	return c, nil
}

func parseIdent(v []byte) ident {
	s := string(v)
	lt := strings.IndexByte(s, '<')
	if lt < 0 {
		return ident{}
	}
	gt := strings.IndexByte(s[lt+1:], '>')
	if gt < 0 {
		return ident{}
	}
	id := ident{name: strings.Trim(s[:lt], " \t\n\r"), email: s[lt+1 : lt+1+gt], ok: true}
	// The date follows the last '>', in case the email itself holds one.
	f := strings.Fields(s[strings.LastIndexByte(s, '>')+1:])
	if len(f) >= 1 {
		id.when, _ = strconv.ParseInt(f[0], 10, 64)
	}
	if len(f) >= 2 {
		if tz, err := strconv.ParseInt(f[1], 10, 32); err == nil && tz > -10000 && tz < 10000 {
			id.tz = int(tz)
		}
	}
	return id
}

// substitute writes data to out with each "$Format:…$" replaced by its expansion, as
// git's export-subst does: the text between "$Format:" and the next "$" is the format,
// and an unterminated one is left alone.
func (c *commitFormat) substitute(out, data []byte) []byte {
	for {
		i := bytes.Index(data, []byte("$Format:"))
		if i < 0 {
			break
		}
		j := bytes.IndexByte(data[i+8:], '$')
		if j < 0 {
			break
		}
		out = append(out, data[:i]...)
		out = c.expand(out, string(data[i+8:i+8+j]))
		data = data[i+8+j+1:]
	}
	return append(out, data...)
}

// expand appends format, expanded, to out. It works on out itself rather than on a
// fresh buffer because "%-x" removes the newlines before an empty expansion, even ones
// that come from the file's text before the "$Format:".
func (c *commitFormat) expand(out []byte, format string) []byte {
	for len(format) > 0 {
		i := strings.IndexByte(format, '%')
		if i < 0 {
			return append(out, format...)
		}
		out = append(out, format[:i]...)
		format = format[i+1:]
		var magic byte
		if len(format) > 0 && (format[0] == '+' || format[0] == '-' || format[0] == ' ') {
			magic, format = format[0], format[1:]
		}
		start := len(out)
		var n int
		out, n = c.placeholder(out, format)
		switch {
		case magic == 0 && n == 0:
			out = append(out, '%') // unknown: git leaves it as written
		case magic == 0:
		case len(out) == start && magic == '-':
			for len(out) > 0 && out[len(out)-1] == '\n' {
				out = out[:len(out)-1]
			}
		case len(out) > start && magic != '-':
			sep := byte('\n')
			if magic == ' ' {
				sep = ' '
			}
			out = append(out[:start], append([]byte{sep}, out[start:]...)...)
		}
		// With a magic prefix, git drops "%+" even when what follows is unknown.
		format = format[n:]
	}
	return out
}

// placeholder appends the expansion of the placeholder at the start of f and says how
// many bytes of f it took; 0 for one it does not know (nothing is appended then).
func (c *commitFormat) placeholder(out []byte, f string) ([]byte, int) {
	if f == "" {
		return out, 0
	}
	switch f[0] {
	case 'n':
		return append(out, '\n'), 1
	case '%':
		return append(out, '%'), 1
	case 'x':
		if len(f) >= 3 {
			if b, err := strconv.ParseUint(f[1:3], 16, 8); err == nil {
				return append(out, byte(b)), 3
			}
		}
		return out, 0
	case 'C':
		// Colours: git archive never colours, so they expand to nothing.
		if strings.HasPrefix(f, "C(") {
			if j := strings.IndexByte(f, ')'); j >= 0 {
				return out, j + 1
			}
			return out, 0
		}
		for _, name := range []string{"Cred", "Cgreen", "Cblue", "Creset"} {
			if strings.HasPrefix(f, name) {
				return out, len(name)
			}
		}
		return out, 0
	case 'H':
		return append(out, c.id.String()...), 1
	case 'h':
		return append(out, c.abbrev(c.id)...), 1
	case 'T':
		return append(out, c.tree.String()...), 1
	case 't':
		return append(out, c.abbrev(c.tree)...), 1
	case 'P', 'p':
		for i, p := range c.parents {
			if i > 0 {
				out = append(out, ' ')
			}
			if f[0] == 'P' {
				out = append(out, p.String()...)
			} else {
				out = append(out, c.abbrev(p)...)
			}
		}
		return out, 1
	case 'a', 'c':
		if len(f) < 2 {
			return out, 0
		}
		who := c.author
		if f[0] == 'c' {
			who = c.committer
		}
		return who.part(out, f[1])
	case 'd', 'D':
		return out, 1 // decorations: see the comment at the top of the file
	case 'e':
		return append(out, c.encoding...), 1
	case 's':
		return c.subject(out), 1
	case 'b':
		return append(out, c.body()...), 1
	case 'B':
		return append(out, c.message...), 1
	}
	return out, 0
}

// part expands one ident placeholder (%an, %ad, …) of the letter after "a" or "c".
func (id ident) part(out []byte, which byte) ([]byte, int) {
	switch which {
	case 'n', 'N', 'e', 'E', 'l', 'L', 'd', 'D', 'i', 'I', 't', 's':
	default:
		return out, 0
	}
	if !id.ok {
		return out, 2
	}
	switch which {
	case 'n', 'N':
		return append(out, id.name...), 2
	case 'e', 'E':
		return append(out, id.email...), 2
	case 'l', 'L':
		local, _, _ := strings.Cut(id.email, "@")
		return append(out, local...), 2
	case 't':
		return strconv.AppendInt(out, id.when, 10), 2
	}
	return append(out, id.date(which)...), 2
}

var (
	weekdays = [...]string{"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"}
	months   = [...]string{"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"}
)

// date formats the ident's date in its own time zone: 'd' git's default format, 'D'
// RFC 2822, 'i' ISO-like, 'I' strict ISO 8601, 's' the day only. The zone is printed
// as written in the commit (git prints "+0099" as such, not as +0139).
func (id ident) date(which byte) string {
	abs := id.tz
	sign := byte('+')
	if abs < 0 {
		abs, sign = -abs, '-'
	}
	offset := int64(abs/100*60+abs%100) * 60
	if sign == '-' {
		offset = -offset
	}
	t := time.Unix(id.when+offset, 0).UTC()
	zone := fmt.Sprintf("%c%04d", sign, abs)
	y, mo, d := t.Date()
	hh, mm, ss := t.Clock()
	switch which {
	case 'D':
		return fmt.Sprintf("%s, %d %s %d %02d:%02d:%02d %s", weekdays[t.Weekday()], d, months[mo-1], y, hh, mm, ss, zone)
	case 'i':
		return fmt.Sprintf("%04d-%02d-%02d %02d:%02d:%02d %s", y, mo, d, hh, mm, ss, zone)
	case 'I':
		// git since 2.45 writes "Z" for a zero offset; older versions "+00:00".
		z := "Z"
		if id.tz != 0 {
			z = fmt.Sprintf("%c%02d:%02d", sign, abs/100, abs%100)
		}
		return fmt.Sprintf("%04d-%02d-%02dT%02d:%02d:%02d%s", y, mo, d, hh, mm, ss, z)
	case 's':
		return fmt.Sprintf("%04d-%02d-%02d", y, mo, d)
	}
	return fmt.Sprintf("%s %s %d %02d:%02d:%02d %d %s", weekdays[t.Weekday()], months[mo-1], d, hh, mm, ss, y, zone)
}

// nextLine splits off the first line of b, its "\n" included.
func nextLine(b []byte) (line, rest []byte) {
	if i := bytes.IndexByte(b, '\n'); i >= 0 {
		return b[:i+1], b[i+1:]
	}
	return b, nil
}

func trimSpaceRight(b []byte) []byte { return bytes.TrimRight(b, " \t\n\r") }

func skipBlankLines(b []byte) []byte {
	for len(b) > 0 {
		line, rest := nextLine(b)
		if len(trimSpaceRight(line)) != 0 {
			break
		}
		b = rest
	}
	return b
}

// subject is the first paragraph of the message, its lines joined by spaces: a
// subject wrapped over two lines still reads as one.
func (c *commitFormat) subject(out []byte) []byte {
	b := skipBlankLines(c.message)
	for first := true; len(b) > 0; first = false {
		line, rest := nextLine(b)
		line = trimSpaceRight(line)
		if len(line) == 0 {
			break
		}
		if !first {
			out = append(out, ' ')
		}
		out = append(out, line...)
		b = rest
	}
	return out
}

// body is the message after the subject paragraph and the blank lines after it.
func (c *commitFormat) body() []byte {
	b := skipBlankLines(c.message)
	for len(b) > 0 {
		line, rest := nextLine(b)
		if len(trimSpaceRight(line)) == 0 {
			break
		}
		b = rest
	}
	return skipBlankLines(b)
}

// abbrev is git's default abbreviation of h: at least 7 hex digits, more in a
// repository whose packs hold many objects (about half the bits of the object count),
// and then as many as it takes for no other object of the repository to share them.
func (c *commitFormat) abbrev(h object.Hash) string {
	if s, ok := c.short[h]; ok {
		return s
	}
	hex := h.String()
	n := c.r.defaultAbbrev()
	for ; n < len(hex); n++ {
		raw := append([]byte(nil), h.Bytes()[:(n+1)/2]...)
		if n%2 == 1 {
			raw[len(raw)-1] &= 0xf0
		}
		cands := c.r.findPrefix(hex[:n], raw, false)
		if len(cands) == 0 || len(cands) == 1 && cands[0] == h {
			break
		}
	}
	c.short[h] = hex[:n]
	return hex[:n]
}

// defaultAbbrev is the length git starts from: it counts packed objects only, as its
// approximate object count does.
func (r *Repo) defaultAbbrev() int {
	var count uint64
	for _, p := range r.allPacks(false) {
		if n := p.Idx.Count(); n > 0 {
			count += uint64(n)
		}
	}
	n := 7
	if count > 0 {
		if l := (bits.Len64(count) + 1) / 2; l > n {
			n = l
		}
	}
	return min(n, r.format.HexSize())
}
