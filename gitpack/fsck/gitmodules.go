package fsck

import (
	"bytes"
	"strings"
)

// parseConfigBlob is git's config parser (git_parse_source) over a blob, as fsck reads
// .gitmodules: fn gets each variable as git names it ("section.subsection.key", section
// and key lower-cased; value nil for a key without '='), in order, and the parse stops
// at the first syntax error, which it reports by returning false. Includes are not
// followed. It is a port rather than a reuse of package gitconfig on purpose: what is
// checked must be what git reads, byte for byte, or a .gitmodules our parser reads
// differently (or gives up on earlier) would slip a url past the check.
//
// Bytes are read unsigned. git reads a blob through a plain char, so where char is
// signed (x86) a 0xff byte reads as the end of the blob and a byte order mark is not
// recognised (a parse error); where it is unsigned (arm64), and when git reads the
// checked-out file, neither happens. Unsigned checks everything some git would read.
func parseConfigBlob(data []byte, fn func(name string, value []byte)) bool {
	p := &cfgParser{data: data}
	if bytes.HasPrefix(data, []byte("\xef\xbb\xbf")) {
		p.i = 3
	}
	var v []byte // the variable name: section stem, then the key
	base := 0
	comment := false
	for {
		c := p.next()
		if c == '\n' {
			if p.eof {
				return true
			}
			comment = false
			continue
		}
		if comment || isSpace(c) {
			continue
		}
		if c == '#' || c == ';' {
			comment = true
			continue
		}
		if c == '[' {
			var ok bool
			if v, ok = p.baseVar(v[:0]); !ok || len(v) < 1 {
				return false
			}
			v = append(v, '.')
			base = len(v)
			continue
		}
		if !isAlpha(c) {
			return false
		}
		v = append(v[:base], lower(c))
		if !p.value(&v, fn) {
			return false
		}
	}
}

type cfgParser struct {
	data []byte
	i    int
	eof  bool
}

// next is git's get_next_char: "\r\n" reads as '\n', and the end of the data as '\n'
// (with eof set).
func (p *cfgParser) next() byte {
	if p.i >= len(p.data) {
		p.eof = true
		return '\n'
	}
	c := p.data[p.i]
	p.i++
	if c == '\r' && p.i < len(p.data) && p.data[p.i] == '\n' {
		p.i++
		return '\n'
	}
	return c
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r'
}
func isAlpha(c byte) bool   { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
func isKeyChar(c byte) bool { return isAlpha(c) || isDigit(c) || c == '-' }

// baseVar is git's get_base_var: "[section]", "[section "subsection"]" or the legacy
// "[section.subsection]" (lower-cased whole).
func (p *cfgParser) baseVar(v []byte) ([]byte, bool) {
	for {
		c := p.next()
		if p.eof {
			return v, false
		}
		if c == ']' {
			return v, true
		}
		if isSpace(c) {
			return p.extendedBaseVar(v, c)
		}
		if !isKeyChar(c) && c != '.' {
			return v, false
		}
		v = append(v, lower(c))
	}
}

// extendedBaseVar is git's get_extended_base_var: the quoted subsection, kept as
// written but for backslash escapes, then ']'.
func (p *cfgParser) extendedBaseVar(v []byte, c byte) ([]byte, bool) {
	for {
		if c == '\n' {
			return v, false
		}
		c = p.next()
		if !isSpace(c) {
			break
		}
	}
	if c != '"' {
		return v, false
	}
	v = append(v, '.')
	for {
		c = p.next()
		if c == '\n' {
			return v, false
		}
		if c == '"' {
			break
		}
		if c == '\\' {
			if c = p.next(); c == '\n' {
				return v, false
			}
		}
		v = append(v, c)
	}
	return v, p.next() == ']'
}

// value is git's get_value: the rest of the key, then nothing (a boolean true, value
// nil) or '=' and a value.
func (p *cfgParser) value(v *[]byte, fn func(string, []byte)) bool {
	var c byte
	for {
		c = p.next()
		if p.eof || !isKeyChar(c) {
			break
		}
		*v = append(*v, lower(c))
	}
	for c == ' ' || c == '\t' {
		c = p.next()
	}
	var val []byte
	if c != '\n' {
		if c != '=' {
			return false
		}
		var ok bool
		if val, ok = p.parseValue(); !ok {
			return false
		}
	}
	fn(string(*v), val)
	return true
}

// parseValue is git's parse_value: unquoted whitespace runs inside the value become one
// space and vanish at its ends, quotes group, comments end it, backslash escapes \n \t
// \b \\ \" and joins lines. A non-nil result (possibly empty) on success.
func (p *cfgParser) parseValue() ([]byte, bool) {
	quote, comment := false, false
	space := 0
	val := []byte{}
	for {
		c := p.next()
		if c == '\n' {
			if quote {
				return nil, false
			}
			return val, true
		}
		if comment {
			continue
		}
		if isSpace(c) && !quote {
			if len(val) > 0 {
				space++
			}
			continue
		}
		if !quote && (c == ';' || c == '#') {
			comment = true
			continue
		}
		for ; space > 0; space-- {
			val = append(val, ' ')
		}
		if c == '\\' {
			switch c = p.next(); c {
			case '\n':
				continue
			case 't':
				c = '\t'
			case 'b':
				c = '\b'
			case 'n':
				c = '\n'
			case '\\', '"':
			default:
				return nil, false
			}
			val = append(val, c)
			continue
		}
		if c == '"' {
			quote = !quote
			continue
		}
		val = append(val, c)
	}
}

// cstr is s up to its first NUL: what git's C code sees of a name or value.
func cstr(s []byte) string {
	if i := bytes.IndexByte(s, 0); i >= 0 {
		s = s[:i]
	}
	return string(s)
}

// checkGitmodules is git's fsck_blob for a .gitmodules blob (fsck_gitmodules_fn on each
// variable).
func checkGitmodules(r *reporter, data []byte) bool {
	failed := false
	ok := parseConfigBlob(data, func(name string, value []byte) {
		name = cstr([]byte(name))
		rest, found := strings.CutPrefix(name, "submodule.")
		if !found {
			return
		}
		dot := strings.LastIndexByte(rest, '.')
		if dot < 0 {
			return // no subsection
		}
		sub, key := rest[:dot], rest[dot+1:]
		if !checkSubmoduleName(sub) {
			failed = r.report(GitmodulesName, "disallowed submodule name: %s", sub) || failed
		}
		if value == nil {
			return
		}
		v := cstr(value)
		switch key {
		case "url":
			if !checkSubmoduleURL(v) {
				failed = r.report(GitmodulesURL, "disallowed submodule url: %s", v) || failed
			}
		case "path":
			if strings.HasPrefix(v, "-") {
				failed = r.report(GitmodulesPath, "disallowed submodule path: %s", v) || failed
			}
		case "update":
			if strings.HasPrefix(v, "!") {
				failed = r.report(GitmodulesUpdate, "disallowed submodule update setting: %s", v) || failed
			}
		}
	})
	if !ok {
		failed = r.report(GitmodulesParse, "could not parse gitmodules blob") || failed
	}
	return failed
}

// checkSubmoduleName is git's check_submodule_name: not empty, and no ".." component
// (with '/' or '\' as separators).
func checkSubmoduleName(name string) bool {
	if name == "" {
		return false
	}
	for i := 0; i <= len(name); i++ {
		if i == 0 || isXplatformDirSep(name[i-1]) {
			if strings.HasPrefix(name[i:], "..") && (i+2 == len(name) || isXplatformDirSep(name[i+2])) {
				return false
			}
		}
	}
	return true
}

// checkSubmoduleURL is git's check_submodule_url: no url that looks like an option; a
// relative or git:// url with no newline once decoded and not escaping its root through
// "../" into a ':' or '/'; an http(s) or ftp(s) url (possibly through "<scheme>::") that
// normalizes, with no newline once decoded.
func checkSubmoduleURL(url string) bool {
	if strings.HasPrefix(url, "-") {
		return false
	}
	if strings.HasPrefix(url, "./") || strings.HasPrefix(url, "../") || strings.HasPrefix(url, "git://") {
		if strings.IndexByte(urlDecode(url), '\n') >= 0 {
			return false
		}
		next, dotdots := url, 0
		for {
			if strings.HasPrefix(next, "../") {
				dotdots++
				next = next[3:]
				continue
			}
			if strings.HasPrefix(next, "./") {
				next = next[2:]
				continue
			}
			break
		}
		if dotdots > 0 && (strings.HasPrefix(next, ":") || strings.HasPrefix(next, "/")) {
			return false
		}
		return true
	}
	if curl, ok := curlURL(url); ok {
		norm, ok := urlNormalize(curl)
		return ok && strings.IndexByte(urlDecode(norm), '\n') < 0
	}
	return true
}

// curlURL is git's url_to_curl_url: the url git-remote-curl would be given.
func curlURL(url string) (string, bool) {
	for _, p := range []string{"http::", "https::", "ftp::", "ftps::"} {
		if rest, ok := strings.CutPrefix(url, p); ok {
			return rest, true
		}
	}
	for _, p := range []string{"http://", "https://", "ftp://", "ftps://"} {
		if strings.HasPrefix(url, p) {
			return url, true
		}
	}
	return "", false
}

func hexVal(c byte) int {
	switch {
	case isDigit(c):
		return int(c - '0')
	case c >= 'a' && c <= 'f':
		return int(c-'a') + 10
	case c >= 'A' && c <= 'F':
		return int(c-'A') + 10
	}
	return -1
}

// hex2chr is git's: the byte two hex digits spell, or -1.
func hex2chr(s string) int {
	if len(s) < 2 {
		return -1
	}
	a, b := hexVal(s[0]), hexVal(s[1])
	if a < 0 || b < 0 {
		return -1
	}
	return a<<4 | b
}

// urlDecode is git's url_decode: %XX escapes decoded (not %00), after the scheme.
func urlDecode(url string) string {
	var out strings.Builder
	q := url
	if colon := strings.IndexByte(url, ':'); colon > 0 {
		out.WriteString(url[:colon])
		q = url[colon:]
	}
	for i := 0; i < len(q); i++ {
		c := q[i]
		if c == 0 {
			break
		}
		if c == '%' && len(q)-i >= 3 {
			if v := hex2chr(q[i+1:]); v > 0 {
				out.WriteByte(byte(v))
				i += 2
				continue
			}
		}
		out.WriteByte(c)
	}
	return out.String()
}

const (
	urlSchemeChars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+.-"
	urlHostChars   = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789.-_[:]"
	urlUnsafeChars = " <>\"%{}|\\^`"
	urlReserved    = ":/?#[]@!$&'()*+,;="
)

func spn(s, set string) int {
	for i := 0; i < len(s); i++ {
		if strings.IndexByte(set, s[i]) < 0 {
			return i
		}
	}
	return len(s)
}

// appendNormalizedEscapes is git's append_normalized_escapes (esc_extra empty): escapes
// normalized to upper case, unsafe bytes escaped, others unescaped unless they are in
// escOK and were escaped. False on a malformed %-escape.
func appendNormalizedEscapes(b *strings.Builder, from, escOK string) bool {
	for i := 0; i < len(from); i++ {
		c := int(from[i])
		wasEsc := false
		if c == '%' {
			if len(from)-i-1 < 2 {
				return false
			}
			if c = hex2chr(from[i+1:]); c < 0 {
				return false
			}
			i += 2
			wasEsc = true
		}
		if c <= 0x1f || c >= 0x7f || strings.IndexByte(urlUnsafeChars, byte(c)) >= 0 || (wasEsc && strings.IndexByte(escOK, byte(c)) >= 0) {
			b.WriteString("%" + strings.ToUpper(hex2(byte(c))))
		} else {
			b.WriteByte(byte(c))
		}
	}
	return true
}

func hex2(c byte) string {
	const digits = "0123456789abcdef"
	return string([]byte{digits[c>>4], digits[c&15]})
}

// urlNormalize is git's url_normalize (urlmatch.c) as far as its verdict and the
// escapes it leaves: false for a url git would not normalize (bad scheme, no host, bad
// port, bad %-escape, ".." above the root).
func urlNormalize(url string) (string, bool) {
	if i := strings.IndexByte(url, 0); i >= 0 {
		url = url[:i]
	}
	n := spn(url, urlSchemeChars)
	if n == 0 || !isAlpha(url[0]) || n+3 > len(url) || url[n] != ':' || url[n+1] != '/' || url[n+2] != '/' {
		return "", false
	}
	var norm strings.Builder
	norm.WriteString(strings.ToLower(url[:n+3]))
	isFile := strings.HasPrefix(norm.String(), "file:")
	url = url[n+3:]
	slash := strings.IndexAny(url, "/?#")
	if slash < 0 {
		slash = len(url)
	}
	if at := strings.IndexByte(url, '@'); at >= 0 && at < slash {
		if at > 0 && !appendNormalizedEscapes(&norm, url[:at], urlReserved) {
			return "", false
		}
		norm.WriteByte('@')
		url = url[at+1:]
		slash -= at + 1
	}
	hasHost := true
	if url == "" || strings.IndexByte(":/?#", url[0]) >= 0 {
		if !isFile {
			return "", false
		}
		hasHost = false
	}
	colon := slash - 1
	for colon > 0 && url[colon] != ':' && url[colon] != ']' {
		colon--
	}
	if colon < 0 || colon >= len(url) || url[colon] != ':' {
		colon = slash
	} else if !hasHost && colon < slash && colon+1 != slash {
		return "", false // a file: url may not have a port
	}
	if spn(url, urlHostChars) < colon {
		return "", false
	}
	norm.WriteString(strings.ToLower(url[:colon]))
	if colon < slash {
		digits := url[colon+1 : slash]
		port := strings.TrimLeft(digits, "0")
		if port == "" && digits != "" {
			port = "0"
		}
		https := strings.HasPrefix(norm.String(), "https:")
		switch {
		case port == "": // ":" alone is the default port
		case port == "80" && strings.HasPrefix(norm.String(), "http:"):
		case port == "443" && https:
		default:
			if spn(port, "0123456789") < len(port) {
				return "", false
			}
			num := 0
			if len(port) <= 5 {
				for _, d := range port {
					num = num*10 + int(d-'0')
				}
			}
			if num == 0 || num > 65535 {
				return "", false
			}
			norm.WriteString(":" + port)
		}
	}
	url = url[slash:]
	pathStart := norm.Len()
	norm.WriteByte('/')
	url = strings.TrimPrefix(url, "/")
	for {
		segStart := norm.Len()
		next := strings.IndexAny(url, "/?#")
		if next < 0 {
			next = len(url)
		}
		if !appendNormalizedEscapes(&norm, url[:next], urlReserved) {
			return "", false
		}
		s := norm.String()
		seg := s[segStart:]
		skipSlash := false
		switch seg {
		case ".":
			if segStart == pathStart+1 {
				s = s[:len(s)-1]
				skipSlash = true
			} else {
				s = s[:len(s)-2]
			}
		case "..":
			prev := len(s) - 3
			if prev == pathStart {
				return "", false // no segment to go up from
			}
			for prev--; s[prev] != '/'; prev-- {
			}
			if prev == pathStart {
				s = s[:prev+1]
				skipSlash = true
			} else {
				s = s[:prev]
			}
		}
		norm.Reset()
		norm.WriteString(s)
		url = url[next:]
		if !strings.HasPrefix(url, "/") {
			break
		}
		url = url[1:]
		if !skipSlash {
			norm.WriteByte('/')
		}
	}
	if url != "" && !appendNormalizedEscapes(&norm, url, urlReserved) {
		return "", false
	}
	return norm.String(), true
}
