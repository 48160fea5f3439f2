package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// hostileRef is a branch whose name, planted in the bucket, holds a terminal escape.
const hostileRef = "refs/heads/x\x1b[31mred"

// hostileRemote makes $TMP/<dir> a bundle remote (store/fs keeps keys as files) with
// main, a lock marker of hostileRef (<ref>/LOCK#.lock), a bundle of hostileRef, and a junk
// bundle key with an escape in its name.
func hostileRemote(dir string) func(t *testing.T, tmp string) {
	return func(t *testing.T, tmp string) {
		t.Helper()
		bundleRemote(dir, "main")(t, tmp)
		root := filepath.Join(tmp, dir)
		for _, key := range []string{
			hostileRef + "/LOCK#.lock",
			hostileRef + "/" + fakeID(1) + ".bundle",
			"refs/heads/main/j\x1bunk\x07.bundle",
		} {
			p := filepath.Join(root, filepath.FromSlash(key))
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, []byte("x"), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// TestHostileNamesQuoted: ls and doctor print every name from the bucket quoted the way
// git quotes paths (quote_c_style), never a raw escape byte.
func TestHostileNamesQuoted(t *testing.T) {
	tmp := t.TempDir()
	isolateEnv(t, tmp)
	hostileRemote("hostile")(t, tmp)
	t.Chdir(tmp)
	url := "fs+file://" + filepath.Join(tmp, "hostile")
	for _, tc := range []struct {
		verb string
		want []string
	}{
		{"ls", []string{`  "refs/heads/x\033[31mred" (no bundle)`}},
		{"doctor", []string{
			`problem: "refs/heads/main/j\033unk\a.bundle" is not <valid ref>/<sha>.bundle`,
			`problem: "refs/heads/x\033[31mred/cdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd.bundle" is not <valid ref>/<sha>.bundle`,
		}},
	} {
		var stdout, stderr bytes.Buffer
		run(context.Background(), []string{"git-remote-object-store", tc.verb, url}, strings.NewReader(""), &stdout, &stderr)
		out := stdout.String() + stderr.String()
		if strings.ContainsAny(out, "\x1b\x07") {
			t.Errorf("%s printed a raw control byte:\n%q", tc.verb, out)
		}
		for _, w := range tc.want {
			if !strings.Contains(out, w) {
				t.Errorf("%s output lacks %s:\n%s", tc.verb, w, out)
			}
		}
	}
}
