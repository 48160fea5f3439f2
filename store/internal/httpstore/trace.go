package httpstore

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"git-remote-object-store/internal/quote"
	"git-remote-object-store/internal/redact"
	"git-remote-object-store/store"
)

// Verbosity is the trace level the environment asks for (store.Verbosity).
func Verbosity(getenv func(string) string) int { return store.Verbosity(getenv) }

// traceOut is where traces go: stderr, through its own redactor (a backend writes to the
// process's stderr directly, not through the one main wraps, so it masks here too). Each
// trace is one Write of whole lines, so concurrent requests never interleave within one.
var (
	traceMu  sync.Mutex
	traceOut io.Writer = redact.NewWriter(os.Stderr)
)

func writeTrace(s string) {
	traceMu.Lock()
	defer traceMu.Unlock()
	io.WriteString(traceOut, s)
}

// tracer is one attempt's trace, written when its outcome is known: at once for a
// failure, at the body's Close for an answer (so the bytes and time are the whole
// transfer's, not the header's).
type tracer struct {
	c       *Client
	r       *Request
	req     *http.Request
	attempt int // 0-based
	start   time.Time
}

func (c *Client) newTracer(r *Request, req *http.Request, attempt int) *tracer {
	if c.verbose == 0 {
		return nil
	}
	return &tracer{c: c, r: r, req: req, attempt: attempt, start: time.Now()}
}

// failed traces an attempt that got no answer.
func (t *tracer) failed(err error) {
	if t == nil {
		return
	}
	t.write("error ("+err.Error()+")", 0, nil)
}

// answered traces a failed answer now, or wraps a successful one's body to trace at Close.
func (t *tracer) answered(resp *http.Response) {
	if t == nil {
		return
	}
	if resp.StatusCode >= 300 {
		t.write(fmt.Sprint(resp.StatusCode), -1, resp)
		return
	}
	resp.Body = &tracedBody{rc: resp.Body, t: t, resp: resp}
}

type tracedBody struct {
	rc   io.ReadCloser
	t    *tracer
	resp *http.Response
	n    int64
	once sync.Once
}

func (b *tracedBody) Read(p []byte) (int, error) {
	n, err := b.rc.Read(p)
	b.n += int64(n)
	return n, err
}

func (b *tracedBody) Close() error {
	err := b.rc.Close()
	b.once.Do(func() { b.t.write(fmt.Sprint(b.resp.StatusCode), b.n, b.resp) })
	return err
}

// write emits the trace: method, key, status, bytes sent and received, milliseconds and
// the attempt when it is a retry; at level 2 the URL and the headers follow, each value
// masked by redact.Header. received < 0: not counted (a failed answer's drained body).
func (t *tracer) write(status string, received int64, resp *http.Response) {
	key := t.r.Key
	if t.r.Bucket || key == "" {
		key = t.c.Name + " (" + t.r.Op + ")"
	} else {
		key = quote.C(key)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "object-store: %s %s -> %s, %d bytes sent", t.r.Method, key, status, len(t.r.Body))
	if received >= 0 {
		fmt.Fprintf(&b, ", %d received", received)
	}
	fmt.Fprintf(&b, ", %d ms", time.Since(t.start).Milliseconds())
	if t.attempt > 0 {
		fmt.Fprintf(&b, ", retry %d", t.attempt)
	}
	b.WriteByte('\n')
	if t.c.verbose >= 2 {
		fmt.Fprintf(&b, "object-store:   > %s %s\n", t.req.Method, redact.String(t.req.URL.String()))
		headerLines(&b, "> ", t.req.Header)
		if resp != nil {
			fmt.Fprintf(&b, "object-store:   < %s\n", resp.Status)
			headerLines(&b, "< ", resp.Header)
		}
	}
	writeTrace(redact.String(b.String()))
}

func headerLines(b *strings.Builder, dir string, h http.Header) {
	for _, name := range slices.Sorted(func(yield func(string) bool) {
		for k := range h {
			if !yield(k) {
				return
			}
		}
	}) {
		for _, v := range h[name] {
			fmt.Fprintf(b, "object-store:   %s%s: %s\n", dir, name, printable(redact.Header(name, v)))
		}
	}
}

// TraceTo sends traces to w (which should mask secrets itself, or be a test's buffer
// that checks they are masked) until restore is called. For the backends' tests.
func TraceTo(w io.Writer) (restore func()) {
	traceMu.Lock()
	defer traceMu.Unlock()
	old := traceOut
	traceOut = w
	return func() {
		traceMu.Lock()
		defer traceMu.Unlock()
		traceOut = old
	}
}

// printable is a header value as it can be shown on a terminal: one that holds a control
// character (a planted escape sequence) is shown Go-quoted instead.
func printable(v string) string {
	if strings.ContainsFunc(v, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
		return strconv.Quote(v)
	}
	return v
}
