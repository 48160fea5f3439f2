package engine

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"sync"
	"time"

	"git-remote-object-store/store"
)

// ErrUnsafeStore: the store does not honour conditional writes the way both engines need
// them (bundle's per-ref locks are created with If-None-Match: *, packchain's manifest is
// replaced with If-Match: <etag>). Against such a store concurrent pushes silently lose
// each other's work, so pushing must be refused. The error that wraps it is an
// *UnsafeStoreError naming the check that failed.
var ErrUnsafeStore = errors.New("the store does not honour conditional writes")

// CondProbePrefix is the hidden key prefix of CheckConditionalWrites' scratch objects
// (below the remote's prefix). No engine lists it; a leftover can be deleted at any time.
const CondProbePrefix = ".probe/"

// Names of the probe's checks, as UnsafeStoreError.Check reports them.
const (
	CheckCreateIfAbsent        = "create-if-absent (If-None-Match: *)"
	CheckReplaceIfMatch        = "replace-if-match (If-Match: <etag>)"
	CheckCreateIfAbsentUnsized = "create-if-absent with unknown size (If-None-Match: *, streamed)"
)

// UnsafeStoreError is what CheckConditionalWrites returns when the server got a
// condition wrong. It unwraps to ErrUnsafeStore.
type UnsafeStoreError struct {
	Key    string // the scratch key the probe used (deleted by the time the caller sees this)
	Check  string // one of the Check… constants
	Detail string // what the server did, and what that means for a push
}

func (e *UnsafeStoreError) Error() string {
	return fmt.Sprintf("%v: %s: %s; this tool refuses to push to it", ErrUnsafeStore, e.Check, e.Detail)
}

func (e *UnsafeStoreError) Unwrap() error { return ErrUnsafeStore }

// probeCleanupTimeout bounds the deletion of the scratch key, which runs even when the
// caller's context is cancelled.
const probeCleanupTimeout = 30 * time.Second

// CheckConditionalWrites probes, on one fresh scratch key below CondProbePrefix, that the
// store honours the conditional writes both engines rely on:
//
//   - create-if-absent: a Put with IfNoneMatch creates a new key; a second one on the
//     now existing key is refused with store.ErrPrecondition and leaves the content as it
//     was;
//   - replace-if-match: the ETag is reported and changes with the content; a Put with
//     IfMatch on the current ETag succeeds; one on a stale ETag is refused (ErrPrecondition
//     or ErrNotFound, see store.Cond) and leaves the content as it was;
//   - create-if-absent with unknown size (size -1, the backends' streaming path): refused
//     like the sized one. The body is small, so on S3 and Azure this is still one request;
//     the multipart and block-list commits are not probed (that would cost a part size,
//     at least 5 MiB, per probe).
//
// It returns nil when all hold; an *UnsafeStoreError (errors.Is ErrUnsafeStore) naming
// the first condition the server ignored or answered in a way the backends cannot
// recognise (for instance a 409 that is not a known conflict code); and any other error
// (network, permission, …) wrapped with the step that failed, never matching
// ErrUnsafeStore. The scratch key is deleted in every case, with a context that outlives
// the caller's cancellation; a failed deletion is reported when nothing else failed.
func CheckConditionalWrites(ctx context.Context, st store.Store) (err error) {
	b := make([]byte, 12)
	rand.Read(b)
	key := CondProbePrefix + "cond-" + hex.EncodeToString(b)
	p := &condProbe{st: st, key: key}
	defer func() {
		dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), probeCleanupTimeout)
		defer cancel()
		if derr := st.Delete(dctx, key); derr != nil && err == nil {
			err = fmt.Errorf("conditional-write probe: remove the probe object %q: %w", key, derr)
		}
	}()
	return p.run(ctx)
}

type condProbe struct {
	st  store.Store
	key string
}

func condProbeBody(step string) string {
	return "git-remote-object-store conditional-write probe: " + step + "\n"
}

func (p *condProbe) unsafe(check, format string, a ...any) error {
	return &UnsafeStoreError{Key: p.key, Check: check, Detail: fmt.Sprintf(format, a...)}
}

func (p *condProbe) failed(step string, err error) error {
	return fmt.Errorf("conditional-write probe on %q: %s: %w", p.key, step, err)
}

// put writes data with c; size < 0 hides the length from the backend (streamed path).
func (p *condProbe) put(ctx context.Context, data string, sized bool, c store.Cond) (store.Info, error) {
	if !sized {
		return p.st.Put(ctx, p.key, struct{ io.Reader }{bytes.NewReader([]byte(data))}, -1, c)
	}
	return p.st.Put(ctx, p.key, bytes.NewReader([]byte(data)), int64(len(data)), c)
}

// read returns the object's content (bounded: the probe's bodies are tiny) and Info.
func (p *condProbe) read(ctx context.Context, step string) (string, store.Info, error) {
	rc, info, err := p.st.Get(ctx, p.key, nil)
	if err != nil {
		return "", store.Info{}, p.failed(step, err)
	}
	defer rc.Close()
	data, err := io.ReadAll(io.LimitReader(rc, 4096))
	if err != nil {
		return "", store.Info{}, p.failed(step, err)
	}
	return string(data), info, nil
}

// condConflict reports an HTTP answer that refused a conditional write without the
// backend recognising it as a lost condition (e.g. 409 with an unknown code), and the
// server's words for it.
func condConflict(err error) (string, bool) {
	var se *store.Error
	if !errors.As(err, &se) || se.Status != http.StatusConflict {
		return "", false
	}
	return fmt.Sprintf("HTTP %d %s", se.Status, se.Code), true
}

func (p *condProbe) run(ctx context.Context) error {
	v1 := condProbeBody("created with If-None-Match")
	if _, err := p.put(ctx, v1, true, store.Cond{IfNoneMatch: true}); err != nil {
		if store.IsPrecondition(err) {
			return p.unsafe(CheckCreateIfAbsent, "the server refused to create a new object with If-None-Match: * (%v): every push lock and first manifest write would fail", err)
		}
		var se *store.Error
		if errors.As(err, &se) && (se.Status == http.StatusNotImplemented || se.Code == "NotImplemented") {
			return p.unsafe(CheckCreateIfAbsent, "the server does not implement If-None-Match on writes (%v): push locks cannot work", err)
		}
		return p.failed("create a new object with If-None-Match: *", err)
	}

	// create-if-absent on an existing key.
	info, err := p.refused(ctx, CheckCreateIfAbsent, v1, true, store.Cond{IfNoneMatch: true},
		"If-None-Match: * should have refused it (the key existed): two pushes could take the same lock or both create the first manifest, and one silently overwrites the other's work")
	if err != nil {
		return err
	}

	// replace-if-match with the current ETag.
	if info.ETag == "" {
		return p.unsafe(CheckReplaceIfMatch, "the server reports no ETag for an object: compare-and-swap (If-Match) cannot work, so a push could silently replace another's manifest")
	}
	stale := info.ETag
	v2 := condProbeBody("replaced with If-Match on the current ETag")
	if _, err := p.put(ctx, v2, true, store.Cond{IfMatch: stale}); err != nil {
		if store.IsPrecondition(err) || store.IsNotFound(err) {
			return p.unsafe(CheckReplaceIfMatch, "the server refused If-Match with the object's current ETag %q (%v): the manifest's compare-and-swap could never succeed", stale, err)
		}
		return p.failed("replace with If-Match on the current ETag", err)
	}
	cur, info, err := p.read(ctx, "read the replaced probe object")
	if err != nil {
		return err
	}
	if cur != v2 {
		return p.unsafe(CheckReplaceIfMatch, "the object reads back as %q after a successful If-Match write of %q", cur, v2)
	}
	if info.ETag == stale {
		return p.unsafe(CheckReplaceIfMatch, "the ETag (%q) did not change when the content did: compare-and-swap cannot see another push's update and would silently overwrite it", stale)
	}

	// replace-if-match with a stale ETag.
	if _, err := p.refused(ctx, CheckReplaceIfMatch, v2, true, store.Cond{IfMatch: stale},
		"If-Match named a stale ETag: two pushes that read the same manifest could both replace it, and the second silently drops the refs the first pushed"); err != nil {
		return err
	}

	// create-if-absent, streamed (size -1), on the existing key.
	_, err = p.refused(ctx, CheckCreateIfAbsentUnsized, v2, false, store.Cond{IfNoneMatch: true},
		"If-None-Match: * should have refused a streamed (unknown-size) write to an existing key: a push that streams a conditional write could silently overwrite another's")
	return err
}

// refused makes a conditional write that must lose, and checks that it lost and that the
// object still reads as want; it returns the object's Info as read afterwards.
func (p *condProbe) refused(ctx context.Context, check, want string, sized bool, c store.Cond, ignored string) (store.Info, error) {
	attempt := condProbeBody("must be refused: " + check)
	_, err := p.put(ctx, attempt, sized, c)
	lost := store.IsPrecondition(err) || c.IfMatch != "" && store.IsNotFound(err)
	status, conflict := "", false
	if !lost {
		status, conflict = condConflict(err)
	}
	if err != nil && !lost && !conflict {
		return store.Info{}, p.failed("conditional write that must be refused ("+check+")", err)
	}
	cur, info, rerr := p.read(ctx, "read the probe object after a refused write")
	if rerr != nil {
		return store.Info{}, rerr
	}
	switch {
	case err == nil:
		return store.Info{}, p.unsafe(check, "the server stored the object although %s", ignored)
	case cur != want:
		return store.Info{}, p.unsafe(check, "the server reported the write as refused (%v) but replaced the object anyway: %s", err, ignored)
	case conflict:
		return store.Info{}, p.unsafe(check, "the server refused the write with %s, which this tool does not recognise as a lost conditional write (S3 answers 412 Precondition Failed): a push that loses a race would fail or leave its lock behind instead of retrying (%v)", status, err)
	}
	return info, nil
}

// condCache remembers, per store value, the outcome of CheckConditionalWrites for the
// life of the process.
var condCache struct {
	mu sync.Mutex
	m  map[any]*condEntry
}

type condEntry struct {
	mu   sync.Mutex
	done bool
	err  error
}

// CheckConditionalWritesOnce is CheckConditionalWrites run at most once per store per
// process, for the engines' first push (before the first lock or manifest is written):
//
//	if err := engine.CheckConditionalWritesOnce(ctx, e.st); err != nil {
//		return err // errors.Is(err, engine.ErrUnsafeStore): refuse the push
//	}
//
// Concurrent callers with the same store wait for one probe, and later callers get its
// outcome. A pass and an ErrUnsafeStore verdict are remembered; any other error (a
// network failure, a cancelled context) is not, so the next call probes again. Stores
// are told apart by value (==), so callers should pass the same store.Store they keep; a
// store value that is not comparable is probed every time.
func CheckConditionalWritesOnce(ctx context.Context, st store.Store) error {
	if !reflect.ValueOf(st).Comparable() {
		return CheckConditionalWrites(ctx, st)
	}
	condCache.mu.Lock()
	if condCache.m == nil {
		condCache.m = map[any]*condEntry{}
	}
	e := condCache.m[st]
	if e == nil {
		e = &condEntry{}
		condCache.m[st] = e
	}
	condCache.mu.Unlock()

	e.mu.Lock()
	defer e.mu.Unlock()
	if e.done {
		return e.err
	}
	err := CheckConditionalWrites(ctx, st)
	if err == nil || errors.Is(err, ErrUnsafeStore) {
		e.done, e.err = true, err
	}
	return err
}
