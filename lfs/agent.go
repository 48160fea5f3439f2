package lfs

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"sync"
	"time"

	"git-remote-object-store/store"
)

// KeyPrefix is where LFS objects live, relative to the remote's prefix.
const KeyPrefix = "lfs/"

// Key is the bucket key of an LFS object.
func Key(oid string) string { return KeyPrefix + oid }

// maxLine bounds one protocol message (git-lfs sends small JSON objects).
const maxLine = 1 << 20

var oidRE = regexp.MustCompile(`^[0-9a-f]{64}$`)

// Agent serves one git-lfs transfer session.
type Agent struct {
	// Open returns the store of a remote (a name from git's config, or a URL), scoped to
	// the remote's prefix. It is called once, at init.
	Open func(ctx context.Context, remote string) (store.Store, error)
	// TempDir receives downloads until git-lfs moves them into place; it should be on the
	// same file system as .git/lfs/objects (git-lfs renames).
	TempDir string
	// ProgressEvery is how many bytes pass between progress events (default 1 MiB).
	ProgressEvery int64

	st store.Store
}

// Request is one event from git-lfs (every field any event uses).
type Request struct {
	Event     string `json:"event"`
	Operation string `json:"operation"`
	Remote    string `json:"remote"`
	Oid       string `json:"oid"`
	Size      int64  `json:"size"`
	Path      string `json:"path"`
}

type errorBody struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
}

type response struct {
	Event          string     `json:"event,omitempty"`
	Oid            string     `json:"oid,omitempty"`
	Path           string     `json:"path,omitempty"`
	BytesSoFar     int64      `json:"bytesSoFar,omitempty"`
	BytesSinceLast int64      `json:"bytesSinceLast,omitempty"`
	Error          *errorBody `json:"error,omitempty"`
}

// Error codes reported to git-lfs.
const (
	codeBadRequest = 400
	codeNotFound   = 404
	codeFailed     = 500
)

// transferError carries the code git-lfs is told.
type transferError struct {
	code int
	err  error
}

func (e *transferError) Error() string { return e.err.Error() }
func (e *transferError) Unwrap() error { return e.err }

func fail(code int, format string, a ...any) error {
	return &transferError{code: code, err: fmt.Errorf(format, a...)}
}

// ParseRequest decodes one protocol line; it is the agent's only parser of outside bytes.
func ParseRequest(line []byte) (Request, error) {
	var r Request
	if err := json.Unmarshal(line, &r); err != nil {
		return r, fmt.Errorf("bad message from git-lfs: %w", err)
	}
	switch r.Event {
	case "init", "terminate":
	case "upload", "download":
		if !oidRE.MatchString(r.Oid) {
			return r, fail(codeBadRequest, "bad oid %q: want 64 lower-case hex digits", clip(r.Oid))
		}
		if r.Size < 0 {
			return r, fail(codeBadRequest, "object %s: negative size %d", r.Oid, r.Size)
		}
		if r.Event == "upload" && r.Path == "" {
			return r, fail(codeBadRequest, "object %s: upload without a path", r.Oid)
		}
	default:
		return r, fmt.Errorf("unknown event %q from git-lfs", clip(r.Event))
	}
	return r, nil
}

func clip(s string) string {
	if len(s) > 80 {
		return s[:80] + "…"
	}
	return s
}

// Serve reads requests from in and answers on out until terminate or end of input.
func (a *Agent) Serve(ctx context.Context, in io.Reader, out io.Writer) error {
	br := bufio.NewReaderSize(in, 64<<10)
	enc := json.NewEncoder(out)
	var mu sync.Mutex // a store may read an upload's body on a goroutine of its own
	send := func(r response) error {
		mu.Lock()
		defer mu.Unlock()
		if err := enc.Encode(r); err != nil {
			return fmt.Errorf("write to git-lfs: %w", err)
		}
		return nil
	}
	for {
		line, err := readLine(br)
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		if len(line) == 0 {
			continue
		}
		req, perr := ParseRequest(line)
		switch {
		case perr != nil && (req.Event == "upload" || req.Event == "download"):
			if err := send(completeErr(req.Oid, perr)); err != nil {
				return err
			}
			continue
		case perr != nil:
			return perr
		}
		switch req.Event {
		case "terminate":
			return nil
		case "init":
			r := response{}
			if a.st, err = a.Open(ctx, req.Remote); err != nil {
				r.Error = &errorBody{Code: codeFailed, Message: fmt.Sprintf("open remote %q: %v", req.Remote, err)}
			}
			if err := send(r); err != nil {
				return err
			}
		case "upload", "download":
			var path string
			if a.st == nil {
				err = fail(codeBadRequest, "%s before init", req.Event)
			} else if req.Event == "upload" {
				err = a.upload(ctx, req, send)
			} else {
				path, err = a.download(ctx, req, send)
			}
			r := response{Event: "complete", Oid: req.Oid, Path: path}
			if err != nil {
				r = completeErr(req.Oid, err)
			}
			if err := send(r); err != nil {
				return err
			}
		}
	}
}

func completeErr(oid string, err error) response {
	code := codeFailed
	var te *transferError
	if errors.As(err, &te) {
		code = te.code
	}
	return response{Event: "complete", Oid: oid, Error: &errorBody{Code: code, Message: err.Error()}}
}

func readLine(br *bufio.Reader) ([]byte, error) {
	var line []byte
	for {
		chunk, isPrefix, err := br.ReadLine()
		if err != nil {
			if errors.Is(err, io.EOF) && len(line) > 0 {
				return line, nil
			}
			return nil, err
		}
		line = append(line, chunk...)
		if len(line) > maxLine {
			return nil, fmt.Errorf("a message from git-lfs is longer than %d bytes", maxLine)
		}
		if !isPrefix {
			return line, nil
		}
	}
}

// upload stores the file at req.Path unless an object of that size is already there. The
// file is hashed first: an object is only ever stored under the hash of its content.
func (a *Agent) upload(ctx context.Context, req Request, send func(response) error) error {
	key := Key(req.Oid)
	if info, err := a.st.Head(ctx, key); err == nil && info.Size == req.Size {
		return send(response{Event: "progress", Oid: req.Oid, BytesSoFar: req.Size, BytesSinceLast: req.Size})
	}
	f, err := os.Open(req.Path)
	if err != nil {
		return fail(codeFailed, "object %s: %v", req.Oid, err)
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return fail(codeFailed, "object %s: read %s: %v", req.Oid, req.Path, err)
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != req.Oid || n != req.Size {
		return fail(codeBadRequest, "object %s: the local file %s hashes to %s (%d bytes), not to its oid (%d bytes); not uploaded", req.Oid, req.Path, got, n, req.Size)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return err
	}
	body := a.progress(f, req.Oid, send)
	if _, err := a.st.Put(ctx, key, body, n, store.Cond{}); err != nil {
		return fail(codeFailed, "object %s: upload %s: %v", req.Oid, key, err)
	}
	return body.flush()
}

// download streams the object into a temporary file, checking size and sha256 before
// handing the file to git-lfs; a damaged object is deleted locally and reported.
func (a *Agent) download(ctx context.Context, req Request, send func(response) error) (string, error) {
	key := Key(req.Oid)
	rc, info, err := a.st.Get(ctx, key, nil)
	if store.IsNotFound(err) {
		return "", fail(codeNotFound, "object %s is not on the remote (%s missing): push it from a clone that has it", req.Oid, key)
	}
	if err != nil {
		return "", fail(codeFailed, "object %s: download %s: %v", req.Oid, key, err)
	}
	defer rc.Close()
	if req.Size > 0 && info.Size != req.Size {
		return "", fail(codeFailed, "object %s on the remote is damaged: %d bytes, git-lfs expects %d", req.Oid, info.Size, req.Size)
	}
	if err := os.MkdirAll(a.TempDir, 0o755); err != nil {
		return "", err
	}
	f, err := os.CreateTemp(a.TempDir, "object-store-"+req.Oid[:12]+"-")
	if err != nil {
		return "", err
	}
	ok := false
	defer func() {
		if !ok {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	h := sha256.New()
	body := a.progress(rc, req.Oid, send)
	n, err := io.Copy(io.MultiWriter(f, h), body)
	if err != nil {
		return "", fail(codeFailed, "object %s: download %s: %v", req.Oid, key, err)
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != req.Oid || (req.Size > 0 && n != req.Size) {
		return "", fail(codeFailed, "object %s on the remote is damaged: its %d bytes hash to %s; nothing was written to the working tree", req.Oid, n, got)
	}
	if err := body.flush(); err != nil {
		return "", err
	}
	if err := f.Close(); err != nil {
		return "", err
	}
	ok = true
	return f.Name(), nil
}

// progressReader sends git-lfs progress events as bytes pass, at most every
// ProgressEvery bytes or 200 ms.
type progressReader struct {
	r         io.Reader
	oid       string
	send      func(response) error
	every     int64
	done, new int64
	last      time.Time
	err       error
}

func (a *Agent) progress(r io.Reader, oid string, send func(response) error) *progressReader {
	every := a.ProgressEvery
	if every <= 0 {
		every = 1 << 20
	}
	return &progressReader{r: r, oid: oid, send: send, every: every, last: time.Now()}
}

func (p *progressReader) Read(b []byte) (int, error) {
	n, err := p.r.Read(b)
	p.new += int64(n)
	if p.new >= p.every || p.new > 0 && time.Since(p.last) > 200*time.Millisecond {
		if ferr := p.flush(); ferr != nil {
			return n, ferr
		}
	}
	return n, err
}

func (p *progressReader) flush() error {
	if p.new == 0 || p.err != nil {
		return p.err
	}
	p.done += p.new
	p.err = p.send(response{Event: "progress", Oid: p.oid, BytesSoFar: p.done, BytesSinceLast: p.new})
	p.new, p.last = 0, time.Now()
	return p.err
}
