package sshsig

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func sshKeygen(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("ssh-keygen")
	if err != nil {
		t.Skip("ssh-keygen not installed (the test oracle)")
	}
	return p
}

func run(t *testing.T, stdin []byte, name string, args ...string) []byte {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Stdin = bytes.NewReader(stdin)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return out
}

// Our signature is accepted by ssh-keygen -Y verify, ssh-keygen's by us, and a key file
// ssh-keygen wrote is read by ParsePrivateKey.
func TestAgainstSSHKeygen(t *testing.T) {
	kg := sshKeygen(t)
	dir := t.TempDir()
	keyPath := filepath.Join(dir, "key")
	run(t, nil, kg, "-q", "-t", "ed25519", "-N", "", "-C", "release@example", "-f", keyPath)
	key, err := ReadPrivateKey(keyPath)
	if err != nil {
		t.Fatal(err)
	}
	pubLine, _ := os.ReadFile(keyPath + ".pub")
	if got := PublicKey(key.Public().(ed25519.PublicKey)).String(); !strings.HasPrefix(string(pubLine), got+" ") {
		t.Fatalf("public key %q, ssh-keygen wrote %q", got, pubLine)
	}
	msg := []byte("0123  SHA256SUMS line\n")
	msgPath := filepath.Join(dir, "msg")
	os.WriteFile(msgPath, msg, 0o644)
	sig, err := Sign(key, "file", bytes.NewReader(msg))
	if err != nil {
		t.Fatal(err)
	}
	sigPath := filepath.Join(dir, "msg.sig")
	os.WriteFile(sigPath, sig, 0o644)
	signers := filepath.Join(dir, "allowed_signers")
	os.WriteFile(signers, []byte("release@example "+string(pubLine)), 0o644)
	out := run(t, msg, kg, "-Y", "verify", "-f", signers, "-I", "release@example", "-n", "file", "-s", sigPath)
	if !strings.Contains(string(out), "Good \"file\" signature for release@example") {
		t.Fatalf("ssh-keygen -Y verify: %s", out)
	}

	// A flipped byte in the message is refused by both.
	bad := bytes.Clone(msg)
	bad[0] ^= 1
	cmd := exec.Command(kg, "-Y", "verify", "-f", signers, "-I", "release@example", "-n", "file", "-s", sigPath)
	cmd.Stdin = bytes.NewReader(bad)
	if out, err := cmd.CombinedOutput(); err == nil {
		t.Fatalf("ssh-keygen accepted a changed message: %s", out)
	}
	s, err := Parse(sig)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Verify("file", bytes.NewReader(msg)); err != nil {
		t.Fatal(err)
	}
	if err := s.Verify("file", bytes.NewReader(bad)); err == nil {
		t.Fatal("accepted a changed message")
	}
	if err := s.Verify("git", bytes.NewReader(msg)); err == nil {
		t.Fatal("accepted another namespace")
	}

	// ssh-keygen's own signature verifies with us.
	run(t, nil, kg, "-Y", "sign", "-f", keyPath, "-n", "file", msgPath)
	theirs, _ := os.ReadFile(msgPath + ".sig")
	ts, err := Parse(theirs)
	if err != nil {
		t.Fatal(err)
	}
	if err := ts.Verify("file", bytes.NewReader(msg)); err != nil {
		t.Fatal(err)
	}
	// ed25519 is deterministic: same key, message, namespace and hash, same bytes.
	if !bytes.Equal(theirs, sig) {
		t.Errorf("signature differs from ssh-keygen's:\n%s\n%s", sig, theirs)
	}
}

// A key file we write is one ssh-keygen reads.
func TestMarshalPrivateKey(t *testing.T) {
	kg := sshKeygen(t)
	_, key, _ := ed25519.GenerateKey(rand.Reader)
	p := filepath.Join(t.TempDir(), "key")
	os.WriteFile(p, MarshalPrivateKey(key, "me", 0x01020304), 0o600)
	out := run(t, nil, kg, "-y", "-f", p)
	want := PublicKey(key.Public().(ed25519.PublicKey)).String()
	if !strings.HasPrefix(string(out), want) {
		t.Fatalf("ssh-keygen -y: %s, want %s", out, want)
	}
	got, err := ReadPrivateKey(p)
	if err != nil || !got.Equal(key) {
		t.Fatalf("round trip: %v", err)
	}
}

func TestRefusedKeys(t *testing.T) {
	kg := sshKeygen(t)
	dir := t.TempDir()
	for _, c := range []struct {
		name string
		args []string
		want string
	}{
		{"encrypted", []string{"-t", "ed25519", "-N", "secret"}, "encrypted"},
		{"ecdsa", []string{"-t", "ecdsa", "-N", ""}, "ecdsa"},
		{"rsa-pem", []string{"-t", "rsa", "-b", "2048", "-m", "PEM", "-N", ""}, "only OpenSSH ed25519"},
	} {
		p := filepath.Join(dir, c.name)
		run(t, nil, kg, append([]string{"-q", "-f", p}, c.args...)...)
		if _, err := ReadPrivateKey(p); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want an error mentioning %q", c.name, err, c.want)
		}
	}
	if _, err := ParsePrivateKey([]byte("hello")); err == nil {
		t.Error("accepted garbage")
	}
}

// Every byte of the signature blob matters: flipped, it fails to parse or to verify.
func TestFlippedSignature(t *testing.T) {
	_, key, _ := ed25519.GenerateKey(rand.Reader)
	msg := []byte("data")
	sig, _ := Sign(key, "file", bytes.NewReader(msg))
	lines := strings.Split(strings.TrimSpace(string(sig)), "\n")
	blob, err := base64.StdEncoding.DecodeString(strings.Join(lines[1:len(lines)-1], ""))
	if err != nil {
		t.Fatal(err)
	}
	for i := range blob {
		b := bytes.Clone(blob)
		b[i] ^= 0x10
		s, err := Parse(armor(b))
		if err == nil && s.Verify("file", bytes.NewReader(msg)) == nil {
			t.Fatalf("byte %d flipped: still verifies", i)
		}
	}
}

func TestAllowedSigners(t *testing.T) {
	_, k1, _ := ed25519.GenerateKey(rand.Reader)
	_, k2, _ := ed25519.GenerateKey(rand.Reader)
	p1 := PublicKey(k1.Public().(ed25519.PublicKey)).String()
	p2 := PublicKey(k2.Public().(ed25519.PublicKey)).String()
	file := "# release keys\n\n" +
		"release@example.org,backup@example.org namespaces=\"file,git\" " + p1 + " a comment\n" +
		"old@example.org valid-before=20200101Z " + p2 + "\n" +
		"ca@example.org cert-authority " + p2 + "\n" +
		"rsa@example.org ssh-rsa AAAAB3NzaC1yc2E=\n"
	signers, skipped, err := ParseAllowedSigners(strings.NewReader(file))
	if err != nil {
		t.Fatal(err)
	}
	if len(signers) != 2 || len(skipped) != 2 {
		t.Fatalf("signers %d, skipped %q", len(signers), skipped)
	}
	now := time.Now()
	if !signers[0].Allows("backup@example.org", "file", now) || !signers[0].Allows("", "file", now) {
		t.Error("first line should allow file signatures")
	}
	if signers[0].Allows("other@example.org", "file", now) || signers[0].Allows("", "email", now) {
		t.Error("first line allows too much")
	}
	if signers[1].Allows("old@example.org", "file", now) {
		t.Error("expired key allowed")
	}
	if !signers[1].Allows("old@example.org", "file", time.Date(2019, 1, 1, 0, 0, 0, 0, time.UTC)) {
		t.Error("key refused before its expiry")
	}
	if !wildcard("*@example.org", "a@example.org") || wildcard("?@x", "ab@x") {
		t.Error("wildcards")
	}
	if _, _, err := ParseAllowedSigners(strings.NewReader("x bogus=1 " + p1 + "\n")); err == nil {
		t.Error("unknown option accepted")
	}
}
