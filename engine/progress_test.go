package engine

import (
	"bytes"
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"git-remote-object-store/gitpack"
)

func TestCountingReaderPrintsDoneOnceAndPassesBytesThrough(t *testing.T) {
	var out bytes.Buffer
	src := strings.Repeat("x", 3<<20)
	r := CountingReader(strings.NewReader(src), &out, "Receiving pack", int64(len(src)))
	got, err := io.ReadAll(r)
	if err != nil || string(got) != src {
		t.Fatalf("read %d bytes, err %v", len(got), err)
	}
	if n := strings.Count(out.String(), ", done.\n"); n != 1 {
		t.Fatalf("%d done lines in %q", n, out.String())
	}
	if !strings.HasPrefix(out.String(), "Receiving pack: 100% (3.00 MiB/3.00 MiB) | ") {
		t.Fatalf("final progress line missing: %q", out.String())
	}
}

func TestCountingReaderWithoutProgressIsTheSameReader(t *testing.T) {
	r := strings.NewReader("abc")
	if CountingReader(r, nil, "x", 3) != io.Reader(r) {
		t.Fatal("a nil progress writer must not wrap the reader")
	}
	var m *Meter
	m.Add(1) // a nil meter is valid
	m.AddBytes(1)
	m.Done()
	m.Abort()
	if m.Reader(r) != io.Reader(r) || m.Func() != nil {
		t.Fatal("a nil meter must wrap nothing")
	}
	var pp *PackProgress
	if pp.Options().Progress != nil || pp.Writer(io.Discard) != io.Discard {
		t.Fatal("a nil PackProgress must hook nothing")
	}
	pp.Done()
	var rp *ReceiveProgress
	if rp.Indexer() != nil || rp.Reader(r) != io.Reader(r) {
		t.Fatal("a nil ReceiveProgress must hook nothing")
	}
	rp.Done()
}

// fakeClock is an injected clock: it moves only when told.
type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time          { return c.t }
func (c *fakeClock) advance(d time.Duration) { c.t = c.t.Add(d) }

func newClock() *fakeClock { return &fakeClock{t: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)} }

// testMeter is a meter on out with an injected clock, on a terminal or not.
func testMeter(out io.Writer, tty bool, c *fakeClock, title string, total int64) *Meter {
	return newMeter(TerminalWriter(out, tty), title, total, c.now)
}

func TestHumanBytesAndRateAreGits(t *testing.T) {
	for _, c := range []struct {
		n           int64
		bytes, rate string
	}{
		{0, "0 bytes", "0 bytes/s"},
		{1, "1 byte", "1 byte/s"},
		{1023, "1023 bytes", "1023 bytes/s"},
		{1024, "1024 bytes", "1024 bytes/s"}, // git: "more than 1 KiB" before switching
		{1025, "1.00 KiB", "1.00 KiB/s"},
		{1536, "1.50 KiB", "1.50 KiB/s"},
		{939 * 1024, "939.00 KiB", "939.00 KiB/s"},
		{1 << 20, "1024.00 KiB", "1024.00 KiB/s"},
		{12939428, "12.34 MiB", "12.34 MiB/s"},
		{5945425, "5.67 MiB", "5.67 MiB/s"},
		{1<<30 + 1, "1.00 GiB", "1.00 GiB/s"},
		{5 << 30, "5.00 GiB", "5.00 GiB/s"},
	} {
		if got := HumanBytes(c.n); got != c.bytes {
			t.Errorf("HumanBytes(%d) = %q, want %q", c.n, got, c.bytes)
		}
		if got := HumanRate(c.n); got != c.rate {
			t.Errorf("HumanRate(%d) = %q, want %q", c.n, got, c.rate)
		}
	}
}

func TestCounterIntoAPipePrintsOnlyTheLastLine(t *testing.T) {
	var out bytes.Buffer
	c := newClock()
	m := testMeter(&out, false, c, "Counting objects", 4)
	for i := int64(0); i <= 4; i++ {
		m.Set(i)
		c.advance(2 * time.Second)
	}
	m.Done()
	m.Done()
	if got, want := out.String(), "Counting objects: 100% (4/4), done.\n"; got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
}

func TestCounterOnATerminalGolden(t *testing.T) {
	var out bytes.Buffer
	c := newClock()
	m := testMeter(&out, true, c, "Counting objects", 3)
	for i := int64(1); i <= 3; i++ {
		m.Set(i)
	}
	m.Done()
	want := "Counting objects:  33% (1/3)\r" +
		"Counting objects:  66% (2/3)\r" +
		"Counting objects: 100% (3/3)\r" +
		"Counting objects: 100% (3/3), done.\n"
	if got := out.String(); got != want {
		t.Fatalf("got  %q\nwant %q", got, want)
	}
}

// An update is printed when the percentage moves or a second has passed, never more.
func TestUpdatesAreRateLimited(t *testing.T) {
	var out bytes.Buffer
	c := newClock()
	m := testMeter(&out, true, c, "Compressing objects", 1000)
	for i := int64(1); i <= 1000; i++ {
		m.Set(i)
	}
	if n := strings.Count(out.String(), "\r"); n != 101 { // 0% … 100%, once each
		t.Fatalf("%d updates for 1000 objects, want one per percent (101)", n)
	}

	out.Reset()
	e := testMeter(&out, true, c, "Enumerating objects", 0)
	for i := int64(1); i <= 100; i++ {
		e.Set(i)
	}
	if out.Len() != 0 {
		t.Fatalf("an unknown total printed before the first second: %q", out.String())
	}
	c.advance(time.Second)
	e.Set(101)
	c.advance(500 * time.Millisecond)
	e.Set(102) // half a second later: not due
	c.advance(600 * time.Millisecond)
	e.Set(103) // 1.1 s after the last: due
	e.Done()
	want := "Enumerating objects: 101\r" +
		"Enumerating objects: 103\r" +
		"Enumerating objects: 103, done.\n"
	if got := out.String(); got != want {
		t.Fatalf("got  %q\nwant %q", got, want)
	}
}

func TestThroughputGolden(t *testing.T) {
	var out bytes.Buffer
	c := newClock()
	m := testMeter(&out, true, c, "Writing objects", 2)
	m.Set(1) // "50%": printed at once, no rate yet
	c.advance(600 * time.Millisecond)
	m.AddBytes(1 << 20) // the first sample: 1 MiB in 0.6 s, not shown (no update due)
	c.advance(600 * time.Millisecond)
	m.AddBytes(1 << 20) // 1.2 s since the last update: shown with the window's rate
	m.Set(2)
	c.advance(800 * time.Millisecond)
	m.Done() // 2 MiB in 2 s: the whole phase's rate
	want := "Writing objects:  50% (1/2)\r" +
		"Writing objects:  50% (1/2), 2.00 MiB | 1.67 MiB/s\r" +
		"Writing objects: 100% (2/2), 2.00 MiB | 1.67 MiB/s\r" +
		"Writing objects: 100% (2/2), 2.00 MiB | 1024.00 KiB/s, done.\n"
	if got := out.String(); got != want {
		t.Fatalf("got  %q\nwant %q", got, want)
	}
}

func TestByteMeterGolden(t *testing.T) {
	var out bytes.Buffer
	c := newClock()
	m := testMeter(&out, false, c, "Uploading pack", 3<<20)
	m.isBytes, m.tp = true, newThroughput(c.now())
	for range 3 {
		c.advance(time.Second)
		m.Add(1 << 20)
	}
	m.Done()
	if got, want := out.String(), "Uploading pack: 100% (3.00 MiB/3.00 MiB) | 1024.00 KiB/s, done.\n"; got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
}

// A shorter line covers what is left of the longer "\r" line before it.
func TestShorterLinesArePadded(t *testing.T) {
	var out bytes.Buffer
	c := newClock()
	w := TerminalWriter(&out, true)
	long := newMeter(w, "Receiving objects", 1000, c.now)
	long.Set(500)
	short := newMeter(w, "Resolving", 1, c.now)
	short.Set(1)
	short.Done()
	want := "Receiving objects:  50% (500/1000)\r" +
		"Resolving: 100% (1/1)" + strings.Repeat(" ", 34-21) + "\r" +
		"Resolving: 100% (1/1), done.\n" // longer than the line before: no padding
	if got := out.String(); got != want {
		t.Fatalf("got  %q\nwant %q", got, want)
	}
	long.Abort() // nothing unfinished on the line any more: no newline
	if strings.HasSuffix(out.String(), "\n\n") {
		t.Fatalf("Abort added an empty line: %q", out.String())
	}
}

func TestAbortEndsAnUnfinishedLine(t *testing.T) {
	var out bytes.Buffer
	m := testMeter(&out, true, newClock(), "Writing objects", 10)
	m.Set(3)
	m.Abort()
	m.Done() // after Abort: nothing
	if got, want := out.String(), "Writing objects:  30% (3/10)\r\n"; got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
}

func TestPackProgressPhases(t *testing.T) {
	var out bytes.Buffer
	pp := NewPackProgress(TerminalWriter(&out, false))
	report := pp.Options().Progress
	var sink bytes.Buffer
	w := pp.Writer(&sink)
	report(gitpack.Enumerating, 0, -1)
	for i := int64(1); i <= 5; i++ {
		report(gitpack.Enumerating, i, -1)
	}
	report(gitpack.Enumerating, 5, 5)
	for i := int64(0); i <= 5; i++ {
		report(gitpack.Counting, i, 5)
	}
	for i := int64(0); i <= 2; i++ {
		report(gitpack.Compressing, i, 2)
	}
	for i := int64(0); i <= 5; i++ {
		report(gitpack.Writing, i, 5)
		w.Write(make([]byte, 100))
	}
	pp.Done()
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	want := []string{
		"Enumerating objects: 5, done.",
		"Counting objects: 100% (5/5), done.",
		"Compressing objects: 100% (2/2), done.",
		"Writing objects: 100% (5/5), 600 bytes | ",
	}
	if len(lines) != len(want) {
		t.Fatalf("got %q", out.String())
	}
	for i := range want {
		if !strings.HasPrefix(lines[i], want[i]) || !strings.HasSuffix(lines[i], ", done.") {
			t.Errorf("line %d = %q, want %q…, done.", i, lines[i], want[i])
		}
	}
	if sink.Len() != 600 {
		t.Fatalf("the wrapped writer got %d bytes", sink.Len())
	}
}

func TestReceiveProgressPhases(t *testing.T) {
	var out bytes.Buffer
	rp := NewReceiveProgress(TerminalWriter(&out, false))
	r := rp.Reader(strings.NewReader(strings.Repeat("p", 2048)))
	cb := rp.Indexer()
	io.ReadAll(r)
	for i := int64(0); i <= 4; i++ {
		cb(i, 4)
	}
	for i := int64(0); i <= 2; i++ {
		cb(i, 2)
	}
	rp.Done()
	lines := strings.Split(out.String(), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[0], "Receiving objects: 100% (4/4), 2.00 KiB | ") ||
		!strings.HasSuffix(lines[0], ", done.") || lines[1] != "Resolving deltas: 100% (2/2), done." {
		t.Fatalf("got %q", out.String())
	}

	// A pack without deltas: no "Resolving deltas" line.
	out.Reset()
	rp = NewReceiveProgress(TerminalWriter(&out, false))
	cb = rp.Indexer()
	cb(0, 1)
	cb(1, 1)
	rp.Done()
	if strings.Contains(out.String(), "Resolving") || !strings.HasPrefix(out.String(), "Receiving objects: 100% (1/1)") {
		t.Fatalf("got %q", out.String())
	}
}

func TestProgressTravelsInAContext(t *testing.T) {
	ctx := context.Background()
	if ProgressOf(ctx) != nil || ProgressOf(WithProgress(ctx, nil)) != nil {
		t.Fatal("no progress writer was given")
	}
	var out bytes.Buffer
	if ProgressOf(WithProgress(ctx, &out)) != &out {
		t.Fatal("the progress writer was lost")
	}
}

// Packs received at once on one writer share one "Receiving objects" and one
// "Resolving deltas" line, whose counts add up; a pack received later gets lines of
// its own.
func TestReceiveProgressGroupsPacksReceivedTogether(t *testing.T) {
	var out bytes.Buffer
	w := TerminalWriter(&out, false)
	a, b := NewReceiveProgress(w), NewReceiveProgress(w)
	ia, ib := a.Indexer(), b.Indexer()
	ia(0, 3)
	ib(0, 2)
	for i := int64(1); i <= 3; i++ {
		ia(i, 3)
	}
	ia(0, 1) // a resolves while b still receives: not shown yet
	ia(1, 1)
	a.Done()
	if out.Len() != 0 {
		t.Fatalf("lines before the group is done: %q", out.String())
	}
	ib(1, 2)
	ib(2, 2)
	b.Done()
	want := "Receiving objects: 100% (5/5), done.\nResolving deltas: 100% (1/1), done.\n"
	if got := out.String(); got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
	out.Reset()
	c := NewReceiveProgress(w)
	ic := c.Indexer()
	ic(0, 1)
	ic(1, 1)
	c.Done()
	if got := out.String(); got != "Receiving objects: 100% (1/1), done.\n" {
		t.Fatalf("a later pack: got %q", got)
	}
}
