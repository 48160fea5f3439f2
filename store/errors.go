package store

import (
	"errors"
	"fmt"
	"strings"
)

// Error is a failed store operation, classified once at the backend's HTTP (or file
// system) boundary. It unwraps to ErrNotFound / ErrPrecondition when it is one of those,
// so callers branch with errors.Is and print it as is: it names the operation, the key,
// what the service said, and what to do next. It never carries a secret.
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
}

func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %q", e.Op, e.Key)
	if e.Status != 0 {
		fmt.Fprintf(&b, ": HTTP %d", e.Status)
	}
	if e.Code != "" {
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
