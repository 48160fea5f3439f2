package sshsig

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/binary"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

// fuzzKey is a throwaway key, fixed so that a failing input replays.
var fuzzKey = ed25519.NewKeyFromSeed(bytes.Repeat([]byte{7}, ed25519.SeedSize))

func fuzzPub() PublicKey { return PublicKey(fuzzKey.Public().(ed25519.PublicKey)) }

func mustSign(tb testing.TB, namespace string, msg []byte) []byte {
	tb.Helper()
	sig, err := Sign(fuzzKey, namespace, bytes.NewReader(msg))
	if err != nil {
		tb.Fatal(err)
	}
	return sig
}

// marshalBlob is the wire form of s with an empty reserved field, as Sign writes it: the
// serialiser the round trips are checked against.
func marshalBlob(s *Signature) []byte {
	var b []byte
	b = append(b, magic...)
	b = binary.BigEndian.AppendUint32(b, sigVersion)
	b = appendString(b, s.Key.Wire())
	b = appendString(b, []byte(s.Namespace))
	b = appendString(b, nil)
	b = appendString(b, []byte(s.HashAlg))
	var inner []byte
	inner = appendString(inner, []byte(keyType))
	inner = appendString(inner, s.sig)
	return appendString(b, inner)
}

func sameSignature(a, b *Signature) bool {
	return bytes.Equal(a.Key, b.Key) && a.Namespace == b.Namespace && a.HashAlg == b.HashAlg && bytes.Equal(a.sig, b.sig)
}

// FuzzParse: any bytes as an armoured signature. What parses re-serialises to a
// signature that parses to the same, and the re-serialised form is a fixed point.
func FuzzParse(f *testing.F) {
	good := mustSign(f, "file", []byte("0123  SHA256SUMS\n"))
	f.Add(good)
	f.Add(mustSign(f, "git", nil))
	f.Add(good[:len(good)/2])
	f.Add(bytes.ReplaceAll(good, []byte("\n"), []byte("\r\n")))
	f.Add(bytes.ReplaceAll(good, []byte("\n"), nil))
	f.Add(bytes.Replace(good, []byte("U1NIU0lH"), []byte("U1NIU0lI"), 1))
	f.Add([]byte(armorBegin + "\n" + armorEnd + "\n"))
	f.Add([]byte(armorBegin + "\nU1NIU0lHAAAAAQ==\n" + armorEnd))
	f.Fuzz(func(t *testing.T, armored []byte) {
		s, err := Parse(armored)
		if err != nil {
			return // refusing is always allowed; accepting is what must be right
		}
		if len(s.Key) != ed25519.PublicKeySize || len(s.sig) != ed25519.SignatureSize {
			t.Fatalf("accepted a key of %d bytes or a signature of %d", len(s.Key), len(s.sig))
		}
		out := armor(marshalBlob(s))
		s2, err := Parse(out)
		if err != nil {
			t.Fatalf("re-serialised signature does not parse: %v\n%s", err, out)
		}
		if !sameSignature(s, s2) {
			t.Fatalf("round trip changed the signature: %+v, then %+v", s, s2)
		}
		if again := armor(marshalBlob(s2)); !bytes.Equal(again, out) {
			t.Fatalf("serialising is not a fixed point:\n%s\n%s", out, again)
		}
		typ, b64, _ := strings.Cut(s.Key.String(), " ")
		k, err := ParsePublicKey(typ, b64)
		if err != nil || !bytes.Equal(k, s.Key) {
			t.Fatalf("key %s does not round-trip: %v", s.Key, err)
		}
	})
}

// FuzzVerifyTampered signs msg, then xors mask into the signature at pos, once in the
// decoded blob and once in the armoured text, and changes the message the same way. A
// changed blob or message must never verify; a changed armour may, but only if it
// decodes to the very signature that was made.
func FuzzVerifyTampered(f *testing.F) {
	f.Add([]byte("0123  SHA256SUMS\n"), uint16(0), []byte{1})
	f.Add([]byte("data"), uint16(40), []byte{0x80, 0, 1})
	f.Add([]byte{}, uint16(300), []byte{0xff})
	f.Add([]byte("x"), uint16(10), []byte{0x20}) // a space into the armour's base64
	f.Fuzz(func(t *testing.T, msg []byte, pos uint16, mask []byte) {
		armored := mustSign(t, "file", msg)
		orig, err := Parse(armored)
		if err != nil {
			t.Fatalf("our own signature does not parse: %v", err)
		}
		if err := orig.Verify("file", bytes.NewReader(msg)); err != nil {
			t.Fatalf("our own signature does not verify: %v", err)
		}
		if orig.Verify("git", bytes.NewReader(msg)) == nil {
			t.Fatal("a signature verified in another namespace")
		}
		blob := marshalBlob(orig)
		if !bytes.Equal(armor(blob), armored) {
			t.Fatalf("Sign wrote another blob than its parse re-serialises to:\n%s\n%s", armored, armor(blob))
		}

		if b, changed := xorAt(blob, pos, mask); changed {
			if s, err := Parse(armor(b)); err == nil && s.Verify("file", bytes.NewReader(msg)) == nil {
				t.Fatalf("blob changed at %d by %x still verifies", pos, mask)
			}
		}
		if a, changed := xorAt(armored, pos, mask); changed {
			if s, err := Parse(a); err == nil && s.Verify("file", bytes.NewReader(msg)) == nil && !sameSignature(s, orig) {
				t.Fatalf("armour changed at %d by %x verifies as another signature:\n%s", pos, mask, a)
			}
		}
		if m, changed := xorAt(msg, pos, mask); changed {
			if orig.Verify("file", bytes.NewReader(m)) == nil {
				t.Fatalf("message changed at %d by %x still verifies", pos, mask)
			}
		}
	})
}

// xorAt returns a copy of b with mask xored in from pos (modulo len(b)), cut at the end,
// and whether that changed any byte.
func xorAt(b []byte, pos uint16, mask []byte) ([]byte, bool) {
	if len(b) == 0 {
		return b, false
	}
	out := bytes.Clone(b)
	for i, m := range mask {
		j := int(pos)%len(b) + i
		if j >= len(out) {
			break
		}
		out[j] ^= m
	}
	return out, !bytes.Equal(out, b)
}

// FuzzParsePublicKey: what parses is exactly the wire form it decodes from, nothing
// more, and prints as a key that parses back to it.
func FuzzParsePublicKey(f *testing.F) {
	typ, b64, _ := strings.Cut(fuzzPub().String(), " ")
	f.Add(typ, b64)
	f.Add(typ, b64[:len(b64)-4])
	f.Add(typ, b64+"AAAA")
	f.Add("ssh-rsa", "AAAAB3NzaC1yc2E=")
	f.Add(typ, strings.TrimRight(b64, "="))
	f.Fuzz(func(t *testing.T, typ, b64 string) {
		k, err := ParsePublicKey(typ, b64)
		if err != nil {
			return
		}
		wire, err := base64.StdEncoding.DecodeString(b64)
		if err != nil || !bytes.Equal(wire, k.Wire()) {
			t.Fatalf("accepted %q, which decodes to %x, not the key's wire form %x", b64, wire, k.Wire())
		}
		typ2, b642, _ := strings.Cut(k.String(), " ")
		k2, err := ParsePublicKey(typ2, b642)
		if err != nil || !bytes.Equal(k, k2) {
			t.Fatalf("%s does not parse back: %v", k, err)
		}
	})
}

// FuzzParsePrivateKey: a key that parses is written back by MarshalPrivateKey as a file
// that parses to the same key.
func FuzzParsePrivateKey(f *testing.F) {
	good := MarshalPrivateKey(fuzzKey, "fuzz@example", 0x01020304)
	f.Add(good)
	f.Add(good[:len(good)/2])
	f.Add(bytes.Replace(good, []byte("OPENSSH"), []byte("RSA"), 2))
	f.Add([]byte("-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEA\n-----END OPENSSH PRIVATE KEY-----\n"))
	f.Fuzz(func(t *testing.T, pemBytes []byte) {
		key, err := ParsePrivateKey(pemBytes)
		if err != nil {
			return
		}
		if len(key) != ed25519.PrivateKeySize {
			t.Fatalf("a private key of %d bytes", len(key))
		}
		again, err := ParsePrivateKey(MarshalPrivateKey(key, "c", 7))
		if err != nil || !again.Equal(key) {
			t.Fatalf("key does not round-trip: %v", err)
		}
	})
}

// FuzzParseAllowedSigners: any file. Every signer it yields has an ed25519 key and, when
// its principals and namespaces hold no quote, is written back as a line that parses to
// the same signer.
func FuzzParseAllowedSigners(f *testing.F) {
	pub := fuzzPub().String()
	file := "# release keys\n\n" +
		"release@example.org,backup@example.org namespaces=\"file,git\" " + pub + " a comment\n" +
		"old@example.org valid-after=20190101 valid-before=202001011230Z " + pub + "\n" +
		`"a b@example.org" ` + pub + "\n" +
		"ca@example.org cert-authority " + pub + "\n" +
		"rsa@example.org ssh-rsa AAAAB3NzaC1yc2E=\n"
	f.Add([]byte(file), "backup@example.org")
	f.Add([]byte(file[:len(file)/2]), "*")
	f.Add([]byte("x namespaces=\"a,b\",valid-after=\"20200101000000\" "+pub), "x")
	f.Add([]byte("*@example.org,!bad@example.org "+pub+"\r\n"), "bad@example.org")
	f.Add([]byte("x \"unterminated "+pub), "")
	f.Fuzz(func(t *testing.T, data []byte, principal string) {
		signers, _, err := ParseAllowedSigners(bytes.NewReader(data))
		if err != nil {
			return
		}
		now := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
		for _, s := range signers {
			if len(s.Key) != ed25519.PublicKeySize {
				t.Fatalf("signer with a key of %d bytes", len(s.Key))
			}
			s.Allows(principal, "file", now)
			line, ok := formatSigner(s)
			if !ok {
				continue
			}
			back, _, err := ParseAllowedSigners(strings.NewReader(line))
			if err != nil || len(back) != 1 || !sameSigner(s, back[0]) {
				t.Fatalf("signer %+v written as %q parses to %+v, %v", s, line, back, err)
			}
		}
	})
}

// formatSigner writes s as an allowed_signers line; false when the format cannot hold
// it (a double quote in a principal or namespace has no escape).
func formatSigner(s Signer) (string, bool) {
	for _, v := range append(append([]string(nil), s.Principals...), s.Namespaces...) {
		if strings.Contains(v, `"`) {
			return "", false
		}
	}
	var opts []string
	if s.Namespaces != nil {
		opts = append(opts, `namespaces="`+strings.Join(s.Namespaces, ",")+`"`)
	}
	if !s.ValidAfter.IsZero() {
		opts = append(opts, "valid-after="+s.ValidAfter.UTC().Format("20060102150405")+"Z")
	}
	if !s.ValidBefore.IsZero() {
		opts = append(opts, "valid-before="+s.ValidBefore.UTC().Format("20060102150405")+"Z")
	}
	line := `"` + strings.Join(s.Principals, ",") + `"`
	if len(opts) > 0 {
		line += " " + strings.Join(opts, ",")
	}
	return line + " " + s.Key.String() + "\n", true
}

func sameSigner(a, b Signer) bool {
	return slices.Equal(a.Principals, b.Principals) && slices.Equal(a.Namespaces, b.Namespaces) &&
		a.ValidAfter.Equal(b.ValidAfter) && a.ValidBefore.Equal(b.ValidBefore) && bytes.Equal(a.Key, b.Key)
}

// FuzzWildcard checks ssh's pattern matching against Go's regexp, which matches in
// linear time, on ASCII (where a byte and a character are one).
func FuzzWildcard(f *testing.F) {
	for _, c := range [][2]string{
		{"*@example.org", "a@example.org"}, {"?@x", "ab@x"}, {"a*b*c", "aXbYc"}, {"*", ""},
		{"**?", "x"}, {"a.b", "aXb"}, {"*a*a*a*b", "aaaaaaaaaaaa"}, {"", ""}, {"*\\", "x\\"},
	} {
		f.Add(c[0], c[1])
	}
	f.Fuzz(func(t *testing.T, p, s string) {
		p, s = ascii(p), ascii(s)
		var re strings.Builder
		re.WriteString(`^(?s:`)
		for _, c := range []byte(p) {
			switch c {
			case '*':
				re.WriteString(`.*`)
			case '?':
				re.WriteString(`.`)
			default:
				re.WriteString(regexp.QuoteMeta(string(c)))
			}
		}
		re.WriteString(`)$`)
		if got, want := wildcard(p, s), regexp.MustCompile(re.String()).MatchString(s); got != want {
			t.Fatalf("wildcard(%q, %q) = %v, want %v", p, s, got, want)
		}
	})
}

func ascii(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 0x80 {
			return -1
		}
		return r
	}, s)
}

// A pattern of many stars must not take time exponential in its length: an
// allowed_signers file may come from elsewhere, and `verify` matches its patterns.
func TestWildcardLinear(t *testing.T) {
	done := make(chan bool, 1)
	go func() { done <- wildcard(strings.Repeat("*a", 30)+"b", strings.Repeat("a", 60)) }()
	select {
	case got := <-done:
		if got {
			t.Fatal("matched a pattern that needs a b")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("wildcard took more than 5s on 61 stars: exponential backtracking")
	}
}
