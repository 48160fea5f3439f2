// Package sshsig makes and checks SSH signatures (OpenSSH's PROTOCOL.sshsig, what
// `ssh-keygen -Y sign` writes and `ssh-keygen -Y verify` checks) with ed25519 keys only,
// from the standard library. It reads unencrypted OpenSSH ed25519 private keys and
// allowed_signers files.
//
// The signed message is never the file itself but this blob, so a signature made for one
// namespace ("file") cannot be replayed in another (git commits, e-mail):
//
//	"SSHSIG" string(namespace) string(reserved="") string(hash_alg) string(H(message))
//
// and the signature is
//
//	"SSHSIG" uint32(1) string(public key) string(namespace) string(reserved)
//	string(hash_alg) string(signature)
//
// armoured as base64 between "-----BEGIN SSH SIGNATURE-----" and "-----END SSH SIGNATURE-----".
package sshsig

import (
	"bufio"
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/binary"
	"encoding/pem"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"strings"
	"time"
)

const (
	magic      = "SSHSIG"
	sigVersion = 1
	keyType    = "ssh-ed25519"
	armorBegin = "-----BEGIN SSH SIGNATURE-----"
	armorEnd   = "-----END SSH SIGNATURE-----"
)

// PublicKey is an ed25519 public key as SSH names it.
type PublicKey ed25519.PublicKey

// Wire is the key's SSH wire form: string("ssh-ed25519") string(key).
func (k PublicKey) Wire() []byte {
	var b []byte
	b = appendString(b, []byte(keyType))
	return appendString(b, k)
}

// String is the authorized_keys form: "ssh-ed25519 AAAA…".
func (k PublicKey) String() string {
	return keyType + " " + base64.StdEncoding.EncodeToString(k.Wire())
}

// Fingerprint is OpenSSH's "SHA256:…" fingerprint.
func (k PublicKey) Fingerprint() string {
	sum := sha256.Sum256(k.Wire())
	return "SHA256:" + base64.RawStdEncoding.EncodeToString(sum[:])
}

// Sign signs message (read to the end) in namespace with SHA-512, as
// `ssh-keygen -Y sign -n <namespace>` does, and returns the armoured signature.
func Sign(key ed25519.PrivateKey, namespace string, message io.Reader) ([]byte, error) {
	if namespace == "" {
		return nil, errors.New("sshsig: empty namespace")
	}
	h := sha512.New()
	if _, err := io.Copy(h, message); err != nil {
		return nil, err
	}
	sig := ed25519.Sign(key, signedData(namespace, "sha512", h.Sum(nil)))
	var blob []byte
	blob = append(blob, magic...)
	blob = binary.BigEndian.AppendUint32(blob, sigVersion)
	blob = appendString(blob, PublicKey(key.Public().(ed25519.PublicKey)).Wire())
	blob = appendString(blob, []byte(namespace))
	blob = appendString(blob, nil)
	blob = appendString(blob, []byte("sha512"))
	var s []byte
	s = appendString(s, []byte(keyType))
	s = appendString(s, sig)
	blob = appendString(blob, s)
	return armor(blob), nil
}

// Signature is a parsed SSH signature.
type Signature struct {
	Key       PublicKey
	Namespace string
	HashAlg   string
	sig       []byte
}

// Parse reads an armoured SSH signature. Only ed25519 signatures are accepted.
func Parse(armored []byte) (*Signature, error) {
	s := strings.TrimSpace(string(armored))
	body, ok := strings.CutPrefix(s, armorBegin)
	if !ok {
		return nil, errors.New("sshsig: not an SSH signature (no " + armorBegin + " line)")
	}
	body, ok = strings.CutSuffix(body, armorEnd)
	if !ok {
		return nil, errors.New("sshsig: SSH signature has no " + armorEnd + " line")
	}
	blob, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(body), ""))
	if err != nil {
		return nil, fmt.Errorf("sshsig: bad base64 in signature: %w", err)
	}
	r := &reader{b: blob}
	if string(r.bytes(len(magic))) != magic {
		return nil, errors.New("sshsig: bad signature magic")
	}
	if v := r.uint32(); v != sigVersion {
		return nil, fmt.Errorf("sshsig: unsupported signature version %d", v)
	}
	pub, ns, reserved, alg, sigBlob := r.string(), r.string(), r.string(), r.string(), r.string()
	if r.err != nil || len(r.b) != 0 {
		return nil, errors.New("sshsig: malformed signature")
	}
	_ = reserved
	key, err := parseWireKey(pub)
	if err != nil {
		return nil, err
	}
	sr := &reader{b: sigBlob}
	st, sig := sr.string(), sr.string()
	if sr.err != nil || len(sr.b) != 0 {
		return nil, errors.New("sshsig: malformed signature")
	}
	if string(st) != keyType {
		return nil, fmt.Errorf("sshsig: unsupported signature type %q (only ssh-ed25519)", st)
	}
	if len(sig) != ed25519.SignatureSize {
		return nil, errors.New("sshsig: malformed ed25519 signature")
	}
	if a := string(alg); a != "sha512" && a != "sha256" {
		return nil, fmt.Errorf("sshsig: unsupported hash algorithm %q", a)
	}
	return &Signature{Key: key, Namespace: string(ns), HashAlg: string(alg), sig: sig}, nil
}

// Verify checks that s signs message (read to the end) in namespace.
func (s *Signature) Verify(namespace string, message io.Reader) error {
	if s.Namespace != namespace {
		return fmt.Errorf("sshsig: signature is for namespace %q, not %q", s.Namespace, namespace)
	}
	var h hash.Hash = sha512.New()
	if s.HashAlg == "sha256" {
		h = sha256.New()
	}
	if _, err := io.Copy(h, message); err != nil {
		return err
	}
	if !ed25519.Verify(ed25519.PublicKey(s.Key), signedData(namespace, s.HashAlg, h.Sum(nil)), s.sig) {
		return errors.New("sshsig: signature does not match the data")
	}
	return nil
}

func signedData(namespace, alg string, digest []byte) []byte {
	var b []byte
	b = append(b, magic...)
	b = appendString(b, []byte(namespace))
	b = appendString(b, nil)
	b = appendString(b, []byte(alg))
	return appendString(b, digest)
}

func armor(blob []byte) []byte {
	enc := base64.StdEncoding.EncodeToString(blob)
	var b bytes.Buffer
	b.WriteString(armorBegin + "\n")
	for len(enc) > 70 {
		b.WriteString(enc[:70] + "\n")
		enc = enc[70:]
	}
	b.WriteString(enc + "\n" + armorEnd + "\n")
	return b.Bytes()
}

// ParsePrivateKey reads an OpenSSH private key file ("-----BEGIN OPENSSH PRIVATE
// KEY-----"). It accepts an unencrypted ed25519 key only and says why otherwise.
func ParsePrivateKey(pemBytes []byte) (ed25519.PrivateKey, error) {
	block, _ := pem.Decode(pemBytes)
	if block == nil {
		return nil, errors.New("not a PEM-armoured private key")
	}
	if block.Type != "OPENSSH PRIVATE KEY" {
		return nil, fmt.Errorf("a %q key; only OpenSSH ed25519 keys are accepted (ssh-keygen -t ed25519)", block.Type)
	}
	const authMagic = "openssh-key-v1\x00"
	r := &reader{b: block.Bytes}
	if string(r.bytes(len(authMagic))) != authMagic {
		return nil, errors.New("not an openssh-key-v1 private key")
	}
	cipher, kdf, _ := r.string(), r.string(), r.string()
	n := r.uint32()
	if r.err != nil {
		return nil, errors.New("malformed OpenSSH private key")
	}
	if string(cipher) != "none" || string(kdf) != "none" {
		return nil, errors.New("the key is encrypted with a passphrase; use an unencrypted key (e.g. on an offline machine or a tmpfs)")
	}
	if n != 1 {
		return nil, fmt.Errorf("the file holds %d keys; expected one", n)
	}
	pubWire := r.string()
	priv := r.string()
	if r.err != nil {
		return nil, errors.New("malformed OpenSSH private key")
	}
	pub, err := parseWireKey(pubWire)
	if err != nil {
		return nil, err
	}
	pr := &reader{b: priv}
	c1, c2 := pr.uint32(), pr.uint32()
	kt, kpub, kpriv := pr.string(), pr.string(), pr.string()
	_ = pr.string() // comment
	if pr.err != nil {
		return nil, errors.New("malformed OpenSSH private key")
	}
	if c1 != c2 {
		return nil, errors.New("malformed OpenSSH private key (check integers differ)")
	}
	for i, b := range pr.b { // padding 1, 2, 3, …
		if b != byte(i+1) {
			return nil, errors.New("malformed OpenSSH private key (bad padding)")
		}
	}
	if string(kt) != keyType || len(kpub) != ed25519.PublicKeySize || len(kpriv) != ed25519.PrivateKeySize {
		return nil, fmt.Errorf("malformed %s private key", kt)
	}
	key := ed25519.NewKeyFromSeed(kpriv[:ed25519.SeedSize])
	if !bytes.Equal(key[32:], kpub) || !bytes.Equal(kpub, pub) || !bytes.Equal(kpriv[32:], kpub) {
		return nil, errors.New("the private key does not match its public key")
	}
	return key, nil
}

// ReadPrivateKey reads and parses a private key file.
func ReadPrivateKey(path string) (ed25519.PrivateKey, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	k, err := ParsePrivateKey(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return k, nil
}

// MarshalPrivateKey writes key as an unencrypted OpenSSH private key file (what
// ssh-keygen -t ed25519 -N ” writes). check is the pair of check integers.
func MarshalPrivateKey(key ed25519.PrivateKey, comment string, check uint32) []byte {
	pub := PublicKey(key.Public().(ed25519.PublicKey))
	var priv []byte
	priv = binary.BigEndian.AppendUint32(priv, check)
	priv = binary.BigEndian.AppendUint32(priv, check)
	priv = appendString(priv, []byte(keyType))
	priv = appendString(priv, pub)
	priv = appendString(priv, key)
	priv = appendString(priv, []byte(comment))
	for i := byte(1); len(priv)%8 != 0; i++ {
		priv = append(priv, i)
	}
	var b []byte
	b = append(b, "openssh-key-v1\x00"...)
	b = appendString(b, []byte("none"))
	b = appendString(b, []byte("none"))
	b = appendString(b, nil)
	b = binary.BigEndian.AppendUint32(b, 1)
	b = appendString(b, pub.Wire())
	b = appendString(b, priv)
	return pem.EncodeToMemory(&pem.Block{Type: "OPENSSH PRIVATE KEY", Bytes: b})
}

// ParsePublicKey reads "ssh-ed25519 AAAA… [comment]" (the key type and base64 fields).
func ParsePublicKey(typ, b64 string) (PublicKey, error) {
	if typ != keyType {
		return nil, fmt.Errorf("unsupported key type %q (only ssh-ed25519)", typ)
	}
	wire, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		return nil, fmt.Errorf("bad base64 in public key: %w", err)
	}
	return parseWireKey(wire)
}

func parseWireKey(wire []byte) (PublicKey, error) {
	r := &reader{b: wire}
	t, k := r.string(), r.string()
	if r.err != nil || len(r.b) != 0 {
		return nil, errors.New("sshsig: malformed public key")
	}
	if string(t) != keyType {
		return nil, fmt.Errorf("sshsig: unsupported key type %q (only ssh-ed25519)", t)
	}
	if len(k) != ed25519.PublicKeySize {
		return nil, errors.New("sshsig: malformed ed25519 public key")
	}
	return PublicKey(bytes.Clone(k)), nil
}

// Signer is one line of an allowed_signers file (ssh-keygen(1), ALLOWED SIGNERS).
type Signer struct {
	Principals  []string
	Namespaces  []string // empty: any
	ValidAfter  time.Time
	ValidBefore time.Time
	Key         PublicKey
}

// Allows reports whether the line lets its key sign for principal in namespace at time
// now (principal "" stands for any of the line's principals).
func (s Signer) Allows(principal, namespace string, now time.Time) bool {
	if len(s.Namespaces) > 0 && !matchAny(s.Namespaces, namespace) {
		return false
	}
	if !s.ValidAfter.IsZero() && now.Before(s.ValidAfter) || !s.ValidBefore.IsZero() && !now.Before(s.ValidBefore) {
		return false
	}
	return principal == "" || matchAny(s.Principals, principal)
}

// ParseAllowedSigners reads an allowed_signers file: per line
// "principals [options] keytype base64-key [comment]", # comments and blank lines
// ignored. Lines for other key types and cert-authority lines are skipped (returned in
// skipped, with the reason), not errors: the file may serve other tools too.
func ParseAllowedSigners(r io.Reader) (signers []Signer, skipped []string, err error) {
	sc := bufio.NewScanner(r)
	n := 0
	for sc.Scan() {
		n++
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' {
			continue
		}
		f, err := fields(line)
		if err != nil || len(f) < 3 {
			return nil, nil, fmt.Errorf("allowed_signers line %d: malformed", n)
		}
		s := Signer{Principals: strings.Split(f[0], ",")}
		rest := f[1:]
		if !strings.HasPrefix(rest[0], "ssh-") && !strings.HasPrefix(rest[0], "ecdsa-") && !strings.HasPrefix(rest[0], "sk-") {
			skip := ""
			for _, opt := range splitOptions(rest[0]) {
				k, v, _ := strings.Cut(opt, "=")
				v = strings.Trim(v, `"`)
				switch strings.ToLower(k) {
				case "cert-authority":
					skip = "cert-authority keys are not supported"
				case "namespaces":
					s.Namespaces = strings.Split(v, ",")
				case "valid-after":
					if s.ValidAfter, err = parseSignerTime(v); err != nil {
						return nil, nil, fmt.Errorf("allowed_signers line %d: %v", n, err)
					}
				case "valid-before":
					if s.ValidBefore, err = parseSignerTime(v); err != nil {
						return nil, nil, fmt.Errorf("allowed_signers line %d: %v", n, err)
					}
				default:
					return nil, nil, fmt.Errorf("allowed_signers line %d: unknown option %q", n, k)
				}
			}
			rest = rest[1:]
			if skip != "" {
				skipped = append(skipped, fmt.Sprintf("line %d: %s", n, skip))
				continue
			}
		}
		if len(rest) < 2 {
			return nil, nil, fmt.Errorf("allowed_signers line %d: no key", n)
		}
		if rest[0] != keyType {
			skipped = append(skipped, fmt.Sprintf("line %d: key type %s is not supported (only ssh-ed25519)", n, rest[0]))
			continue
		}
		if s.Key, err = ParsePublicKey(rest[0], rest[1]); err != nil {
			return nil, nil, fmt.Errorf("allowed_signers line %d: %v", n, err)
		}
		signers = append(signers, s)
	}
	return signers, skipped, sc.Err()
}

// fields splits on blanks, keeping double-quoted stretches (which may hold blanks) whole.
func fields(line string) ([]string, error) {
	var out []string
	var cur strings.Builder
	quoted, in := false, false
	for _, c := range line {
		switch {
		case c == '"':
			quoted = !quoted
			cur.WriteRune(c)
			in = true
		case (c == ' ' || c == '\t') && !quoted:
			if in {
				out = append(out, cur.String())
				cur.Reset()
				in = false
			}
		default:
			cur.WriteRune(c)
			in = true
		}
	}
	if quoted {
		return nil, errors.New("unterminated quote")
	}
	if in {
		out = append(out, cur.String())
	}
	for i, f := range out { // a quoted principals list
		if len(f) >= 2 && f[0] == '"' && f[len(f)-1] == '"' && i == 0 {
			out[i] = f[1 : len(f)-1]
		}
	}
	return out, nil
}

// splitOptions splits an options field on commas outside double quotes.
func splitOptions(s string) []string {
	var out []string
	quoted, start := false, 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '"':
			quoted = !quoted
		case ',':
			if !quoted {
				out = append(out, s[start:i])
				start = i + 1
			}
		}
	}
	return append(out, s[start:])
}

// parseSignerTime reads YYYYMMDD[HHMM[SS]][Z]; without Z it is local time, as ssh-keygen reads it.
func parseSignerTime(v string) (time.Time, error) {
	loc := time.Local
	if s, ok := strings.CutSuffix(v, "Z"); ok {
		v, loc = s, time.UTC
	}
	for _, layout := range []string{"20060102150405", "200601021504", "20060102"} {
		if len(v) == len(layout) {
			return time.ParseInLocation(layout, v, loc)
		}
	}
	return time.Time{}, fmt.Errorf("bad time %q", v)
}

// matchAny matches s against patterns with ssh's wildcards (* and ?); a leading ! negates.
func matchAny(patterns []string, s string) bool {
	ok := false
	for _, p := range patterns {
		if neg, found := strings.CutPrefix(p, "!"); found {
			if wildcard(neg, s) {
				return false
			}
			continue
		}
		if wildcard(p, s) {
			ok = true
		}
	}
	return ok
}

// wildcard matches s against p, byte by byte. Only the latest star is ever backtracked
// to: a later star can take whatever an earlier one would have, so a mismatch need not
// retry the earlier ones, and a pattern of many stars costs len(p)·len(s) steps, not
// exponential time.
func wildcard(p, s string) bool {
	pi, si := 0, 0
	star, mark := -1, 0 // the latest star in p, and where in s its match ends so far
	for si < len(s) {
		switch {
		case pi < len(p) && p[pi] == '*':
			star, mark = pi, si
			pi++
		case pi < len(p) && (p[pi] == '?' || p[pi] == s[si]):
			pi++
			si++
		case star >= 0:
			mark++
			pi, si = star+1, mark
		default:
			return false
		}
	}
	for pi < len(p) && p[pi] == '*' {
		pi++
	}
	return pi == len(p)
}

func appendString(b, s []byte) []byte {
	b = binary.BigEndian.AppendUint32(b, uint32(len(s)))
	return append(b, s...)
}

type reader struct {
	b   []byte
	err error
}

func (r *reader) bytes(n int) []byte {
	if r.err != nil || n < 0 || n > len(r.b) {
		r.err = io.ErrUnexpectedEOF
		return nil
	}
	out := r.b[:n]
	r.b = r.b[n:]
	return out
}

func (r *reader) uint32() uint32 {
	b := r.bytes(4)
	if b == nil {
		return 0
	}
	return binary.BigEndian.Uint32(b)
}

func (r *reader) string() []byte {
	n := r.uint32()
	if r.err != nil || uint64(n) > uint64(len(r.b)) {
		r.err = io.ErrUnexpectedEOF
		return nil
	}
	return r.bytes(int(n))
}
