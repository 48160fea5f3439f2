package engine

import (
	"fmt"
	"io"
	"sync"
	"time"
)

// CountingReader wraps r so that, when w is not nil, reading it prints git-style byte
// progress to w ("Receiving x: 12.50 MiB | 3.10 MiB/s", then ", done."). total < 0 means
// unknown. With a nil w it returns r unchanged: progress costs nothing unless git asked.
func CountingReader(r io.Reader, w io.Writer, title string, total int64) io.Reader {
	if w == nil {
		return r
	}
	return &countingReader{r: r, m: NewMeter(w, title, total)}
}

type countingReader struct {
	r io.Reader
	m *Meter
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.m.Add(int64(n))
	if err == io.EOF {
		c.m.Done()
	}
	return n, err
}

// Meter prints a byte or object count in git's progress style, at most every 100 ms.
// A nil *Meter is valid and prints nothing.
type Meter struct {
	mu       sync.Mutex
	w        io.Writer
	title    string
	total    int64
	n        int64
	start    time.Time
	last     time.Time
	done     bool
	isObject bool
}

// NewMeter returns a byte meter, or nil when w is nil.
func NewMeter(w io.Writer, title string, total int64) *Meter {
	if w == nil {
		return nil
	}
	now := time.Now()
	return &Meter{w: w, title: title, total: total, start: now}
}

// NewCounter returns an object counter ("Counting objects: 42% (21/50)"), or nil when w is nil.
func NewCounter(w io.Writer, title string, total int64) *Meter {
	m := NewMeter(w, title, total)
	if m != nil {
		m.isObject = true
	}
	return m
}

// Add counts n more bytes (or objects).
func (m *Meter) Add(n int64) {
	if m == nil {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.n += n
	if now := time.Now(); now.Sub(m.last) >= 100*time.Millisecond {
		m.last = now
		m.print("\r")
	}
}

// Done prints the final line once.
func (m *Meter) Done() {
	if m == nil {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if !m.done {
		m.done = true
		m.print(", done.\n")
	}
}

func (m *Meter) print(end string) {
	var s string
	switch {
	case m.isObject && m.total > 0:
		s = fmt.Sprintf("%s: %3d%% (%d/%d)", m.title, m.n*100/m.total, m.n, m.total)
	case m.isObject:
		s = fmt.Sprintf("%s: %d", m.title, m.n)
	default:
		s = fmt.Sprintf("%s: %s", m.title, humanBytes(m.n))
		if m.total > 0 {
			s = fmt.Sprintf("%s: %3d%% (%s/%s)", m.title, m.n*100/m.total, humanBytes(m.n), humanBytes(m.total))
		}
		if secs := time.Since(m.start).Seconds(); secs > 0.5 {
			s += " | " + humanBytes(int64(float64(m.n)/secs)) + "/s"
		}
	}
	fmt.Fprint(m.w, s+end)
}

func humanBytes(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.2f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.2f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.2f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d bytes", n)
}
