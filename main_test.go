package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// buildBinary builds the real binary once per test that needs it.
func buildBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "git-remote-object-store")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	return bin
}

func TestInstallIsIdempotentAndLeavesOthersAlone(t *testing.T) {
	bin := buildBinary(t)
	dir := t.TempDir()
	foreign := filepath.Join(dir, "git-remote-s3")
	os.WriteFile(foreign, []byte("#!/bin/sh\necho awslabs\n"), 0o755)

	out, err := exec.Command(bin, "install", "--bin-dir", dir, "--dry-run").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "would link") {
		t.Fatalf("dry run: %v\n%s", err, out)
	}
	if _, err := os.Lstat(filepath.Join(dir, "git-remote-s3+https")); err == nil {
		t.Fatal("--dry-run created a link")
	}
	for i := 0; i < 2; i++ {
		out, err = exec.Command(bin, "install", "--bin-dir", dir).CombinedOutput()
		if err != nil {
			t.Fatalf("install #%d: %v\n%s", i+1, err, out)
		}
	}
	if !strings.Contains(string(out), "already installed") || !strings.Contains(string(out), "left alone") {
		t.Fatalf("second install should report existing links and the foreign program:\n%s", out)
	}
	if b, _ := os.ReadFile(foreign); !bytes.Contains(b, []byte("awslabs")) {
		t.Fatal("install overwrote a program it does not own")
	}
	for _, name := range append(append([]string{}, helperNames...), "git-remote-s3+zip") {
		target, err := filepath.EvalSymlinks(filepath.Join(dir, name))
		self, _ := filepath.EvalSymlinks(bin)
		if err != nil || target != self {
			t.Errorf("%s -> %q (%v), want %s", name, target, err, self)
		}
	}
}

func TestDispatchAndUsage(t *testing.T) {
	bin := buildBinary(t)
	dir := t.TempDir()
	exec.Command(bin, "install", "--bin-dir", dir).Run()
	cases := []struct {
		args     []string
		name     string
		wantCode int
		wantOut  string
	}{
		{nil, "git-remote-object-store", 2, "usage:"},
		{[]string{"help"}, "git-remote-object-store", 0, "doctor"},
		{[]string{"version"}, "git-object-store", 0, "git-remote-object-store"},
		{[]string{"frobnicate"}, "git-remote-object-store", 2, "unknown verb"},
		{[]string{"ls"}, "git-remote-object-store", 2, "usage:"},
		{[]string{}, "git-remote-fs+file", 2, "usage: git-remote-fs+file"},
	}
	for _, c := range cases {
		cmd := exec.Command(filepath.Join(dir, c.name), c.args...)
		if c.name == "git-remote-object-store" {
			cmd = exec.Command(bin, c.args...)
		}
		out, err := cmd.CombinedOutput()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		}
		if code != c.wantCode || !strings.Contains(string(out), c.wantOut) {
			t.Errorf("%s %v: exit %d, output %q; want exit %d containing %q", c.name, c.args, code, out, c.wantCode, c.wantOut)
		}
	}
}
