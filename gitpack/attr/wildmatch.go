package attr

import "strings"

// Flags change how Match treats a pattern.
type Flags struct {
	// Pathname: "*", "?" and brackets do not match "/", and "**" between slashes (or at
	// either end) matches any number of directories. Without it, "*" matches anything.
	Pathname bool
	// IgnoreCase compares ASCII letters without regard to case.
	IgnoreCase bool
}

// Match reports whether text matches the glob pattern with git's wildmatch rules, which
// gitignore and gitattributes patterns follow: "*", "?", "[...]" with ranges, "!" or "^"
// negation and [:class:] names, "\" quoting the next character, and "**".
//
// The search gives up on a branch as soon as no longer text could match, so patterns
// from a hostile .gitattributes cannot make it run for long.
func Match(pattern, text string, fl Flags) bool {
	m := matcher{pat: pattern, text: text, fl: fl}
	return m.at(0, 0) == matched
}

type outcome uint8

const (
	matched outcome = iota
	noMatch
	// giveUp: the text ran out, so no enclosing star trying a later split can match.
	giveUp
	// toDoubleStar: a single star met a slash; only an enclosing "**" can get past it.
	toDoubleStar
)

type matcher struct {
	pat, text string
	fl        Flags
}

func (m *matcher) same(a, b byte) bool {
	return a == b || m.fl.IgnoreCase && lower(a) == lower(b)
}

func lower(c byte) byte {
	if c >= 'A' && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// at matches pat[p:] against text[t:].
func (m *matcher) at(p, t int) outcome {
	for ; p < len(m.pat); p, t = p+1, t+1 {
		pc := m.pat[p]
		if pc == '*' {
			return m.star(p, t)
		}
		if t == len(m.text) {
			return giveUp
		}
		tc := m.text[t]
		switch pc {
		case '\\':
			p++
			if p == len(m.pat) || !m.same(m.pat[p], tc) {
				return noMatch // a trailing backslash matches nothing
			}
		case '?':
			if m.fl.Pathname && tc == '/' {
				return noMatch
			}
		case '[':
			end, ok, wellFormed := m.bracket(p+1, tc)
			if !wellFormed {
				return giveUp
			}
			if !ok || m.fl.Pathname && tc == '/' {
				return noMatch
			}
			p = end
		default:
			if !m.same(pc, tc) {
				return noMatch
			}
		}
	}
	if t == len(m.text) {
		return matched
	}
	return noMatch
}

// star matches a run of stars at pat[p] and what follows.
func (m *matcher) star(p, t int) outcome {
	q := p + 1
	crossSlash := !m.fl.Pathname
	if q < len(m.pat) && m.pat[q] == '*' {
		for q < len(m.pat) && m.pat[q] == '*' {
			q++
		}
		if m.fl.Pathname {
			before := p == 0 || m.pat[p-1] == '/'
			after := q == len(m.pat) || m.pat[q] == '/' || strings.HasPrefix(m.pat[q:], `\/`)
			if before && after {
				// "**/" may match no directory at all: "a/**/b" matches "a/b".
				if q < len(m.pat) && m.pat[q] == '/' && m.at(q+1, t) == matched {
					return matched
				}
				crossSlash = true
			}
		}
	}
	rest := m.text[t:]
	if q == len(m.pat) {
		if !crossSlash && strings.IndexByte(rest, '/') >= 0 {
			return noMatch
		}
		return matched
	}
	if !crossSlash && m.pat[q] == '/' {
		// One star before a slash is exactly the rest of this path component.
		i := strings.IndexByte(rest, '/')
		if i < 0 {
			return noMatch
		}
		return m.at(q, t+i)
	}
	for ; t < len(m.text); t++ {
		r := m.at(q, t)
		if r != noMatch {
			if !crossSlash || r != toDoubleStar {
				return r
			}
		} else if !crossSlash && m.text[t] == '/' {
			return toDoubleStar
		}
	}
	return giveUp
}

// bracket matches tc against the bracket expression starting at pat[p] (just after
// "["): it returns the index of the closing "]", whether tc is in the set, and false
// for wellFormed when the expression never closes or names an unknown class.
func (m *matcher) bracket(p int, tc byte) (end int, in, wellFormed bool) {
	pat := m.pat
	negated := false
	if p < len(pat) && (pat[p] == '!' || pat[p] == '^') {
		negated = true
		p++
	}
	var prev byte
	hasPrev := false
	first := true
	for ; p < len(pat); p++ {
		c := pat[p]
		if c == ']' && !first {
			return p, in != negated, true
		}
		first = false
		switch {
		case c == '\\':
			if p++; p == len(pat) {
				return 0, false, false
			}
			c = pat[p]
			if m.same(c, tc) {
				in = true
			}
			prev, hasPrev = c, true
		case c == '-' && hasPrev && p+1 < len(pat) && pat[p+1] != ']':
			p++
			hi := pat[p]
			if hi == '\\' {
				if p++; p == len(pat) {
					return 0, false, false
				}
				hi = pat[p]
			}
			if tc >= prev && tc <= hi ||
				m.fl.IgnoreCase && (lower(tc) >= prev && lower(tc) <= hi || upper(tc) >= prev && upper(tc) <= hi) {
				in = true
			}
			hasPrev = false
		case c == '[' && p+1 < len(pat) && pat[p+1] == ':':
			close := strings.IndexByte(pat[p+2:], ']')
			if close < 0 {
				return 0, false, false
			}
			name := pat[p+2 : p+2+close]
			if !strings.HasSuffix(name, ":") {
				// Not a class after all: a literal "[", and the scan goes on after it.
				if tc == '[' {
					in = true
				}
				prev, hasPrev = '[', true
				continue
			}
			ok, known := m.class(name[:len(name)-1], tc)
			if !known {
				return 0, false, false
			}
			if ok {
				in = true
			}
			p += 2 + close
			hasPrev = false
		default:
			if m.same(c, tc) {
				in = true
			}
			prev, hasPrev = c, true
		}
	}
	return 0, false, false
}

func upper(c byte) byte {
	if c >= 'a' && c <= 'z' {
		return c - ('a' - 'A')
	}
	return c
}

// class reports whether c is in the POSIX class name (ASCII only, as git's ctype).
func (m *matcher) class(name string, c byte) (in, known bool) {
	isUpper, isLower := c >= 'A' && c <= 'Z', c >= 'a' && c <= 'z'
	isDigit := c >= '0' && c <= '9'
	isAlpha := isUpper || isLower
	isPrint := c >= 0x20 && c < 0x7f
	isSpace := c == ' ' || c >= '\t' && c <= '\r'
	switch name {
	case "alnum":
		return isAlpha || isDigit, true
	case "alpha":
		return isAlpha, true
	case "blank":
		return c == ' ' || c == '\t', true
	case "cntrl":
		return c < 0x20 || c == 0x7f, true
	case "digit":
		return isDigit, true
	case "graph":
		return isPrint && c != ' ', true
	case "lower":
		return isLower || m.fl.IgnoreCase && isUpper, true
	case "print":
		return isPrint, true
	case "punct":
		return isPrint && c != ' ' && !isAlpha && !isDigit, true
	case "space":
		return isSpace, true
	case "upper":
		return isUpper || m.fl.IgnoreCase && isLower, true
	case "xdigit":
		return isDigit || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F', true
	}
	return false, false
}
