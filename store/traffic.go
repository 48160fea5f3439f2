package store

import (
	"fmt"
	"io"
	"strings"
	"sync/atomic"
	"time"
)

// The request trace's totals (GIT_REMOTE_OBJECT_STORE_VERBOSE): the HTTP backends count
// every attempt they send here, and the program prints one summary line when a helper
// session or a management verb ends. They are process-wide because one process serves
// one git command (or one verb), and they live in this package rather than beside the
// trace (store/internal/httpstore) because that package imports this one, and main must
// reach them.
var traffic struct {
	requests, retried, sent, received atomic.Int64
}

// trafficStart is when the counting began: the process's start, near enough (the
// package is initialised before main runs).
var trafficStart = time.Now()

// CountRequest records one attempt at a request carrying a body of sent bytes; retry
// says it repeats an earlier attempt. For the HTTP backends.
func CountRequest(sent int64, retry bool) {
	traffic.requests.Add(1)
	traffic.sent.Add(sent)
	if retry {
		traffic.retried.Add(1)
	}
}

// CountReceived records n bytes of an answer's body. For the HTTP backends.
func CountReceived(n int64) {
	if n > 0 {
		traffic.received.Add(n)
	}
}

// Verbosity is the trace level the environment asks for: GIT_REMOTE_OBJECT_STORE_VERBOSE,
// else awslabs/git-remote-s3's GIT_REMOTE_S3_VERBOSE. 0 (unset, "0", "false"): no
// trace; 1 (or any other true value): one line per request; 2 and more: also the URL
// and both sides' headers, credentials masked.
func Verbosity(getenv func(string) string) int {
	for _, name := range []string{"GIT_REMOTE_OBJECT_STORE_VERBOSE", "GIT_REMOTE_S3_VERBOSE"} {
		switch v := strings.TrimSpace(strings.ToLower(getenv(name))); v {
		case "":
			continue
		case "0", "false", "no", "off":
			return 0
		case "1", "true", "yes", "on":
			return 1
		default:
			if len(v) == 1 && v[0] >= '2' && v[0] <= '9' {
				return int(v[0] - '0')
			}
			return 1
		}
	}
	return 0
}

// Traffic is what the HTTP backends have sent so far in this process: attempts (and
// how many of them were retries), the bytes of their bodies and of the answers' bodies,
// and the time since the process started.
type Traffic struct {
	Requests, Retried, Sent, Received int64
	Elapsed                           time.Duration
}

// TrafficSoFar reads the counters.
func TrafficSoFar() Traffic {
	return Traffic{Requests: traffic.requests.Load(), Retried: traffic.retried.Load(), Sent: traffic.sent.Load(),
		Received: traffic.received.Load(), Elapsed: time.Since(trafficStart)}
}

// String is the line the trace ends with, e.g.
//
//	object-store: 42 requests (3 retried), 12.3 MiB sent, 1.2 MiB received in 2.1 s
func (t Traffic) String() string {
	noun := "requests"
	if t.Requests == 1 {
		noun = "request"
	}
	return fmt.Sprintf("object-store: %d %s (%d retried), %s sent, %s received in %.1f s",
		t.Requests, noun, t.Retried, byteSize(t.Sent), byteSize(t.Received), t.Elapsed.Seconds())
}

// WriteTrafficSummary writes the Traffic so far as one line to w when the environment
// (getenv) turns the trace on and a request was made, and nothing otherwise: what a
// helper session and each management verb call as they end.
func WriteTrafficSummary(w io.Writer, getenv func(string) string) {
	// A verb that sent nothing (version, install, a directory remote) has nothing to sum.
	if t := TrafficSoFar(); Verbosity(getenv) >= 1 && t.Requests > 0 {
		io.WriteString(w, t.String()+"\n")
	}
}

// byteSize is n in the largest binary unit that keeps it at least 1, as git's progress
// shows transfers: "512 B", "1.5 KiB", "12.3 MiB", "2.01 GiB".
func byteSize(n int64) string {
	const (
		kib = 1 << 10
		mib = 1 << 20
		gib = 1 << 30
	)
	switch {
	case n < kib:
		return fmt.Sprintf("%d B", n)
	case n < mib:
		return fmt.Sprintf("%.1f KiB", float64(n)/kib)
	case n < gib:
		return fmt.Sprintf("%.1f MiB", float64(n)/mib)
	}
	return fmt.Sprintf("%.2f GiB", float64(n)/gib)
}
