package bundle

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"

	"git-remote-object-store/gitpack/object"
)

// Errors callers branch on.
var (
	ErrFormat   = errors.New("bundle: not a valid git bundle")
	ErrFilter   = errors.New("bundle: filtered (partial) bundles are not supported")
	ErrTooLarge = errors.New("bundle: header exceeds limits")
)

// Limits on an untrusted header, which is held in memory while it is parsed (the pack
// after it is streamed). The bundles the engines write carry one ref and no
// prerequisite, and awslabs/git-remote-s3 writes the same; a bundle made by hand with
// `git bundle create --all` carries one line per ref, about 60 bytes for a usual name,
// and even the largest public repositories have some tens of thousands of refs.
const (
	// MaxLineLen bounds one line: a ref name (git keeps refs as files, so a name is
	// within PATH_MAX, 4096 on Linux) or a prerequisite with its comment (a commit's
	// subject line).
	MaxLineLen = 64 << 10
	// MaxLines bounds the prerequisites and refs: a quarter of a million, several times
	// the refs of any repository one would bundle whole.
	MaxLines = 1 << 18
	// MaxHeaderBytes bounds the whole header: MaxLines lines of about 64 bytes. Without
	// it the two limits above would let a header reach 16 GiB.
	MaxHeaderBytes = 16 << 20
)

const (
	sigV2 = "# v2 git bundle"
	sigV3 = "# v3 git bundle"
)

// Header is a bundle's text header.
type Header struct {
	Version int           // 2 or 3
	Format  object.Format // sha1 unless a v3 header says otherwise
	Prereqs []Prereq
	Refs    []Ref
}

// Prereq is an object the bundle's pack may depend on without containing it.
type Prereq struct {
	Hash    object.Hash
	Comment string // usually the commit's subject; informational
}

// Ref is one ref the bundle carries.
type Ref struct {
	Hash object.Hash
	Name string
}

// Open reads the header from r and returns it with a reader positioned at the pack.
func Open(r io.Reader) (*Header, io.Reader, error) {
	br, ok := r.(*bufio.Reader)
	if !ok {
		br = bufio.NewReaderSize(r, 64<<10)
	}
	h, err := ReadHeader(br)
	if err != nil {
		return nil, nil, err
	}
	return h, br, nil
}

// ReadHeader parses a header and leaves r positioned at the first byte of the pack.
func ReadHeader(r *bufio.Reader) (*Header, error) {
	sig, err := readLine(r)
	if err != nil {
		return nil, err
	}
	h := &Header{Format: object.SHA1}
	switch sig {
	case sigV2:
		h.Version = 2
	case sigV3:
		h.Version = 3
	default:
		return nil, fmt.Errorf("%w: signature %q", ErrFormat, clip(sig))
	}
	total := len(sig) + 1
	for lines := 1; ; lines++ {
		if lines > MaxLines {
			return nil, fmt.Errorf("%w: more than %d header lines", ErrTooLarge, MaxLines)
		}
		line, err := readLine(r)
		if err != nil {
			return nil, err
		}
		if total += len(line) + 1; total > MaxHeaderBytes {
			return nil, fmt.Errorf("%w: header larger than %d bytes", ErrTooLarge, MaxHeaderBytes)
		}
		switch {
		case line == "":
			return h, nil
		case line[0] == '@':
			if h.Version < 3 || len(h.Prereqs)+len(h.Refs) > 0 {
				return nil, fmt.Errorf("%w: capability %q outside a v3 capability block", ErrFormat, clip(line))
			}
			if err := h.capability(line[1:]); err != nil {
				return nil, err
			}
		case line[0] == '-':
			if len(h.Refs) > 0 {
				return nil, fmt.Errorf("%w: prerequisite after refs", ErrFormat)
			}
			hexID, comment, _ := strings.Cut(line[1:], " ")
			id, err := h.parseID(hexID)
			if err != nil {
				return nil, err
			}
			h.Prereqs = append(h.Prereqs, Prereq{Hash: id, Comment: comment})
		default:
			hexID, name, ok := strings.Cut(line, " ")
			if !ok || !validRefName(name) {
				return nil, fmt.Errorf("%w: ref line %q", ErrFormat, clip(line))
			}
			id, err := h.parseID(hexID)
			if err != nil {
				return nil, err
			}
			h.Refs = append(h.Refs, Ref{Hash: id, Name: name})
		}
	}
}

func (h *Header) capability(c string) error {
	key, val, _ := strings.Cut(c, "=")
	switch key {
	case "object-format":
		f, err := object.ParseFormat(val)
		if err != nil || val == "" {
			return fmt.Errorf("%w: object format %q", ErrFormat, clip(val))
		}
		h.Format = f
		return nil
	case "filter":
		return fmt.Errorf("%w (filter %q)", ErrFilter, clip(val))
	}
	return fmt.Errorf("%w: unknown capability %q", ErrFormat, clip(c))
}

func (h *Header) parseID(s string) (object.Hash, error) {
	id, err := object.ParseHashFormat(s, h.Format)
	if err != nil || strings.ToLower(s) != s {
		return object.Hash{}, fmt.Errorf("%w: %q is not a %s object id", ErrFormat, clip(s), h.Format)
	}
	return id, nil
}

// validRefName rejects what could confuse the layout or a terminal; git's full
// check-ref-format rules are applied by the caller before a name is used.
func validRefName(name string) bool {
	if name == "" {
		return false
	}
	for i := 0; i < len(name); i++ {
		if c := name[i]; c < 0x20 || c == 0x7f || c == ' ' {
			return false
		}
	}
	return true
}

// readLine reads one LF-terminated line of at most MaxLineLen bytes, without the LF.
func readLine(r *bufio.Reader) (string, error) {
	var buf []byte
	for {
		frag, err := r.ReadSlice('\n')
		if err == nil && buf == nil { // the whole line was in the buffer: one copy
			if len(frag) > MaxLineLen+1 {
				return "", fmt.Errorf("%w: header line longer than %d bytes", ErrTooLarge, MaxLineLen)
			}
			return string(frag[:len(frag)-1]), nil
		}
		buf = append(buf, frag...)
		if len(buf) > MaxLineLen+1 {
			return "", fmt.Errorf("%w: header line longer than %d bytes", ErrTooLarge, MaxLineLen)
		}
		switch {
		case err == nil:
			return string(bytes.TrimSuffix(buf, []byte("\n"))), nil
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		case errors.Is(err, io.EOF):
			return "", fmt.Errorf("%w: header ends before its blank line", ErrFormat)
		default:
			return "", fmt.Errorf("read bundle header: %w", err)
		}
	}
}

func clip(s string) string {
	if len(s) > 80 {
		return s[:80] + "…"
	}
	return s
}

// WriteHeader writes h. A sha256 header is always v3 (v2 cannot say its format).
func WriteHeader(w io.Writer, h *Header) error {
	var b bytes.Buffer
	v := h.Version
	if h.Format == object.SHA256 && v < 3 {
		return fmt.Errorf("%w: a sha256 bundle must be version 3", ErrFormat)
	}
	switch v {
	case 2:
		b.WriteString(sigV2 + "\n")
	case 3:
		b.WriteString(sigV3 + "\n")
		fmt.Fprintf(&b, "@object-format=%s\n", h.Format)
	default:
		return fmt.Errorf("%w: version %d", ErrFormat, v)
	}
	for _, p := range h.Prereqs {
		if strings.ContainsAny(p.Comment, "\n") {
			return fmt.Errorf("%w: prerequisite comment with a newline", ErrFormat)
		}
		b.WriteString("-" + p.Hash.String())
		if p.Comment != "" {
			b.WriteString(" " + p.Comment)
		}
		b.WriteByte('\n')
	}
	for _, r := range h.Refs {
		if !validRefName(r.Name) {
			return fmt.Errorf("%w: ref name %q", ErrFormat, clip(r.Name))
		}
		fmt.Fprintf(&b, "%s %s\n", r.Hash, r.Name)
	}
	b.WriteByte('\n')
	_, err := w.Write(b.Bytes())
	return err
}
