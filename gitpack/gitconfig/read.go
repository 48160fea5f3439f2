// Package gitconfig reads and edits git's config files (.git/config and what it
// includes) without running git: the syntax git-config(1) describes, with sections,
// quoted subsections, escapes, continuations and include/includeIf.
//
// It is a leaf of its own, apart from gitpack, so that code which only needs a
// repository's config (lfs writes the agent's settings) does not pull in the object
// database, packs and indexer along with it.
package gitconfig

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// ErrInvalid: a config file that does not follow git-config syntax, or a section or key
// name that git would refuse.
var ErrInvalid = errors.New("gitconfig: bad config")

// Entry is one "key = value" of a section. Section and Key are lower-cased (git
// compares them case-insensitively); Subsection keeps its case.
type Entry struct {
	Section, Subsection, Key, Value string
	NoValue                         bool // "key" alone: a boolean true
}

// Config is a parsed configuration, entries in file order (includes expanded in place).
type Config struct {
	Entries []Entry
}

// ReadFile parses path; a missing file is an empty config.
func ReadFile(path string) (*Config, error) {
	c := &Config{}
	if err := c.readFile(path, 0); err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	return c, nil
}

// Parse parses config text (includes are resolved relative to dir).
func Parse(data []byte, dir string) (*Config, error) {
	c := &Config{}
	return c, c.parse(data, dir, 0)
}

func (c *Config) readFile(path string, depth int) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if err := c.parse(data, filepath.Dir(path), depth); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

// Get returns the last value of section[.subsection].key, or "".
func (c *Config) Get(section, subsection, key string) string {
	v, _ := c.Lookup(section, subsection, key)
	return v
}

// Lookup is Get that also reports whether the key is set at all.
func (c *Config) Lookup(section, subsection, key string) (string, bool) {
	section, key = strings.ToLower(section), strings.ToLower(key)
	for i := len(c.Entries) - 1; i >= 0; i-- {
		e := c.Entries[i]
		if e.Section == section && e.Subsection == subsection && e.Key == key {
			if e.NoValue {
				return "true", true
			}
			return e.Value, true
		}
	}
	return "", false
}

// Section returns the entries of one section/subsection.
func (c *Config) Section(section, subsection string) []Entry {
	var out []Entry
	section = strings.ToLower(section)
	for _, e := range c.Entries {
		if e.Section == section && e.Subsection == subsection {
			out = append(out, e)
		}
	}
	return out
}

type parser struct {
	data []byte
	i    int
	line int
}

func (p *parser) errf(format string, args ...any) error {
	return fmt.Errorf("%w: line %d: %s", ErrInvalid, p.line, fmt.Sprintf(format, args...))
}

func (p *parser) peek() int {
	if p.i >= len(p.data) {
		return -1
	}
	return int(p.data[p.i])
}

func (p *parser) next() int {
	c := p.peek()
	if c >= 0 {
		p.i++
		if c == '\n' {
			p.line++
		}
	}
	return c
}

func (c *Config) parse(data []byte, dir string, depth int) error {
	if depth > 10 {
		return fmt.Errorf("%w: include depth exceeds 10", ErrInvalid)
	}
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	p := &parser{data: data, line: 1}
	section, sub := "", ""
	for {
		ch := p.next()
		switch {
		case ch < 0:
			return nil
		case ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n':
		case ch == '#' || ch == ';':
			for ch != '\n' && ch >= 0 {
				ch = p.next()
			}
		case ch == '[':
			var err error
			if section, sub, err = p.header(); err != nil {
				return err
			}
		case isKeyChar(byte(ch)) && isAlpha(byte(ch)):
			if section == "" {
				return p.errf("key outside a section")
			}
			e, err := p.entry(byte(ch))
			if err != nil {
				return err
			}
			e.Section, e.Subsection = section, sub
			c.Entries = append(c.Entries, e)
			if err := c.include(e, dir, depth); err != nil {
				return err
			}
		default:
			return p.errf("unexpected %q", rune(ch))
		}
	}
}

// include follows include.path and includeIf "gitdir:…".path.
func (c *Config) include(e Entry, dir string, depth int) error {
	if e.Key != "path" || e.NoValue {
		return nil
	}
	switch {
	case e.Section == "include" && e.Subsection == "":
	case e.Section == "includeif" && includeIfMatches(e.Subsection, dir):
	default:
		return nil
	}
	path := expandHome(e.Value)
	if !filepath.IsAbs(path) {
		path = filepath.Join(dir, path)
	}
	if err := c.readFile(path, depth+1); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return nil
}

// includeIfMatches supports "gitdir:" and "gitdir/i:" with a directory prefix or glob,
// the conditions seen in practice; others never match (as git does for unknown ones).
func includeIfMatches(cond, configDir string) bool {
	pat, fold := "", false
	switch {
	case strings.HasPrefix(cond, "gitdir:"):
		pat = cond[len("gitdir:"):]
	case strings.HasPrefix(cond, "gitdir/i:"):
		pat, fold = cond[len("gitdir/i:"):], true
	default:
		return false
	}
	gitDir := os.Getenv("GIT_DIR")
	if gitDir == "" {
		gitDir = configDir
	}
	gitDir, _ = filepath.Abs(gitDir)
	pat = expandHome(pat)
	if strings.HasPrefix(pat, "./") {
		pat = filepath.Join(configDir, pat[2:])
	} else if !filepath.IsAbs(pat) && !strings.HasPrefix(pat, "**/") {
		pat = "**/" + pat
	}
	if strings.HasSuffix(pat, "/") {
		pat += "**"
	}
	if fold {
		pat, gitDir = strings.ToLower(pat), strings.ToLower(gitDir)
	}
	return globMatch(pat, gitDir+"/") || globMatch(pat, gitDir)
}

// globMatch matches with "**" spanning directories and "*" / "?" within one.
func globMatch(pat, s string) bool {
	if pat == "" {
		return s == ""
	}
	if strings.HasPrefix(pat, "**") {
		rest := strings.TrimPrefix(pat[2:], "/")
		for i := 0; i <= len(s); i++ {
			if globMatch(rest, s[i:]) {
				return true
			}
		}
		return false
	}
	switch pat[0] {
	case '*':
		for i := 0; i <= len(s) && (i == 0 || s[i-1] != '/'); i++ {
			if globMatch(pat[1:], s[i:]) {
				return true
			}
		}
		return false
	case '?':
		return s != "" && s[0] != '/' && globMatch(pat[1:], s[1:])
	}
	return s != "" && s[0] == pat[0] && globMatch(pat[1:], s[1:])
}

func expandHome(p string) string {
	if strings.HasPrefix(p, "~/") {
		if home, err := os.UserHomeDir(); err == nil {
			return filepath.Join(home, p[2:])
		}
	}
	return p
}

func isAlpha(c byte) bool   { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
func isKeyChar(c byte) bool { return isAlpha(c) || c >= '0' && c <= '9' || c == '-' }

func (p *parser) header() (section, sub string, err error) {
	var b strings.Builder
	for {
		ch := p.next()
		switch {
		case ch == ']':
			name := strings.ToLower(b.String())
			// Legacy [section.subsection]: the subsection is lower-cased.
			if s, ss, ok := strings.Cut(name, "."); ok {
				return s, ss, nil
			}
			if name == "" {
				return "", "", p.errf("empty section name")
			}
			return name, "", nil
		case ch == ' ' || ch == '\t':
			sub, err := p.subsection()
			return strings.ToLower(b.String()), sub, err
		case ch >= 0 && (isKeyChar(byte(ch)) || ch == '.'):
			b.WriteByte(byte(ch))
		default:
			return "", "", p.errf("bad section header")
		}
	}
}

func (p *parser) subsection() (string, error) {
	for p.peek() == ' ' || p.peek() == '\t' {
		p.next()
	}
	if p.next() != '"' {
		return "", p.errf("subsection must be quoted")
	}
	var b strings.Builder
	for {
		ch := p.next()
		switch ch {
		case -1, '\n':
			return "", p.errf("unterminated subsection")
		case '\\':
			ch = p.next()
			if ch < 0 || ch == '\n' {
				return "", p.errf("bad escape in subsection")
			}
			b.WriteByte(byte(ch))
		case '"':
			if p.next() != ']' {
				return "", p.errf("expected ] after subsection")
			}
			return b.String(), nil
		default:
			b.WriteByte(byte(ch))
		}
	}
}

func (p *parser) entry(first byte) (Entry, error) {
	var k strings.Builder
	k.WriteByte(first)
	for p.peek() >= 0 && isKeyChar(byte(p.peek())) {
		k.WriteByte(byte(p.next()))
	}
	e := Entry{Key: strings.ToLower(k.String())}
	for p.peek() == ' ' || p.peek() == '\t' {
		p.next()
	}
	switch p.peek() {
	case '\n', '\r', -1, '#', ';':
		e.NoValue = true
		return e, nil
	case '=':
		p.next()
	default:
		return e, p.errf("bad key %q", k.String())
	}
	v, err := p.value()
	e.Value = v
	return e, err
}

// value reads a value: leading/trailing unquoted space dropped, inner runs kept, quotes
// and escapes (\n \t \b \\ \"), backslash-newline continuation, comments outside quotes.
func (p *parser) value() (string, error) {
	var b strings.Builder
	quoted := false
	pendingSpace := 0
	for p.peek() == ' ' || p.peek() == '\t' {
		p.next()
	}
	for {
		ch := p.next()
		switch {
		case ch < 0 || ch == '\n':
			if quoted {
				return "", p.errf("unterminated quote")
			}
			return b.String(), nil
		case ch == '\r' && p.peek() == '\n':
		case !quoted && (ch == ' ' || ch == '\t'):
			pendingSpace++
			continue
		case !quoted && (ch == '#' || ch == ';'):
			for ch != '\n' && ch >= 0 {
				ch = p.next()
			}
			return b.String(), nil
		case ch == '"':
			flush(&b, &pendingSpace)
			quoted = !quoted
		case ch == '\\':
			esc := p.next()
			switch esc {
			case '\n':
				continue
			case 'n':
				esc = '\n'
			case 't':
				esc = '\t'
			case 'b':
				esc = '\b'
			case '\\', '"':
			default:
				return "", p.errf("bad escape \\%c", rune(esc))
			}
			flush(&b, &pendingSpace)
			b.WriteByte(byte(esc))
		default:
			flush(&b, &pendingSpace)
			b.WriteByte(byte(ch))
		}
	}
}

func flush(b *strings.Builder, n *int) {
	for ; *n > 0; *n-- {
		b.WriteByte(' ')
	}
}
