package store_test

import (
	"context"
	"errors"
	"io"
	"strings"
	"syscall"
	"testing"
	"time"

	"git-remote-object-store/store"
	"git-remote-object-store/store/fs"
	"git-remote-object-store/store/storetest"
)

func TestPrefixedConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store {
		base, err := fs.New(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		// A neighbour outside the prefix must never show up.
		base.Put(t.Context(), "other/outside", strings.NewReader("x"), 1, store.Cond{})
		return store.Prefixed(base, "some/repo")
	}, storetest.Options{PartSize: 5 << 20, Short: true})
}

func TestPrefixedKeepsMetaPutter(t *testing.T) {
	base, _ := fs.New(t.TempDir())
	if _, ok := store.MetaPutterOf(store.Prefixed(base, "p")); !ok {
		t.Fatal("Prefixed hid the backend's MetaPutter")
	}
	if _, ok := store.MetaPutterOf(store.Prefixed(plain{base}, "p")); ok {
		t.Fatal("Prefixed claims MetaPutter for a store without it")
	}
	if store.Prefixed(base, "/") != store.Store(base) {
		t.Fatal("an empty prefix must return the store itself")
	}
	if store.Prefixed(base, "p") != store.Prefixed(base, "p/") {
		t.Fatal("two Prefixed of one store and prefix must be equal (stores are cache keys)")
	}
}

type plain struct{ store.Store }

func noSleep(context.Context, time.Duration) error { return nil }

func TestPolicyRetriesOnlyTransientErrors(t *testing.T) {
	transient := &store.Error{Op: "put", Status: 503, Code: "SlowDown", Retryable: true}
	cases := []struct {
		name      string
		errs      []error
		wantCalls int
		wantErr   error
	}{
		{"success first", []error{nil}, 1, nil},
		{"503 then ok", []error{transient, nil}, 2, nil},
		{"reset then ok", []error{syscall.ECONNRESET, nil}, 2, nil},
		{"short body then ok", []error{io.ErrUnexpectedEOF, nil}, 2, nil},
		{"not found is final", []error{&store.Error{Status: 404, Err: store.ErrNotFound}}, 1, store.ErrNotFound},
		{"precondition is final", []error{&store.Error{Status: 412, Err: store.ErrPrecondition}}, 1, store.ErrPrecondition},
		{"gives up", []error{transient, transient, transient}, 3, transient},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := store.Policy{Attempts: 3, Base: time.Millisecond, Max: time.Millisecond, Sleep: noSleep}
			calls := 0
			var attempts []int
			err := p.Do(t.Context(), func(n int) error {
				attempts = append(attempts, n)
				calls++
				return c.errs[min(calls, len(c.errs))-1]
			})
			if calls != c.wantCalls {
				t.Fatalf("%d calls, want %d", calls, c.wantCalls)
			}
			if c.wantErr == nil && err != nil || c.wantErr != nil && !errors.Is(err, c.wantErr) {
				t.Fatalf("err = %v, want %v", err, c.wantErr)
			}
			for i, n := range attempts {
				if n != i {
					t.Fatalf("attempt numbers %v", attempts)
				}
			}
		})
	}
}

func TestPolicyStopsWhenContextEnds(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	p := store.Policy{Attempts: 10, Base: time.Hour, Max: time.Hour}
	calls := 0
	err := p.Do(ctx, func(int) error {
		calls++
		cancel()
		return &store.Error{Status: 500, Retryable: true}
	})
	if calls != 1 || err == nil {
		t.Fatalf("calls %d err %v: a cancelled context must stop retrying at once", calls, err)
	}
}

func TestBackoffIsFullJitterWithinBounds(t *testing.T) {
	var got []time.Duration
	p := store.Policy{Attempts: 6, Base: 10 * time.Millisecond, Max: 40 * time.Millisecond,
		Sleep: func(_ context.Context, d time.Duration) error { got = append(got, d); return nil }}
	p.Do(t.Context(), func(int) error { return &store.Error{Status: 503, Retryable: true} })
	ceil := []time.Duration{10, 20, 40, 40, 40}
	if len(got) != len(ceil) {
		t.Fatalf("%d sleeps, want %d", len(got), len(ceil))
	}
	for i, d := range got {
		if d < 0 || d > ceil[i]*time.Millisecond {
			t.Fatalf("sleep %d = %v, outside [0, %v]", i, d, ceil[i]*time.Millisecond)
		}
	}
}

func TestErrorTextNamesOpKeyAndHint(t *testing.T) {
	e := &store.Error{Op: "put", Key: "repo/HEAD", Status: 403, Code: "AccessDenied", Message: "Access Denied", Hint: "grant s3:PutObject"}
	if got := e.Error(); got != `put "repo/HEAD": HTTP 403 AccessDenied: Access Denied (grant s3:PutObject)` {
		t.Fatalf("got %q", got)
	}
}

func TestErrorTextSaysEachThingOnce(t *testing.T) {
	for _, c := range []struct {
		err  *store.Error
		want string
	}{
		// A listing of the whole store has no key to name.
		{&store.Error{Op: "list", Status: 403, Code: "AccessDenied", Message: "Access Denied"}, `list: HTTP 403 AccessDenied: Access Denied`},
		// A code without an HTTP status (the directory backend's).
		{&store.Error{Op: "put", Key: "k", Code: "AlreadyExists", Err: store.ErrPrecondition}, `put "k": AlreadyExists: precondition failed`},
		{&store.Error{Op: "get", Key: "k", Err: store.ErrNotFound}, `get "k": not found`},
		// About the store as a whole: the operation, key and the service's own words of
		// the same fact give way to the user's words.
		{&store.Error{Op: "get", Key: "repo/FORMAT", Status: 404, Code: "NoSuchBucket", Message: "The specified bucket does not exist.",
			Remote: "bucket 'b' does not exist at https://s3.example.com", Hint: "create it, or fix the URL"},
			`bucket 'b' does not exist at https://s3.example.com (HTTP 404 NoSuchBucket); create it, or fix the URL`},
		{&store.Error{Op: "list", Key: "", Err: errors.New("gone"), Remote: "remote directory /x does not exist"}, `remote directory /x does not exist`},
	} {
		if got := c.err.Error(); got != c.want {
			t.Errorf("got  %s\nwant %s", got, c.want)
		}
	}
}
