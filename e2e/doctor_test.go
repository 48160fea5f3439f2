package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestDoctorFindsAndFixes(t *testing.T) {
	forBundle(t, func(t *testing.T, w *world, newURL func() string, _ remoteKind) {
		url := newURL()
		src := w.repo(2)
		w.git(src, "push", "-q", url, "main")
		if out, err := w.tool("doctor", url); err != nil || !strings.Contains(out, "ok   layout") {
			t.Fatalf("doctor on a healthy remote: %v\n%s", err, out)
		}
		st := bucket(t, url)
		// Damage: an older second bundle for main, a stale lock, a HEAD naming nothing.
		tip, old := w.git(src, "rev-parse", "HEAD"), w.git(src, "rev-parse", "HEAD~1")
		current := getKey(t, st, "refs/heads/main/"+tip+".bundle")
		w.git(src, "branch", "older", "HEAD~1")
		path := filepath.Join(t.TempDir(), "old.bundle")
		w.git(src, "bundle", "create", "-q", path, "older")
		data, _ := os.ReadFile(path)
		putKey(t, st, "refs/heads/main/"+old+".bundle", data)
		time.Sleep(1100 * time.Millisecond)                      // Last-Modified has one-second resolution
		putKey(t, st, "refs/heads/main/"+tip+".bundle", current) // the real tip stays newest
		putKey(t, st, "refs/heads/main/LOCK#.lock", []byte("owner=crashed"))
		putKey(t, st, "HEAD", []byte("refs/heads/gone"))
		time.Sleep(2100 * time.Millisecond)
		t.Setenv("GIT_REMOTE_S3_LOCK_TTL_SECONDS", "1")

		w.doctorFindsAndFixes(url, "has 2 bundles", "stale lock", `HEAD is "refs/heads/gone"`)
		ls := w.git(src, "ls-remote", url)
		if !strings.Contains(ls, "refs/heads/main-doctor-"+old[:8]) || !strings.Contains(ls, tip+"\trefs/heads/main") || !strings.Contains(ls, "HEAD") {
			t.Fatalf("after --fix the older bundle should sit on its own branch and HEAD be valid:\n%s", ls)
		}
	})
}

// doctorFindsAndFixes checks that doctor reports each of wants and fails, that --fix
// succeeds, and that doctor is clean afterwards.
func (w *world) doctorFindsAndFixes(url string, wants ...string) {
	w.t.Helper()
	out, err := w.tool("doctor", url)
	for _, want := range wants {
		if !strings.Contains(out, want) {
			w.t.Fatalf("doctor did not report %q (err %v):\n%s", want, err, out)
		}
	}
	if err == nil {
		w.t.Fatal("doctor exited 0 with problems found")
	}
	if out, err := w.tool("doctor", "--fix", url); err != nil {
		w.t.Fatalf("doctor --fix: %v\n%s", err, out)
	}
	if out, err := w.tool("doctor", url); err != nil {
		w.t.Fatalf("problems left after --fix: %v\n%s", err, out)
	}
}

// TestDoctorChecksConditionalWrites: doctor probes that the store honours If-None-Match
// and If-Match, says so, and leaves no probe object behind.
func TestDoctorChecksConditionalWrites(t *testing.T) {
	w := newWorld(t)
	dir := mkdir(t, t.TempDir(), "bucket")
	url := "fs+file://" + dir + "/repo"
	w.git(w.repo(1), "push", "-q", url, "main")
	out, err := w.tool("doctor", url)
	if err != nil || !strings.Contains(out, "ok   conditional writes: If-None-Match and If-Match are honoured") {
		t.Fatalf("doctor on an fs remote should report conditional writes ok (err %v):\n%s", err, out)
	}
	if left, _ := filepath.Glob(filepath.Join(dir, "repo", ".probe", "*")); len(left) != 0 {
		t.Fatalf("the probe left %v behind", left)
	}
}

// TestDoctorReadsWhatFetchReads: a bundle a clone refuses (cut short, or with a byte of
// its pack flipped) is what doctor reports too, naming the ref and the reason a fetch
// gives; a healthy ref beside it is not reported.
func TestDoctorReadsWhatFetchReads(t *testing.T) {
	forBundle(t, func(t *testing.T, w *world, newURL func() string, _ remoteKind) {
		for _, damage := range []struct {
			name string
			do   func([]byte) []byte
		}{
			{"cut short", func(b []byte) []byte { return b[:len(b)*2/3] }},
			{"a flipped byte", func(b []byte) []byte {
				b = append([]byte{}, b...)
				b[len(b)-30] ^= 0x40 // inside the pack's last object or its trailer
				return b
			}},
		} {
			url := newURL()
			src := w.repo(3)
			w.git(src, "push", "-q", url, "main", "main:refs/heads/healthy")
			w.commit(src, "only-main.txt", "x\n")
			w.git(src, "push", "-q", url, "main")
			st := bucket(t, url)
			key := "refs/heads/main/" + w.git(src, "rev-parse", "main") + ".bundle"
			putKey(t, st, key, damage.do(getKey(t, st, key)))

			out, err := w.try(w.home, "clone", "-q", url, filepath.Join(t.TempDir(), "c"))
			if err == nil {
				t.Fatalf("%s: clone of a damaged bundle succeeded:\n%s", damage.name, out)
			}
			out, err = w.tool("doctor", url)
			if err == nil || !strings.Contains(out, "refs/heads/main cannot be fetched: fetch "+key+": ") ||
				!strings.Contains(out, "git push --force <url> main") || strings.Contains(out, "refs/heads/healthy cannot") {
				t.Fatalf("%s: doctor on a damaged bundle: %v\n%s", damage.name, err, out)
			}
		}
	})
}
