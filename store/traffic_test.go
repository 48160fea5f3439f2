package store

import (
	"bytes"
	"testing"
	"time"
)

func TestTrafficString(t *testing.T) {
	cases := []struct {
		t    Traffic
		want string
	}{
		{Traffic{}, "object-store: 0 requests (0 retried), 0 B sent, 0 B received in 0.0 s"},
		{Traffic{Requests: 1, Sent: 1023, Received: 1024, Elapsed: 49 * time.Millisecond},
			"object-store: 1 request (0 retried), 1023 B sent, 1.0 KiB received in 0.0 s"},
		{Traffic{Requests: 42, Retried: 3, Sent: 12*1<<20 + 300*1<<10, Received: 1<<20 + 1<<18, Elapsed: 2100 * time.Millisecond},
			"object-store: 42 requests (3 retried), 12.3 MiB sent, 1.2 MiB received in 2.1 s"},
		{Traffic{Requests: 7, Sent: 3 << 30, Received: 1536, Elapsed: 90 * time.Second},
			"object-store: 7 requests (0 retried), 3.00 GiB sent, 1.5 KiB received in 90.0 s"},
	}
	for _, c := range cases {
		if got := c.t.String(); got != c.want {
			t.Errorf("got  %q\nwant %q", got, c.want)
		}
	}
}

func TestTrafficCounters(t *testing.T) {
	before := TrafficSoFar()
	CountRequest(100, false)
	CountRequest(50, true)
	CountReceived(7)
	CountReceived(0)
	CountReceived(-1) // nothing read (an error): not counted
	after := TrafficSoFar()
	got := Traffic{Requests: after.Requests - before.Requests, Retried: after.Retried - before.Retried,
		Sent: after.Sent - before.Sent, Received: after.Received - before.Received}
	if want := (Traffic{Requests: 2, Retried: 1, Sent: 150, Received: 7}); got != want {
		t.Fatalf("counted %+v, want %+v", got, want)
	}
	if after.Elapsed < before.Elapsed {
		t.Fatalf("elapsed went back: %v then %v", before.Elapsed, after.Elapsed)
	}
}

func TestWriteTrafficSummaryOnlyWhenVerbose(t *testing.T) {
	for _, c := range []struct {
		env  map[string]string
		want bool
	}{
		{nil, false},
		{map[string]string{"GIT_REMOTE_OBJECT_STORE_VERBOSE": "0", "GIT_REMOTE_S3_VERBOSE": "1"}, false},
		{map[string]string{"GIT_REMOTE_OBJECT_STORE_VERBOSE": "1"}, true},
		{map[string]string{"GIT_REMOTE_OBJECT_STORE_VERBOSE": "2"}, true},
		{map[string]string{"GIT_REMOTE_S3_VERBOSE": "true"}, true},
	} {
		var b bytes.Buffer
		WriteTrafficSummary(&b, func(k string) string { return c.env[k] })
		out := b.String()
		if got := out != ""; got != c.want {
			t.Errorf("env %v: wrote %q, want a summary: %v", c.env, out, c.want)
		}
		if c.want && (!bytes.HasPrefix(b.Bytes(), []byte("object-store: ")) || bytes.Count(b.Bytes(), []byte("\n")) != 1 || out[len(out)-1] != '\n') {
			t.Errorf("env %v: wrote %q, want one line", c.env, out)
		}
	}
}
