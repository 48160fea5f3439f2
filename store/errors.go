package store

import (
	"errors"
	"fmt"
	"strings"
)

// Error is a failed store operation, classified once at the backend's HTTP (or file
// system) boundary. It unwraps to ErrNotFound / ErrPrecondition when it is one of those,
// so callers branch with errors.Is and print it as is: it names the operation, the key,
// what the service said, and what to do next, each once, and no Go package. It never
// carries a secret.
type Error struct {
	Op        string // "put", "get", "list", "complete multipart upload", …
	Key       string // the object key (or prefix, for list)
	Status    int    // HTTP status, 0 when there was no response
	Code      string // the service's error code (S3 <Code>, Azure x-ms-error-code)
	Message   string // the service's message, trimmed
	Hint      string // what the user can do about it, when we know
	RequestID string
	Retryable bool  // a transient failure worth another attempt
	Err       error // the sentinel (ErrNotFound, ErrPrecondition) or the transport error
	// Remote, when set, is what is wrong with the bucket, container, account or
	// directory as a whole, in the user's words ("bucket 'x' does not exist at …"):
	// every request would fail alike, so the message is this (with the status and code,
	// and the hint) instead of the operation, key and the service's own words.
	Remote string
}

// Error renders
//
//	<op> "<key>": HTTP <status> <code>: <message or cause> (<hint>)
//
// leaving out what is unknown (`<op>: …` when the key is empty, a listing of the whole
// store), or, for an error about the store as a whole (Remote),
//
//	<remote> (HTTP <status> <code>); <hint>
func (e *Error) Error() string {
	var b strings.Builder
	if e.Remote != "" {
		b.WriteString(e.Remote)
		if e.Status != 0 {
			fmt.Fprintf(&b, " (HTTP %d", e.Status)
			if e.Code != "" {
				fmt.Fprintf(&b, " %s", e.Code)
			}
			b.WriteString(")")
		}
		if e.Hint != "" {
			fmt.Fprintf(&b, "; %s", e.Hint)
		}
		return b.String()
	}
	b.WriteString(e.Op)
	if e.Key != "" {
		fmt.Fprintf(&b, " %q", e.Key)
	}
	if e.Status != 0 {
		fmt.Fprintf(&b, ": HTTP %d", e.Status)
	}
	if e.Code != "" {
		if e.Status == 0 {
			b.WriteString(":")
		}
		fmt.Fprintf(&b, " %s", e.Code)
	}
	if e.Message != "" {
		fmt.Fprintf(&b, ": %s", e.Message)
	} else if e.Err != nil {
		fmt.Fprintf(&b, ": %v", e.Err)
	}
	if e.Hint != "" {
		fmt.Fprintf(&b, " (%s)", e.Hint)
	}
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// IsNotFound reports whether err means the key does not exist.
func IsNotFound(err error) bool { return errors.Is(err, ErrNotFound) }

// IsPrecondition reports whether err means a conditional write lost.
func IsPrecondition(err error) bool { return errors.Is(err, ErrPrecondition) }

// IgnoreNotFound makes a delete of a missing key a success, as the Store contract says.
func IgnoreNotFound(err error) error {
	if errors.Is(err, ErrNotFound) {
		return nil
	}
	return err
}
