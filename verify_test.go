package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"git-remote-object-store/internal/sshsig"
)

// fakeRelease writes files, their SHA256SUMS and its signature into a fresh directory,
// and an allowed_signers naming the key; it returns the directory.
func fakeRelease(t *testing.T, key ed25519.PrivateKey) string {
	t.Helper()
	dir := t.TempDir()
	var sums bytes.Buffer
	for _, n := range []string{"a_linux_amd64.tar.gz", "a_windows_amd64.zip", "a_linux_amd64"} {
		data := []byte("content of " + n)
		os.WriteFile(filepath.Join(dir, n), data, 0o644)
		s := sha256.Sum256(data)
		fmt.Fprintf(&sums, "%s  %s\n", hex.EncodeToString(s[:]), n)
	}
	os.WriteFile(filepath.Join(dir, "SHA256SUMS"), sums.Bytes(), 0o644)
	sig, err := sshsig.Sign(key, "file", bytes.NewReader(sums.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "SHA256SUMS.sig"), sig, 0o644)
	pub := sshsig.PublicKey(key.Public().(ed25519.PublicKey)).String()
	os.WriteFile(filepath.Join(dir, "allowed_signers"), []byte("release@example.org "+pub+"\n"), 0o644)
	return dir
}

func runVerify(dir string, extra ...string) (int, string, string) {
	var out, errb bytes.Buffer
	args := append([]string{"git-object-store", "verify", "--key", filepath.Join(dir, "allowed_signers"),
		filepath.Join(dir, "SHA256SUMS"), filepath.Join(dir, "SHA256SUMS.sig")}, extra...)
	code := run(context.Background(), args, strings.NewReader(""), &out, &errb)
	return code, out.String(), errb.String()
}

// verify accepts a good release, and rejects a flipped byte in a listed file, in
// SHA256SUMS and in the signature; ssh-keygen agrees on the signature.
func TestVerify(t *testing.T) {
	_, key, _ := ed25519.GenerateKey(rand.Reader)
	dir := fakeRelease(t, key)
	code, out, errs := runVerify(dir)
	if code != 0 || !strings.Contains(out, `Good "file" signature for release@example.org`) || !strings.Contains(out, "3 file(s) verified") {
		t.Fatalf("good release: exit %d\n%s%s", code, out, errs)
	}
	if kg, err := exec.LookPath("ssh-keygen"); err == nil {
		sums, _ := os.ReadFile(filepath.Join(dir, "SHA256SUMS"))
		cmd := exec.Command(kg, "-Y", "verify", "-f", filepath.Join(dir, "allowed_signers"), "-I", "release@example.org",
			"-n", "file", "-s", filepath.Join(dir, "SHA256SUMS.sig"))
		cmd.Stdin = bytes.NewReader(sums)
		if b, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("ssh-keygen -Y verify: %v\n%s", err, b)
		}
	}
	if code, _, errs := runVerify(dir, "--principal", "someone@else"); code != 1 || !strings.Contains(errs, "does not allow") {
		t.Errorf("other principal: exit %d, %s", code, errs)
	}

	flip := func(name string, at int) func() {
		p := filepath.Join(dir, name)
		orig, _ := os.ReadFile(p)
		b := bytes.Clone(orig)
		if at < 0 {
			at += len(b)
		}
		b[at] ^= 0x01
		os.WriteFile(p, b, 0o644)
		return func() { os.WriteFile(p, orig, 0o644) }
	}
	for _, c := range []struct {
		name string
		at   int
		want string
	}{
		{"a_linux_amd64", 3, "FAILED  a_linux_amd64"},
		{"a_windows_amd64.zip", -1, "FAILED  a_windows_amd64.zip"},
		{"SHA256SUMS", 10, "BAD signature"},
		{"SHA256SUMS", 70, "BAD signature"}, // in a file name
		{"SHA256SUMS.sig", 120, ""},         // in the public key
		{"SHA256SUMS.sig", -60, ""},         // in the signature
	} {
		undo := flip(c.name, c.at)
		code, out, errs := runVerify(dir)
		undo()
		if code != 1 || !strings.Contains(out+errs, c.want) {
			t.Errorf("%s byte %d flipped: exit %d, want 1 and %q\n%s%s", c.name, c.at, code, c.want, out, errs)
		}
	}
	// A file missing beside SHA256SUMS is reported, not a failure.
	os.Remove(filepath.Join(dir, "a_linux_amd64"))
	if code, out, _ := runVerify(dir); code != 0 || !strings.Contains(out, "1 listed file(s) not present") {
		t.Errorf("missing file: exit %d\n%s", code, out)
	}
	// Another key's signature is refused.
	_, other, _ := ed25519.GenerateKey(rand.Reader)
	odir := fakeRelease(t, other)
	os.WriteFile(filepath.Join(odir, "allowed_signers"), must(os.ReadFile(filepath.Join(dir, "allowed_signers"))), 0o644)
	if code, _, errs := runVerify(odir); code != 1 || !strings.Contains(errs, "does not allow") {
		t.Errorf("other key: exit %d, %s", code, errs)
	}
}

func must(b []byte, err error) []byte {
	if err != nil {
		panic(err)
	}
	return b
}
