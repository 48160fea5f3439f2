package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// With GIT_REMOTE_OBJECT_STORE_CPUPROFILE set, a run leaves a profile pprof can read
// (gzip-compressed protobuf); a file that cannot be created warns and the verb still
// succeeds.
func TestCPUProfile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cpu.prof")
	t.Setenv("GIT_REMOTE_OBJECT_STORE_CPUPROFILE", path)
	var out, errb bytes.Buffer
	if code := run(context.Background(), []string{"git-object-store", "version"}, strings.NewReader(""), &out, &errb); code != 0 {
		t.Fatalf("version with a profile: exit %d\n%s", code, errb.String())
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("no profile written: %v", err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatalf("profile is not gzip: %v", err)
	}
	if b, err := io.ReadAll(zr); err != nil || len(b) == 0 {
		t.Fatalf("profile unreadable (%d bytes): %v", len(b), err)
	}

	t.Setenv("GIT_REMOTE_OBJECT_STORE_CPUPROFILE", filepath.Join(t.TempDir(), "missing", "cpu.prof"))
	out.Reset()
	errb.Reset()
	if code := run(context.Background(), []string{"git-object-store", "version"}, strings.NewReader(""), &out, &errb); code != 0 {
		t.Fatalf("version with an unwritable profile: exit %d\n%s", code, errb.String())
	}
	if !strings.Contains(errb.String(), "warning: GIT_REMOTE_OBJECT_STORE_CPUPROFILE:") {
		t.Errorf("no warning for an unwritable profile; stderr:\n%s", errb.String())
	}
}
