// Package attr reads .gitattributes files and answers what an attribute is on a path,
// so that an archive written without git (the zip mirror) leaves out and rewrites the
// same files `git archive` does. The .gitattributes files come from pushed trees, so the
// parser takes any bytes: a line git would reject is dropped, never an error.
//
// Only what archiving needs is here: patterns, set/unset/unspecified/value states and
// git's precedence. Macros (`[attr]name …`, and the built-in `binary`) are not expanded:
// none of git's own macros touches export-ignore or export-subst, and a repository
// defining its own for them is rare enough not to warrant the machinery.
package attr

import (
	"bytes"
	"strings"
)

// Git's limits: a longer line, or a larger file, is ignored with a warning.
const (
	maxLine = 2048
	maxFile = 100 << 20
)

// Kind is how a line assigns an attribute.
type Kind uint8

const (
	Unspecified Kind = iota // not mentioned, or "!name"
	Set                     // "name"
	Unset                   // "-name"
	Value                   // "name=value"
)

// State is an attribute's state on a path.
type State struct {
	Kind  Kind
	Value string // for Kind Value
}

// Assign is one "name", "-name", "!name" or "name=value" of a line.
type Assign struct {
	Name  string
	State State
}

// Line is one usable line of an attributes file: a pattern and what it assigns.
type Line struct {
	Pattern string // without a leading "!" or trailing "/"
	// MustBeDir: the pattern ended in "/", so it matches directories only (git archive
	// asks about directories too, which is how "dir/ export-ignore" leaves out a tree).
	MustBeDir bool
	// Basename: the pattern has no "/" (but a trailing one), so it matches the last
	// component of a path at any depth under the file's directory.
	Basename bool
	Assigns  []Assign
}

// File is a parsed attributes file and the directory its patterns are relative to
// ("" for the top of the tree, else like "a/b").
type File struct {
	Dir   string
	Lines []Line
}

// Parse reads an attributes file as git reads a .gitattributes blob: lines end at "\n",
// everything after a NUL byte is ignored, and lines git would reject are dropped. No
// byte-order mark is skipped: git skips one only in files it reads from disk (see
// ParseDiskFile).
func Parse(dir string, data []byte) *File {
	f := &File{Dir: dir}
	if len(data) >= maxFile {
		return f
	}
	if i := bytes.IndexByte(data, 0); i >= 0 {
		data = data[:i]
	}
	for len(data) > 0 {
		line := data
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			line, data = data[:i], data[i+1:]
		} else {
			data = nil
		}
		if l, ok := ParseLine(string(line)); ok {
			f.Lines = append(f.Lines, l)
		}
	}
	return f
}

// ParseDiskFile is Parse for a file git reads from disk ($GIT_DIR/info/attributes),
// where a UTF-8 byte-order mark before the first line is skipped.
func ParseDiskFile(dir string, data []byte) *File {
	return Parse(dir, bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")))
}

const blank = " \t\r\n"

// ParseLine parses one line (without its "\n"). ok is false for blank lines, comments,
// macro definitions and every line git ignores: too long, a negative pattern, or an
// attribute name that is not [-._A-Za-z0-9]+ (one bad name drops the whole line).
func ParseLine(line string) (l Line, ok bool) {
	rest := strings.TrimLeft(line, blank)
	if rest == "" || rest[0] == '#' || len(line) >= maxLine {
		return Line{}, false
	}
	var pattern string
	if p, after, unquoted := unquoteC(rest); unquoted {
		pattern, rest = p, after
	} else {
		n := strings.IndexAny(rest, blank)
		if n < 0 {
			n = len(rest)
		}
		pattern, rest = rest[:n], rest[n:]
	}
	if len(pattern) > len("[attr]") && strings.HasPrefix(pattern, "[attr]") {
		return Line{}, false
	}
	for rest = strings.TrimLeft(rest, blank); rest != ""; rest = strings.TrimLeft(rest, blank) {
		n := strings.IndexAny(rest, blank)
		if n < 0 {
			n = len(rest)
		}
		a, valid := parseAssign(rest[:n])
		if !valid {
			return Line{}, false
		}
		l.Assigns = append(l.Assigns, a)
		rest = rest[n:]
	}
	// A NUL from a quoted "\000" ends the pattern, as it does for git's C strings.
	if i := strings.IndexByte(pattern, 0); i >= 0 {
		pattern = pattern[:i]
	}
	if strings.HasPrefix(pattern, "!") {
		return Line{}, false // git: "Negative patterns are ignored in git attributes"
	}
	if strings.HasSuffix(pattern, "/") {
		pattern, l.MustBeDir = pattern[:len(pattern)-1], true
	}
	l.Pattern, l.Basename = pattern, !strings.Contains(pattern, "/")
	return l, true
}

func parseAssign(tok string) (Assign, bool) {
	name, value, hasValue := strings.Cut(tok, "=")
	var st State
	switch {
	case strings.HasPrefix(name, "-"):
		name, st = name[1:], State{Kind: Unset}
	case strings.HasPrefix(name, "!"):
		name, st = name[1:], State{Kind: Unspecified}
	case hasValue:
		st = State{Kind: Value, Value: value}
	default:
		st = State{Kind: Set}
	}
	return Assign{Name: name, State: st}, validName(name)
}

func validName(s string) bool {
	if s == "" || s[0] == '-' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c == '-' || c == '.' || c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			return false
		}
	}
	return true
}

// unquoteC reads a C-style quoted pattern at the start of s, the way git lets a pattern
// hold spaces; ok is false when s does not start with one that is well formed (git then
// takes the text, quote and all, as an ordinary pattern).
func unquoteC(s string) (out, rest string, ok bool) {
	if !strings.HasPrefix(s, `"`) {
		return "", "", false
	}
	var b strings.Builder
	for i := 1; i < len(s); i++ {
		c := s[i]
		switch c {
		case '"':
			return b.String(), s[i+1:], true
		case '\\':
		default:
			b.WriteByte(c)
			continue
		}
		if i++; i >= len(s) {
			return "", "", false
		}
		switch c = s[i]; c {
		case 'a':
			c = '\a'
		case 'b':
			c = '\b'
		case 'f':
			c = '\f'
		case 'n':
			c = '\n'
		case 'r':
			c = '\r'
		case 't':
			c = '\t'
		case 'v':
			c = '\v'
		case '\\', '"':
		case '0', '1', '2', '3':
			if i+2 >= len(s) || !isOctal(s[i+1]) || !isOctal(s[i+2]) {
				return "", "", false
			}
			c = (c-'0')<<6 | (s[i+1]-'0')<<3 | (s[i+2] - '0')
			i += 2
		default:
			return "", "", false
		}
		b.WriteByte(c)
	}
	return "", "", false
}

func isOctal(c byte) bool { return c >= '0' && c <= '7' }

// Stack is the attributes files that apply to the paths of one directory, lowest
// precedence first: the top-level .gitattributes, then each deeper one down to the
// directory, then $GIT_DIR/info/attributes. Later files win over earlier ones, and
// within a file later lines win over earlier ones.
type Stack struct {
	Files []*File
	// IgnoreCase matches as git does under core.ignorecase.
	IgnoreCase bool
}

// Get is attribute name's state on path (slash-separated, from the top of the tree,
// without a trailing slash); isDir says path is a directory (or a submodule).
func (s Stack) Get(path string, isDir bool, name string) State {
	for i := len(s.Files) - 1; i >= 0; i-- {
		f := s.Files[i]
		for j := len(f.Lines) - 1; j >= 0; j-- {
			l := &f.Lines[j]
			k := len(l.Assigns) - 1
			for k >= 0 && l.Assigns[k].Name != name {
				k--
			}
			if k >= 0 && l.matches(f.Dir, path, isDir, s.IgnoreCase) {
				return l.Assigns[k].State
			}
		}
	}
	return State{}
}

// IsSet reports whether attribute name is set (not unset, unspecified or given a value).
func (s Stack) IsSet(path string, isDir bool, name string) bool {
	return s.Get(path, isDir, name).Kind == Set
}

func (l *Line) matches(dir, path string, isDir, fold bool) bool {
	if l.MustBeDir && !isDir {
		return false
	}
	if l.Basename {
		base := path[strings.LastIndexByte(path, '/')+1:]
		return Match(l.Pattern, base, Flags{IgnoreCase: fold})
	}
	// Anchored to the attributes file's directory; a leading "/" only says so.
	rel := path
	if dir != "" {
		if len(path) <= len(dir) || path[len(dir)] != '/' || !equalFold(path[:len(dir)], dir, fold) {
			return false
		}
		rel = path[len(dir)+1:]
	}
	return Match(strings.TrimPrefix(l.Pattern, "/"), rel, Flags{Pathname: true, IgnoreCase: fold})
}

func equalFold(a, b string, fold bool) bool {
	if !fold || len(a) != len(b) {
		return a == b
	}
	for i := 0; i < len(a); i++ {
		if lower(a[i]) != lower(b[i]) {
			return false
		}
	}
	return true
}
