// Package redact is the one place that keeps secrets out of the program's output. Every
// byte package main writes to stdout and stderr passes through a Writer (wired once, in
// run), and remote.Redact delegates to String, so no message can bypass it.
//
// It redacts two ways:
//
//   - by value: the secrets the process loaded (Secret, FromEnv: AWS secret keys and
//     session tokens, Azure account keys, SAS tokens and their signatures, the secret
//     parts of a connection string, Entra client secrets, named credentials, tokens a
//     credential chain fetched) are replaced wherever they appear, also percent-encoded
//     or -decoded;
//   - by form: a URL's userinfo password; query or form parameters whose value is a
//     secret (sig, X-Amz-Signature, X-Amz-Credential, X-Amz-Security-Token,
//     client_secret, client_assertion, access_token, refresh_token, password);
//     AccountKey=, SharedAccessKey= and SharedAccessSignature= of a connection string;
//     Bearer and SharedKey authorizations and a SigV4 Signature=; and JSON fields
//     holding credentials (SecretAccessKey, SessionToken, Token, access_token, …).
//
// Each becomes REDACTED; everything else stays as written, so the user still recognises
// the URL or message.
package redact

import (
	"bytes"
	"io"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
)

// Mask replaces every secret.
const Mask = "REDACTED"

// MinLen is the shortest value Secret registers: shorter ones would mask ordinary words.
// (A short URL password is still caught by its form.)
const MinLen = 8

var (
	mu     sync.RWMutex
	values []string // longest first, so a secret containing another is masked whole
)

// Secret registers secret values: from now on String and every Writer mask them.
// Empty and short (< MinLen) values are ignored.
func Secret(vs ...string) {
	var add []string
	for _, v := range vs {
		v = strings.TrimSpace(v)
		for _, f := range []string{v, url.QueryEscape(v), url.PathEscape(v), unescape(v)} {
			if len(f) >= MinLen && f != Mask {
				add = append(add, f)
			}
		}
	}
	if len(add) == 0 {
		return
	}
	mu.Lock()
	defer mu.Unlock()
	for _, v := range add {
		if !slices.Contains(values, v) {
			values = append(values, v)
		}
	}
	slices.SortStableFunc(values, func(a, b string) int { return len(b) - len(a) })
}

func unescape(v string) string {
	if u, err := url.QueryUnescape(v); err == nil {
		return u
	}
	return v
}

// SAS registers an Azure SAS token: the whole token (without a leading '?') and its
// signature.
func SAS(token string) {
	token = strings.TrimPrefix(strings.TrimSpace(token), "?")
	Secret(token)
	for _, part := range strings.Split(token, "&") {
		if k, v, ok := strings.Cut(part, "="); ok && strings.EqualFold(k, "sig") {
			Secret(v)
		}
	}
}

// ConnectionString registers the secret parts of an Azure connection string
// (AccountKey, SharedAccessSignature, SharedAccessKey).
func ConnectionString(cs string) {
	for _, part := range strings.Split(cs, ";") {
		k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
		switch strings.ToLower(k) {
		case "accountkey", "sharedaccesskey":
			Secret(v)
		case "sharedaccesssignature":
			SAS(v)
		}
	}
}

// Named registers value if name (an environment variable or a credentials-file key,
// compared case-insensitively) holds a secret, and reports whether it does.
func Named(name, value string) bool {
	switch strings.ToLower(name) {
	case "aws_secret_access_key", "aws_session_token", "aws_security_token",
		"aws_container_authorization_token",
		"azure_storage_key", "azure_storage_access_key", "azure_client_secret":
		Secret(value)
	case "azure_storage_sas_token":
		SAS(value)
	case "azure_storage_connection_string":
		ConnectionString(value)
	default:
		return false
	}
	return true
}

// envNames are the environment variables holding secrets (docs/environment.md).
var envNames = []string{
	"AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN",
	"AWS_CONTAINER_AUTHORIZATION_TOKEN",
	"AZURE_STORAGE_KEY", "AZURE_STORAGE_ACCESS_KEY", "AZURE_STORAGE_SAS_TOKEN",
	"AZURE_STORAGE_CONNECTION_STRING", "AZURE_CLIENT_SECRET",
}

// FromEnv registers the secrets of the environment getenv reads.
func FromEnv(getenv func(string) string) {
	for _, n := range envNames {
		if v := getenv(n); v != "" {
			Named(n, v)
		}
	}
}

var (
	userinfoRE = regexp.MustCompile(`([A-Za-z][A-Za-z0-9+.\-]*://[^/?#\s:@"'<>]*):[^@/?#\s"'<>]*@`)
	paramRE    = regexp.MustCompile(`(?i)((?:^|[?&;\s"'(,])(?:sig|x-amz-signature|x-amz-credential|x-amz-security-token|client_secret|client_assertion|access_token|refresh_token|password)=)[^&\s"'#;),]*`)
	connRE     = regexp.MustCompile(`(?i)(\b(?:AccountKey|SharedAccessKey|SharedAccessSignature)=)[^;\s"']*`)
	bearerRE   = regexp.MustCompile(`(?i)(\bBearer\s+)[A-Za-z0-9\-._~+/]+=*`)
	sharedKRE  = regexp.MustCompile(`(?i)(\bSharedKey(?:Lite)?\s+[^:\s]+:)[^\s"',]+`)
	sigv4RE    = regexp.MustCompile(`(?i)(\bSignature=)[0-9a-f]{16,}`)
	jsonRE     = regexp.MustCompile(`(?i)("(?:SecretAccessKey|SessionToken|Token|AccessToken|access_token|refresh_token|client_secret|AccountKey)"\s*:\s*")(?:[^"\\]|\\.)*`)
)

// String returns s with every secret masked.
func String(s string) string {
	mu.RLock()
	for _, v := range values {
		if strings.Contains(s, v) {
			s = strings.ReplaceAll(s, v, Mask)
		}
	}
	mu.RUnlock()
	if !strings.ContainsAny(s, "=:") {
		return s // every form below has one
	}
	s = userinfoRE.ReplaceAllString(s, "$1:"+Mask+"@")
	s = paramRE.ReplaceAllString(s, "${1}"+Mask)
	s = connRE.ReplaceAllString(s, "${1}"+Mask)
	s = bearerRE.ReplaceAllString(s, "${1}"+Mask)
	s = sharedKRE.ReplaceAllString(s, "${1}"+Mask)
	s = sigv4RE.ReplaceAllString(s, "${1}"+Mask)
	s = jsonRE.ReplaceAllString(s, "${1}"+Mask)
	return s
}

// maxPending bounds what a Writer holds back waiting for the end of a line.
const maxPending = 64 << 10

// Writer masks secrets in everything written through it. It works a line at a time
// (a line ends at '\n' or '\r'), so a secret split across two writes is still masked;
// an unfinished line waits for its end, for Flush, or for maxPending bytes. It is safe
// for concurrent use; each line reaches the wrapped writer whole.
type Writer struct {
	mu      sync.Mutex
	w       io.Writer
	pending []byte
}

// NewWriter wraps w. Call Flush when done.
func NewWriter(w io.Writer) *Writer { return &Writer{w: w} }

func (w *Writer) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.pending = append(w.pending, p...)
	end := bytes.LastIndexAny(w.pending, "\n\r") + 1
	if end == 0 {
		if len(w.pending) < maxPending {
			return len(p), nil
		}
		end = len(w.pending)
	}
	err := w.emit(end)
	return len(p), err
}

// emit writes the first n pending bytes, masked.
func (w *Writer) emit(n int) error {
	out := String(string(w.pending[:n]))
	w.pending = append(w.pending[:0], w.pending[n:]...)
	_, err := io.WriteString(w.w, out)
	return err
}

// Flush writes what an unfinished line holds.
func (w *Writer) Flush() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.pending) == 0 {
		return nil
	}
	return w.emit(len(w.pending))
}

// Raw returns the writer w wraps, after flushing it, for a byte stream that must reach
// the user unchanged (the contents of a file `cat` prints); any other writer is
// returned as is. Only the bytes of the file go this way, never a message.
func Raw(w io.Writer) io.Writer {
	if rw, ok := w.(*Writer); ok {
		rw.Flush()
		return rw.w
	}
	return w
}

// secretHeaders are HTTP headers whose whole value is a credential.
var secretHeaders = map[string]bool{
	"x-amz-security-token": true, "x-amz-sso_bearer_token": true,
	"x-amz-server-side-encryption-customer-key": true, "x-amz-copy-source-server-side-encryption-customer-key": true,
	"x-ms-encryption-key": true, "x-ms-copy-source-authorization": true,
	"x-identity-header": true, "x-aws-ec2-metadata-token": true,
	"cookie": true, "set-cookie": true,
}

// sigv4Parts keeps the parts of an AWS4-HMAC-SHA256 authorization worth seeing when a
// request is refused (the access key id, date, region and service of the credential
// scope, and the signed headers) and drops the signature.
var sigv4Parts = regexp.MustCompile(`(?i)(\bSignature=)[^,\s]*`)

// Header returns an HTTP header's value fit for a trace: a credential header's value is
// masked whole, an Authorization keeps its scheme (and, for SigV4, its credential scope
// and signed headers) but not its secret, and any other value is masked like String.
func Header(name, value string) string {
	lower := strings.ToLower(name)
	switch {
	case secretHeaders[lower]:
		return Mask
	case lower == "authorization" || lower == "proxy-authorization":
		scheme, rest, _ := strings.Cut(strings.TrimSpace(value), " ")
		if strings.EqualFold(scheme, "AWS4-HMAC-SHA256") {
			return String(scheme + " " + sigv4Parts.ReplaceAllString(rest, "${1}"+Mask))
		}
		if rest == "" {
			return Mask
		}
		if strings.EqualFold(scheme, "SharedKey") || strings.EqualFold(scheme, "SharedKeyLite") {
			account, _, _ := strings.Cut(rest, ":")
			return scheme + " " + String(account) + ":" + Mask
		}
		return scheme + " " + Mask
	}
	return String(value)
}
