package fsck

import (
	"fmt"

	"git-remote-object-store/gitpack/object"
)

// reporter collects the messages about one object, as git's report() does: a message
// about an object on the skip list, or ignored, is dropped; fatal is reported as an
// error and info as a warning.
type reporter struct {
	opt    *Options
	format object.Format
	id     object.Hash
	typ    object.Type
	msgs   []Message
	failed bool
}

// report records a message and tells whether it is an error (git's non-zero result).
func (r *reporter) report(id MsgID, format string, args ...any) bool {
	if r.opt.skip[r.id] {
		return false
	}
	s := r.opt.Severity(id)
	switch s {
	case Ignore:
		return false
	case Fatal:
		s = Error
	case Info:
		s = Warn
	}
	text := format
	if len(args) > 0 {
		text = fmt.Sprintf(format, args...)
	}
	r.msgs = append(r.msgs, Message{Object: r.id, Type: r.typ, ID: id, Severity: s, Text: text})
	if s == Error {
		r.failed = true
		return true
	}
	return false
}

// at is b[i], or 0 past its end: the NUL a C string ends with.
func at(b []byte, i int) byte {
	if i < 0 || i >= len(b) {
		return 0
	}
	return b[i]
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }
