package helper

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"git-remote-object-store/engine"
	"git-remote-object-store/gitpack/object"
)

// ErrProtocol: git (or something pretending to be git) sent a line we do not understand.
var ErrProtocol = errors.New("protocol error")

// MaxLine bounds one command line.
const MaxLine = 64 << 10

// Config wires the helper to the world.
type Config struct {
	// Open returns the engine; called once, lazily, when a command needs it.
	Open func(ctx context.Context) (engine.Transport, error)
	// Resolve turns a push source (a local ref name or a hex id) into an object id.
	Resolve func(src string) (object.Hash, error)
	// Stderr receives warnings, progress and refusal details.
	Stderr io.Writer
	// FullClone, when set, is called after a clone that asked for a --filter fetched
	// everything instead: git recorded the remote as a partial-clone promisor before the
	// fetch, and FullClone takes that back so the clone is an ordinary full one.
	FullClone func() error
}

type session struct {
	cfg  Config
	in   *bufio.Reader
	out  *bufio.Writer
	eng  engine.Transport
	opts engine.Options
	cas  map[string]string // dst → expected hex ("" = must not exist)
	// objectFormat: git asked for the remote's object format (sha1 or sha256) ahead of
	// the refs in each listing.
	objectFormat bool
	filter       string       // the --filter git asked for, which no engine applies
	listed       []engine.Ref // the last listing, for deepen-not's ref names
	deepenNot    []string
	// checkConnectivity: git asked a clone's fetch to say whether the pack it brings is
	// self-contained and connected, so that it need not walk the history again.
	checkConnectivity bool
}

// Run serves one helper session until git sends a blank line or closes stdin.
func Run(ctx context.Context, in io.Reader, out io.Writer, cfg Config) error {
	if cfg.Stderr == nil {
		cfg.Stderr = io.Discard
	}
	s := &session{cfg: cfg, in: bufio.NewReaderSize(in, 64<<10), out: bufio.NewWriter(out), cas: map[string]string{}}
	for {
		line, err := s.readLine()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		if line == "" {
			return nil
		}
		if err := s.command(ctx, line); err != nil {
			return err
		}
		if err := s.out.Flush(); err != nil {
			return fmt.Errorf("write to git: %w", err)
		}
	}
}

func (s *session) readLine() (string, error) {
	var buf []byte
	for {
		frag, err := s.in.ReadSlice('\n')
		buf = append(buf, frag...)
		if len(buf) > MaxLine {
			return "", fmt.Errorf("%w: line longer than %d bytes", ErrProtocol, MaxLine)
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		if err == io.EOF && len(buf) > 0 {
			return strings.TrimSuffix(string(buf), "\n"), nil
		}
		if err != nil {
			return "", err
		}
		return strings.TrimSuffix(string(buf), "\n"), nil
	}
}

func (s *session) engine(ctx context.Context) (engine.Transport, error) {
	if s.eng == nil {
		e, err := s.cfg.Open(ctx)
		if err != nil {
			return nil, err
		}
		s.eng = e
	}
	return s.eng, nil
}

func (s *session) command(ctx context.Context, line string) error {
	cmd, arg, _ := strings.Cut(line, " ")
	switch cmd {
	case "capabilities":
		fmt.Fprint(s.out, "option\nfetch\npush\nobject-format\ncheck-connectivity\n\n")
		return nil
	case "list":
		return s.list(ctx, arg == "for-push")
	case "option":
		s.option(ctx, arg)
		return nil
	case "fetch":
		return s.fetch(ctx, line)
	case "push":
		return s.push(ctx, line)
	}
	return fmt.Errorf("%w: unknown command %q", ErrProtocol, clip(line))
}

func (s *session) list(ctx context.Context, forPush bool) error {
	e, err := s.engine(ctx)
	if err != nil {
		return err
	}
	refs, err := e.List(ctx, forPush)
	if err != nil {
		return err
	}
	// git cannot take both of a pair like release and release/1.0 (an older client let
	// such pairs onto a remote): advertise the shorter, so clones and fetches still work.
	refs, dropped := engine.DropConflicts(refs)
	s.listed = refs
	for _, c := range dropped {
		fmt.Fprintf(s.cfg.Stderr, "warning: ignoring the remote's %s: git cannot hold it beside %s (delete one of them with git object-store delete-branch)\n", c.Dropped, c.Kept)
	}
	if s.objectFormat {
		// The ids say the format; an empty remote says nothing and git assumes sha1.
		for _, r := range refs {
			if !r.Hash.IsZero() {
				fmt.Fprintf(s.out, ":object-format %s\n", r.Hash.Format())
				break
			}
		}
	}
	for _, r := range refs {
		switch {
		case r.Symref != "":
			fmt.Fprintf(s.out, "@%s %s\n", r.Symref, r.Name)
		case r.Hash.IsZero():
			fmt.Fprintf(s.out, "? %s\n", r.Name)
		default:
			fmt.Fprintf(s.out, "%s %s\n", r.Hash, r.Name)
		}
	}
	s.out.WriteString("\n")
	return nil
}

func (s *session) option(ctx context.Context, arg string) {
	name, val, _ := strings.Cut(arg, " ")
	reply := "ok"
	switch name {
	case "verbosity":
		n, err := strconv.Atoi(val)
		if err != nil {
			reply = "error verbosity wants a number"
			break
		}
		s.opts.Verbosity = n
	case "progress":
		s.opts.Progress = nil
		if val == "true" {
			s.opts.Progress = s.cfg.Stderr
		}
	case "dry-run":
		s.opts.DryRun = val == "true"
	case "cloning":
		s.opts.Cloning = val == "true"
	case "depth":
		n, err := strconv.Atoi(val)
		if err != nil || n < 0 {
			reply = "error depth wants a number of commits"
			break
		}
		s.opts.Deepen.Depth = n
	case "deepen-relative":
		s.opts.Deepen.Relative = val == "true"
	case "deepen-since":
		t, err := parseSince(val, time.Now())
		if err != nil {
			reply = "error " + oneLine(err.Error())
			break
		}
		s.opts.Deepen.Since = t
	case "deepen-not":
		if val == "" {
			reply = "error deepen-not wants a ref"
			break
		}
		s.deepenNot = append(s.deepenNot, val)
	case "update-shallow":
		// The shallow boundary is always brought up to date with what a fetch brings.
	case "filter":
		// Neither layout can serve part of a commit's objects: every fetch is whole.
		s.filter = val
		reply = "unsupported"
	case "object-format":
		// git sends it bare (older) or with "true": either way it wants the format line.
		s.objectFormat = val == "" || val == "true"
	case "check-connectivity":
		s.checkConnectivity = val == "true"
	case "followtags":
		// Tags come with their refs when git asks for them; nothing to do.
	case "cas":
		ref, expect, ok := strings.Cut(val, ":")
		if !ok || ref == "" {
			reply = "error cas wants <ref>:<expected>"
			break
		}
		s.cas[ref] = expect
	case "atomic":
		if val != "true" {
			s.opts.Atomic = false
			break
		}
		e, err := s.engine(ctx)
		if err != nil {
			reply = "error " + oneLine(err.Error())
		} else if !e.Caps().Atomic {
			reply = "unsupported"
		} else {
			s.opts.Atomic = true
		}
	default:
		reply = "unsupported"
	}
	s.out.WriteString(reply + "\n")
}

// batch reads the rest of a fetch or push batch (lines of the same command up to a
// blank line), starting with first.
func (s *session) batch(first, cmd string) ([]string, error) {
	lines := []string{first}
	for {
		line, err := s.readLine()
		if err == io.EOF || err == nil && line == "" {
			return lines, nil
		}
		if err != nil {
			return nil, err
		}
		if !strings.HasPrefix(line, cmd+" ") {
			return nil, fmt.Errorf("%w: %q inside a %s batch", ErrProtocol, clip(line), cmd)
		}
		lines = append(lines, line)
	}
}

func (s *session) fetch(ctx context.Context, first string) error {
	lines, err := s.batch(first, "fetch")
	if err != nil {
		return err
	}
	var wants []engine.Ref
	for _, l := range lines {
		f := strings.Fields(l)
		if len(f) != 3 {
			return fmt.Errorf("%w: %q", ErrProtocol, clip(l))
		}
		h, err := object.ParseHash(f[1])
		if err != nil {
			return fmt.Errorf("%w: %v", ErrProtocol, err)
		}
		wants = append(wants, engine.Ref{Hash: h, Name: f[2]})
	}
	e, err := s.engine(ctx)
	if err != nil {
		return err
	}
	s.opts.Deepen.Not = nil
	for _, name := range s.deepenNot {
		h, ok := s.resolve(name)
		if !ok {
			return fmt.Errorf("--shallow-exclude=%s: the remote has no such ref", name)
		}
		s.opts.Deepen.Not = append(s.opts.Deepen.Not, h)
	}
	o := s.opts
	if s.checkConnectivity && o.Cloning && !o.Deepen.Shallow() && s.filter == "" {
		o.Connectivity = &engine.Connectivity{}
		s.checkConnectivity = false // git takes one pack's word: the first fetch's
	}
	if err := e.Fetch(ctx, wants, o); err != nil {
		return err
	}
	if c := o.Connectivity; c != nil && c.Kept != "" {
		// git checks each new ref's tip is in this pack, and walks only the others.
		fmt.Fprintf(s.out, "lock %s\nconnectivity-ok\n", c.Kept)
	}
	if s.filter != "" {
		fmt.Fprintf(s.cfg.Stderr, "warning: this remote cannot filter objects (--filter=%s): fetched them all\n", s.filter)
		if s.opts.Cloning && s.cfg.FullClone != nil {
			if err := s.cfg.FullClone(); err != nil {
				return err
			}
		}
		s.filter = "" // said once
	}
	s.out.WriteString("\n")
	return nil
}

func clip(s string) string {
	if len(s) > 100 {
		return s[:100] + "…"
	}
	return s
}

func oneLine(s string) string { return strings.ReplaceAll(s, "\n", " ") }

// resolve finds name among the listed refs as a git server reads a short ref name in
// deepen-not: exactly, then under refs/, refs/tags/, refs/heads/ and refs/remotes/.
func (s *session) resolve(name string) (object.Hash, bool) {
	for _, pattern := range []string{"%s", "refs/%s", "refs/tags/%s", "refs/heads/%s", "refs/remotes/%s", "refs/remotes/%s/HEAD"} {
		full := fmt.Sprintf(pattern, name)
		for _, r := range s.listed {
			if r.Name == full && !r.Hash.IsZero() {
				return r.Hash, true
			}
		}
	}
	return object.Hash{}, false
}
