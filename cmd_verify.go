package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"git-remote-object-store/internal/sshsig"
)

// maxSumsSize bounds the SHA256SUMS file read: a release lists a few dozen files.
const maxSumsSize = 1 << 20

// cmdVerify checks a release the way `ssh-keygen -Y verify -n file` and `sha256sum -c`
// would, for users who have neither: the SSH signature of SHA256SUMS against an
// allowed_signers file, then every listed file present beside SHA256SUMS against its
// sum. The SHA256SUMS bytes checked against the signature are the bytes parsed.
func cmdVerify(_ context.Context, args []string, stdout, stderr io.Writer) int {
	cl := newCmdLine("verify", stdout, stderr)
	keys := cl.String("key", "FILE", "", "allowed_signers file: lines of \"principal ssh-ed25519 AAAA…\" (required)")
	principal := cl.String("principal", "P", "", "require this signer (default: any principal in the file)")
	pos, code, ok := cl.Parse(args, "<sums>", "<sig>")
	if !ok {
		return code
	}
	if *keys == "" {
		return cl.Fail("missing option --key: the allowed_signers file with the release key")
	}
	sumsPath, sigPath := pos[0], pos[1]
	sums, err := readLimited(sumsPath, maxSumsSize)
	if err != nil {
		fmt.Fprintf(stderr, "verify: %v\n", err)
		return exitFail
	}
	sigBytes, err := readLimited(sigPath, 64<<10)
	if err != nil {
		fmt.Fprintf(stderr, "verify: %v\n", err)
		return exitFail
	}
	kf, err := os.Open(*keys)
	if err != nil {
		fmt.Fprintf(stderr, "verify: %v\n", err)
		return exitFail
	}
	signers, skipped, err := sshsig.ParseAllowedSigners(kf)
	kf.Close()
	if err != nil {
		fmt.Fprintf(stderr, "verify: %s: %v\n", *keys, err)
		return exitFail
	}
	for _, s := range skipped {
		fmt.Fprintf(stderr, "verify: %s: %s (skipped)\n", *keys, s)
	}
	sig, err := sshsig.Parse(sigBytes)
	if err != nil {
		fmt.Fprintf(stderr, "verify: %s: %v\n", sigPath, err)
		return exitFail
	}
	var who string
	for _, s := range signers {
		if bytes.Equal(s.Key, sig.Key) && s.Allows(*principal, "file", time.Now()) {
			who = cmpOr(*principal, strings.Join(s.Principals, ","))
			break
		}
	}
	if who == "" {
		fmt.Fprintf(stderr, "verify: %s: signed by key %s, which %s does not allow", sigPath, sig.Key.Fingerprint(), *keys)
		if *principal != "" {
			fmt.Fprintf(stderr, " for principal %q", *principal)
		}
		fmt.Fprintln(stderr, " to sign files")
		return exitFail
	}
	if err := sig.Verify("file", bytes.NewReader(sums)); err != nil {
		fmt.Fprintf(stderr, "verify: BAD signature: %s does not match %s: %v\n", sigPath, sumsPath, err)
		return exitFail
	}
	fmt.Fprintf(stdout, "Good \"file\" signature for %s with ED25519 key %s\n", who, sig.Key.Fingerprint())

	dir := filepath.Dir(sumsPath)
	checked, missing, failed := 0, 0, 0
	sc := bufio.NewScanner(bytes.NewReader(sums))
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if strings.TrimSpace(line) == "" {
			continue
		}
		want, name, ok := parseSumLine(line)
		if !ok {
			fmt.Fprintf(stderr, "verify: %s line %d: not \"<sha256>  <file>\"\n", sumsPath, n)
			failed++
			continue
		}
		got, err := fileSHA256(filepath.Join(dir, filepath.FromSlash(name)))
		switch {
		case os.IsNotExist(err):
			missing++
			continue
		case err != nil:
			fmt.Fprintf(stdout, "FAILED  %s: %v\n", name, err)
			failed++
		case got != want:
			fmt.Fprintf(stdout, "FAILED  %s: sha256 %s, SHA256SUMS says %s\n", name, got, want)
			failed++
		default:
			fmt.Fprintf(stdout, "OK      %s\n", name)
			checked++
		}
	}
	if missing > 0 {
		fmt.Fprintf(stdout, "%d listed file(s) not present beside %s: not checked\n", missing, filepath.Base(sumsPath))
	}
	if failed > 0 {
		fmt.Fprintf(stderr, "verify: %d file(s) FAILED\n", failed)
		return exitFail
	}
	fmt.Fprintf(stdout, "%d file(s) verified\n", checked)
	return exitOK
}

// parseSumLine reads a sha256sum line: 64 hex digits, a blank, then " " (text mode) or
// "*" (binary mode) and a name that stays inside the directory.
func parseSumLine(line string) (sum, name string, ok bool) {
	if len(line) < 67 || line[64] != ' ' || (line[65] != ' ' && line[65] != '*') {
		return "", "", false
	}
	sum, name = strings.ToLower(line[:64]), line[66:]
	if _, err := hex.DecodeString(sum); err != nil || !filepath.IsLocal(filepath.FromSlash(name)) {
		return "", "", false
	}
	return sum, name, true
}

func fileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

func readLimited(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("%s: larger than %d bytes, not a checksum or signature file", path, limit)
	}
	return b, nil
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
