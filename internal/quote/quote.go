// Package quote prints names that come from a bucket (keys, ref names) the way git
// prints paths: git's quote_c_style with core.quotePath on. A name holding a control
// character, '"', '\\', DEL or a byte >= 0x80 is wrapped in double quotes with C
// escapes (\a \b \t \n \v \f \r \" \\) and octal \ooo for the other bytes; any other
// name is printed as is. A terminal escape planted in a key name therefore never
// reaches the terminal raw.
package quote

import "strings"

// needs reports whether byte c forces quoting, and its escape letter (0: octal).
func needs(c byte) (bool, byte) {
	switch c {
	case '\a':
		return true, 'a'
	case '\b':
		return true, 'b'
	case '\t':
		return true, 't'
	case '\n':
		return true, 'n'
	case '\v':
		return true, 'v'
	case '\f':
		return true, 'f'
	case '\r':
		return true, 'r'
	case '"':
		return true, '"'
	case '\\':
		return true, '\\'
	}
	return c < 0x20 || c >= 0x7f, 0
}

// Q is s always in double quotes, with C's escapes: for a message that quotes a name as
// part of its sentence (`HEAD is "refs/heads/main"`, and `HEAD is ""`).
func Q(s string) string {
	if c := C(s); len(c) > 0 && c[0] == '"' && c != s {
		return c
	}
	return `"` + s + `"`
}

// C returns s quoted as git's quote_c_style does with core.quotePath=true.
func C(s string) string {
	i := 0
	for i < len(s) {
		if q, _ := needs(s[i]); q {
			break
		}
		i++
	}
	if i == len(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	b.WriteByte('"')
	b.WriteString(s[:i])
	for ; i < len(s); i++ {
		c := s[i]
		q, esc := needs(c)
		switch {
		case !q:
			b.WriteByte(c)
		case esc != 0:
			b.WriteByte('\\')
			b.WriteByte(esc)
		default:
			b.WriteByte('\\')
			b.WriteByte('0' + c>>6)
			b.WriteByte('0' + (c>>3)&7)
			b.WriteByte('0' + c&7)
		}
	}
	b.WriteByte('"')
	return b.String()
}
