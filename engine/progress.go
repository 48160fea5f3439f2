package engine

import (
	"context"
	"fmt"
	"io"
	"os"
	"reflect"
	"strings"
	"sync"
	"time"

	"git-remote-object-store/gitpack"
)

// Progress in git's style (git's progress.c), on the writer git or the user gave
// (Options.Progress: git said "option progress true"; a CLI verb: its stderr is a
// terminal and -q was not given). A nil writer prints nothing and costs nothing.
//
// The rules, as git's:
//
//   - A phase prints "<title>: <counters>" lines. With a known total the counters are
//     "<percent>% (<done>/<total>)", otherwise the count; a phase that moves bytes adds
//     ", <bytes> | <rate>/s" (rate in KiB/s, averaged over the last few seconds, and
//     over the whole phase on the last line).
//   - On a terminal, an update ends in "\r" and is printed when the percentage changes or
//     a second has passed since the last one (git's SIGALRM tick); a shorter line is
//     padded with spaces so nothing of the longer one before it is left.
//   - The last line of a phase ends in ", done.\n" and is printed once, terminal or not.
//   - Into a pipe or a file only those last lines are printed, never a "\r" update. (git
//     itself prints updates there too when forced with --progress; a log then holds every
//     one of them, which is what the issue asked us not to do.)

// TerminalWriter marks w as a terminal (tty true) or not, for writers whose nature
// progress cannot find out (a redacting wrapper around stderr, say): a CLI verb knows
// whether its stderr is a terminal and says so once.
func TerminalWriter(w io.Writer, tty bool) io.Writer {
	if w == nil {
		return nil
	}
	return &ttyWriter{w: w, tty: tty}
}

type ttyWriter struct {
	w   io.Writer
	tty bool
}

func (t *ttyWriter) Write(p []byte) (int, error) { return t.w.Write(p) }
func (t *ttyWriter) IsTerminal() bool            { return t.tty }

// IsTerminal reports whether f is a character device (a terminal), with the standard
// library only.
func IsTerminal(f *os.File) bool {
	if f == nil {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0 && fi.Mode()&os.ModeDevice != 0
}

// stderrIsTerminal is asked about writers progress cannot see through: in this program
// every progress writer ends at the process's stderr.
var stderrIsTerminal = sync.OnceValue(func() bool { return IsTerminal(os.Stderr) })

// isTerminal decides whether w gets "\r" updates.
func isTerminal(w io.Writer) bool {
	switch v := w.(type) {
	case interface{ IsTerminal() bool }:
		return v.IsTerminal()
	case *os.File:
		return IsTerminal(v)
	}
	return stderrIsTerminal()
}

// line is what one writer shows: the length of the unfinished ("\r") line on it, so the
// next line can cover it, and a lock so that lines of meters running at once (packs
// fetched in parallel) never mix within a line.
type line struct {
	mu      sync.Mutex
	w       io.Writer
	partial int // length of the "\r" line last printed, 0 after a "\n"
}

// print writes s, then eol: "\r" for an update, ", done.\n" for a last line. Spaces
// before the terminating "\r" or "\n" cover what is left of a longer "\r" line.
func (l *line) print(s, eol string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	text, term := eol[:len(eol)-1], eol[len(eol)-1:]
	s += text
	pad := ""
	if n := l.partial - len(s); n > 0 {
		pad = strings.Repeat(" ", n)
	}
	io.WriteString(l.w, s+pad+term)
	if term == "\r" {
		l.partial = len(s)
	} else {
		l.partial = 0
	}
}

// breakLine ends an unfinished "\r" line, so that a message printed next (an error)
// starts on a line of its own.
func (l *line) breakLine() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.partial > 0 {
		io.WriteString(l.w, "\n")
		l.partial = 0
	}
}

var lines struct {
	mu sync.Mutex
	m  map[io.Writer]*line
}

// lineOf returns the shared line state of w.
func lineOf(w io.Writer) *line {
	if t := reflect.TypeOf(w); t == nil || !t.Comparable() {
		return &line{w: w}
	}
	lines.mu.Lock()
	defer lines.mu.Unlock()
	if lines.m == nil {
		lines.m = map[io.Writer]*line{}
	}
	l := lines.m[w]
	if l == nil {
		l = &line{w: w}
		lines.m[w] = l
	}
	return l
}

// Meter is one phase of progress: a count of objects (NewCounter), or of bytes
// (NewMeter), optionally with the bytes moved and their rate (AddBytes). A nil *Meter
// is valid and prints nothing. It is safe for concurrent use.
type Meter struct {
	mu      sync.Mutex
	ln      *line
	tty     bool
	now     func() time.Time
	title   string
	total   int64 // <= 0: unknown
	n       int64
	isBytes bool // the count is bytes: shown humanised, with its rate
	started bool // something was counted (git prints no last line for a phase never begun)
	done    bool
	start   time.Time
	tick    time.Time // when the last update was due: one more is due a second later
	lastPct int64
	tp      *throughput
}

// NewMeter returns a byte meter ("Uploading pack: 42% (5.18 MiB/12.34 MiB) | 2.10 MiB/s"),
// or nil when w is nil. total <= 0 means unknown.
func NewMeter(w io.Writer, title string, total int64) *Meter {
	m := newMeter(w, title, total, time.Now)
	if m != nil {
		m.isBytes = true
		m.tp = newThroughput(m.start)
	}
	return m
}

// NewCounter returns an object counter ("Counting objects:  42% (21/50)"), or nil when
// w is nil. total <= 0 means unknown ("Enumerating objects: 21").
func NewCounter(w io.Writer, title string, total int64) *Meter {
	return newMeter(w, title, total, time.Now)
}

func newMeter(w io.Writer, title string, total int64, now func() time.Time) *Meter {
	if w == nil {
		return nil
	}
	t := now()
	return &Meter{ln: lineOf(w), tty: isTerminal(w), now: now, title: title, total: total, start: t, tick: t, lastPct: -1}
}

// Add counts n more objects (or bytes, for a byte meter).
func (m *Meter) Add(n int64) {
	if m == nil {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.set(m.n + n)
}

// Set sets the count to n (a callback's "done").
func (m *Meter) Set(n int64) {
	if m == nil {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.set(n)
}

func (m *Meter) set(n int64) {
	if m.done {
		return
	}
	m.n, m.started = n, true
	if m.isBytes {
		m.tp.count(m.now(), n)
	}
	m.update(false)
}

// SetTotal changes what 100% is (a pack's header announces its object count).
func (m *Meter) SetTotal(total int64) {
	if m == nil {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.total = total
}

// AddBytes counts n more bytes moved, shown after the count with their rate
// (", 12.34 MiB | 5.67 MiB/s").
func (m *Meter) AddBytes(n int64) {
	if m == nil {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.done {
		return
	}
	if m.tp == nil {
		m.tp = newThroughput(m.start)
	}
	if m.tp.count(m.now(), m.tp.total+n) && m.started {
		m.update(false)
	}
}

// Done prints the last line once, unless nothing was ever counted.
func (m *Meter) Done() {
	if m == nil {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.done {
		return
	}
	m.done = true
	if !m.started && (m.tp == nil || m.tp.total == 0) {
		return
	}
	if m.tp != nil {
		m.tp.final(m.now(), m.start)
	}
	m.ln.print(m.title+": "+m.counters(), ", done.\n")
}

// Abort ends the phase without a last line (it failed): an unfinished "\r" line is
// ended so the error printed next stands on its own line.
func (m *Meter) Abort() {
	if m == nil {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if !m.done {
		m.done = true
		m.ln.breakLine()
	}
}

// Func returns the meter as a (done, total) callback, the shape gitpack's hooks have.
func (m *Meter) Func() func(done, total int64) {
	if m == nil {
		return nil
	}
	return func(done, total int64) {
		m.mu.Lock()
		defer m.mu.Unlock()
		if total > 0 {
			m.total = total
		}
		m.set(done)
	}
}

// update prints a "\r" line when one is due: on a terminal only, when the percentage
// moved or a second passed since the last one.
func (m *Meter) update(force bool) {
	if !m.tty {
		return
	}
	now := m.now()
	due := force || now.Sub(m.tick) >= time.Second
	if m.total > 0 {
		if pct := m.n * 100 / m.total; pct != m.lastPct {
			m.lastPct, due = pct, true
		}
	}
	if !due {
		return
	}
	m.tick = now
	m.ln.print(m.title+": "+m.counters(), "\r")
}

// counters is what follows the title: count, percentage, bytes and rate.
func (m *Meter) counters() string {
	var b strings.Builder
	show := func(n int64) string {
		if m.isBytes {
			return HumanBytes(n)
		}
		return fmt.Sprint(n)
	}
	if m.total > 0 {
		fmt.Fprintf(&b, "%3d%% (%s/%s)", m.n*100/m.total, show(m.n), show(m.total))
	} else {
		b.WriteString(show(m.n))
	}
	if m.tp != nil && m.tp.shown != "" {
		if m.isBytes {
			b.WriteString(" | " + m.tp.shown)
		} else {
			b.WriteString(", " + HumanBytes(m.tp.total) + " | " + m.tp.shown)
		}
	}
	return b.String()
}

// throughput is git's: every half second the bytes since the last sample are added to a
// window of the last eight samples, and the rate shown is the window's, in whole KiB/s.
type throughput struct {
	total, prevTotal int64
	prev             time.Time
	bytes, misecs    [8]int64 // the window
	avgBytes, avgMs  int64
	idx              int
	shown            string // "5.67 MiB/s", "" before the first sample
}

func newThroughput(start time.Time) *throughput { return &throughput{prev: start} }

// misecs converts d to 1/1024ths of a second, git's unit: bytes per misec is KiB/s.
func misecs(d time.Duration) int64 { return int64(d) * 1024 / int64(time.Second) }

// count records the running total; it reports whether the rate was sampled anew.
func (t *throughput) count(now time.Time, total int64) bool {
	t.total = total
	if now.Sub(t.prev) <= 500*time.Millisecond {
		return false
	}
	ms := misecs(now.Sub(t.prev))
	n := total - t.prevTotal
	t.prevTotal, t.prev = total, now
	t.avgBytes += n
	t.avgMs += ms
	rate := t.avgBytes / max(t.avgMs, 1)
	t.avgBytes -= t.bytes[t.idx]
	t.avgMs -= t.misecs[t.idx]
	t.bytes[t.idx], t.misecs[t.idx] = n, ms
	t.idx = (t.idx + 1) % len(t.bytes)
	t.shown = HumanRate(rate * 1024)
	return true
}

// final sets the rate of the last line: the whole phase's average, as git's.
func (t *throughput) final(now, start time.Time) {
	t.shown = HumanRate(t.total / max(misecs(now.Sub(start)), 1) * 1024)
}

// HumanBytes writes n as git's strbuf_humanise_bytes does: "512 bytes", "1.50 KiB",
// "12.34 MiB", "1.07 GiB" (two decimals, rounded as git rounds).
func HumanBytes(n int64) string { return humanise(n, "") }

// HumanRate writes a rate of n bytes a second as git does: "939.00 KiB/s", "12 bytes/s".
func HumanRate(n int64) string { return humanise(n, "/s") }

func humanise(n int64, per string) string {
	switch {
	case n > 1<<30:
		return fmt.Sprintf("%d.%02d GiB%s", n>>30, (n&(1<<30-1))/10737419, per)
	case n > 1<<20:
		x := n + 5243
		return fmt.Sprintf("%d.%02d MiB%s", x>>20, ((x&(1<<20-1))*100)>>20, per)
	case n > 1<<10:
		x := n + 5
		return fmt.Sprintf("%d.%02d KiB%s", x>>10, ((x&(1<<10-1))*100)>>10, per)
	case n == 1:
		return "1 byte" + per
	}
	return fmt.Sprintf("%d bytes%s", n, per)
}

// CountingReader wraps r so that, when w is not nil, reading it prints a byte meter
// titled title ("Receiving the shallow history: 12.50 MiB | 3.10 MiB/s", then
// ", done." at EOF). total <= 0 means unknown. With a nil w it returns r unchanged.
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

// Reader returns r counting what is read from it on m (as bytes for a byte meter), and
// r itself for a nil m. The meter is not finished at EOF: it may count several readers.
func (m *Meter) Reader(r io.Reader) io.Reader {
	if m == nil {
		return r
	}
	return &meterReader{r: r, add: m.Add}
}

// meterReader tells add how many bytes each read passed through.
type meterReader struct {
	r   io.Reader
	add func(int64)
}

func (a *meterReader) Read(p []byte) (int, error) {
	n, err := a.r.Read(p)
	a.add(int64(n))
	return n, err
}

// bytesWriter adds what passes through it to a meter's bytes.
type bytesWriter struct {
	w  io.Writer
	mu sync.Mutex
	m  *Meter
}

func (b *bytesWriter) Write(p []byte) (int, error) {
	n, err := b.w.Write(p)
	b.mu.Lock()
	m := b.m
	b.mu.Unlock()
	m.AddBytes(int64(n))
	return n, err
}

// PackProgress shows the phases of writing a pack, as git pack-objects names them:
// "Enumerating objects", "Counting objects", "Compressing objects" (when deltas are
// searched) and "Writing objects" with the bytes written and their rate. A nil
// *PackProgress is valid and shows nothing.
type PackProgress struct {
	w     io.Writer
	mu    sync.Mutex
	phase gitpack.PackPhase
	cur   *Meter
	bw    *bytesWriter
}

// NewPackProgress returns a PackProgress printing on w, or nil when w is nil.
func NewPackProgress(w io.Writer) *PackProgress {
	if w == nil {
		return nil
	}
	return &PackProgress{w: w, phase: -1}
}

var packTitles = map[gitpack.PackPhase]string{
	gitpack.Enumerating: "Enumerating objects",
	gitpack.Counting:    "Counting objects",
	gitpack.Compressing: "Compressing objects",
	gitpack.Writing:     "Writing objects",
}

// Options returns the pack options that report to p (none for a nil p).
func (p *PackProgress) Options() gitpack.PackOptions {
	if p == nil {
		return gitpack.PackOptions{}
	}
	return gitpack.PackOptions{Progress: p.report}
}

func (p *PackProgress) report(phase gitpack.PackPhase, done, total int64) {
	p.mu.Lock()
	if phase != p.phase {
		p.cur.Done()
		p.phase = phase
		if phase == gitpack.Enumerating {
			total = -1 // git shows the count alone, even on the last line
		}
		p.cur = NewCounter(p.w, packTitles[phase], total)
		if p.bw != nil && phase == gitpack.Writing {
			p.bw.mu.Lock()
			p.bw.m = p.cur
			p.bw.mu.Unlock()
		}
	}
	m := p.cur
	p.mu.Unlock()
	if phase != gitpack.Enumerating && total > 0 {
		m.SetTotal(total)
	}
	m.Set(done)
}

// Writer wraps the writer the pack goes to, so that "Writing objects" shows the bytes
// written and their rate. For a nil p it returns w.
func (p *PackProgress) Writer(w io.Writer) io.Writer {
	if p == nil {
		return w
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.bw = &bytesWriter{w: w}
	if p.phase == gitpack.Writing {
		p.bw.m = p.cur
	}
	return p.bw
}

// Done prints the last line of the phase still open ("Writing objects: 100% (…), done.").
// Call it once the pack has gone where it goes (for an upload: once the upload is done).
func (p *PackProgress) Done() {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cur.Done()
}

// Abort ends the phase still open without its last line (the pack failed).
func (p *PackProgress) Abort() {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cur.Abort()
}

// ReceiveProgress shows receiving one pack as git's index-pack does: "Receiving objects"
// with the bytes read and their rate, then "Resolving deltas" when the pack has any. A
// nil *ReceiveProgress is valid and shows nothing.
//
// Packs received at the same time on one writer (a fetch downloads a few at once) share
// their lines: the counts and totals add up, "Resolving deltas" is shown once no pack is
// still receiving, and the last lines are printed when the last pack is done.
type ReceiveProgress struct {
	g        *recvGroup
	phase    int   // 0 not begun, 1 receiving, 2 resolving
	received int64 // this pack's part of the group's counts
	resolved int64
	ended    bool
}

// recvGroup is the packs received together on one line.
type recvGroup struct {
	mu              sync.Mutex
	ln              *line
	w               io.Writer
	members         int // packs not done yet
	receiving       int // packs still receiving (or not yet begun)
	recv, resolve   *Meter
	recvDone        bool
	resDone, resAll int64
}

var recvGroups struct {
	mu sync.Mutex
	m  map[*line]*recvGroup
}

// NewReceiveProgress returns a ReceiveProgress printing on w, or nil when w is nil.
func NewReceiveProgress(w io.Writer) *ReceiveProgress {
	if w == nil {
		return nil
	}
	ln := lineOf(w)
	recvGroups.mu.Lock()
	defer recvGroups.mu.Unlock()
	if recvGroups.m == nil {
		recvGroups.m = map[*line]*recvGroup{}
	}
	g := recvGroups.m[ln]
	if g != nil && !g.join() { // its receiving is over: this pack's would not show
		g = nil
	}
	if g == nil {
		g = &recvGroup{ln: ln, w: w, members: 1, receiving: 1, recv: NewCounter(w, "Receiving objects", 0)}
		recvGroups.m[ln] = g
	}
	return &ReceiveProgress{g: g}
}

// Reader wraps the pack's bytes so they are counted (for a nil p: r itself).
func (p *ReceiveProgress) Reader(r io.Reader) io.Reader {
	if p == nil {
		return r
	}
	return &meterReader{r: r, add: p.g.recv.AddBytes}
}

// Indexer is the indexer's progress callback (gitpack.IndexOptions.Progress): a call
// with done 0 begins a phase, receiving first, then resolving deltas.
func (p *ReceiveProgress) Indexer() func(done, total int64) {
	if p == nil {
		return nil
	}
	return func(done, total int64) {
		g := p.g
		g.mu.Lock()
		defer g.mu.Unlock()
		if p.ended {
			return
		}
		if done == 0 {
			p.phase++
			switch p.phase {
			case 1:
				g.recv.SetTotal(g.recv.total + total)
			case 2:
				g.endReceiving()
				g.resAll += total
			}
		}
		switch p.phase {
		case 1:
			g.recv.Add(done - p.received)
			p.received = done
		case 2:
			g.resDone += done - p.resolved
			p.resolved = done
			g.showResolving()
		}
	}
}

// join adds a pack to g unless g's receiving line has ended.
func (g *recvGroup) join() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.recvDone {
		return false
	}
	g.members++
	g.receiving++
	return true
}

// endReceiving notes that one pack has received all of its entries; the receiving line
// ends when none is left. Called with g.mu held.
func (g *recvGroup) endReceiving() {
	g.receiving--
	if g.receiving == 0 && !g.recvDone {
		g.recvDone = true
		g.recv.Done()
	}
}

// showResolving updates "Resolving deltas" once nothing is received any more (so that
// the two never take turns on one line). Called with g.mu held.
func (g *recvGroup) showResolving() {
	if !g.recvDone || g.resAll == 0 {
		return
	}
	if g.resolve == nil {
		g.resolve = NewCounter(g.w, "Resolving deltas", g.resAll)
	}
	g.resolve.SetTotal(g.resAll)
	g.resolve.Set(g.resDone)
}

// leave takes p out of its group; the last one out prints the last lines.
func (p *ReceiveProgress) leave(ok bool) {
	g := p.g
	g.mu.Lock()
	if p.ended {
		g.mu.Unlock()
		return
	}
	p.ended = true
	g.members--
	if p.phase < 2 {
		g.endReceiving()
	}
	if !ok {
		g.recv.Abort()
		g.resolve.Abort()
	} else {
		g.showResolving()
	}
	if g.members > 0 {
		g.mu.Unlock()
		return
	}
	g.recv.Done()
	g.resolve.Done()
	g.mu.Unlock()
	// Not under g.mu: NewReceiveProgress takes the two locks the other way round. A pack
	// that finds g meanwhile does not join it (its receiving is over).
	recvGroups.mu.Lock()
	if recvGroups.m[g.ln] == g {
		delete(recvGroups.m, g.ln)
	}
	recvGroups.mu.Unlock()
}

// Done prints the last lines of the phases shown, once the pack is indexed (with other
// packs received at the same time: once the last of them is).
func (p *ReceiveProgress) Done() {
	if p != nil {
		p.leave(true)
	}
}

// Abort ends the phases without their last lines (the pack was refused; the fetch
// fails).
func (p *ReceiveProgress) Abort() {
	if p != nil {
		p.leave(false)
	}
}

type progressKey struct{}

// WithProgress returns ctx carrying w as the progress writer of an operation whose
// signature has no room for it (gc). A nil w carries nothing.
func WithProgress(ctx context.Context, w io.Writer) context.Context {
	if w == nil {
		return ctx
	}
	return context.WithValue(ctx, progressKey{}, w)
}

// ProgressOf returns the progress writer WithProgress put in ctx, or nil.
func ProgressOf(ctx context.Context) io.Writer {
	w, _ := ctx.Value(progressKey{}).(io.Writer)
	return w
}
