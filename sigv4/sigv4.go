// Package sigv4 is AWS Signature Version 4 as S3 needs it: one small pure function per
// step (canonical URI, query, headers, request, string to sign, signing key, signature),
// header signing and presigned URLs. Nothing here reads a clock or the environment: the
// caller passes the time and the credentials.
//
// S3 differs from other AWS services in one rule: the path is URI-encoded once and never
// normalised ("a//b" and "x/../y" are distinct keys, signed verbatim).
package sigv4

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"sort"
	"strings"
	"time"

	"git-remote-object-store/internal/uriencode"
)

const (
	Algorithm = "AWS4-HMAC-SHA256"
	// UnsignedPayload is the payload hash of a request whose body is not signed.
	UnsignedPayload = "UNSIGNED-PAYLOAD"
	// EmptySHA256 is the payload hash of an empty body.
	EmptySHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
	amzDate     = "20060102T150405Z"
)

// Credentials sign requests. SessionToken is set for temporary credentials.
type Credentials struct {
	AccessKeyID     string
	SecretAccessKey string
	SessionToken    string
}

// String never shows the secret.
func (c Credentials) String() string { return "Credentials{" + c.AccessKeyID + ", secret redacted}" }

// The percent-encoding of paths and queries is package uriencode's, which the Azure
// backend shares without importing this signer; these names keep it where a SigV4 reader
// looks for each step.

// EncodePath encodes a decoded path once, S3 style: every byte but the unreserved ones
// and '/'. The result is both the canonical URI and the path to send on the wire.
func EncodePath(path string) string { return uriencode.Path(path) }

// EncodeQueryComponent encodes a query name or value ('/' included).
func EncodeQueryComponent(s string) string { return uriencode.Component(s) }

// Param is one query parameter, decoded.
type Param = uriencode.Param

// CanonicalQuery encodes every parameter and sorts by encoded name, then encoded value.
func CanonicalQuery(params []Param) string { return uriencode.Query(params) }

// CanonicalHeaders returns the canonical header block (each "name:value\n") and the
// signed-headers list, for the given headers plus host. Values are trimmed and inner
// whitespace runs collapsed; repeated headers are joined with ',' in order.
func CanonicalHeaders(h http.Header, host string) (canonical, signed string) {
	vals := map[string][]string{"host": {host}}
	for k, vs := range h {
		lk := strings.ToLower(k)
		if lk == "host" {
			continue
		}
		vals[lk] = append(vals[lk], vs...)
	}
	names := make([]string, 0, len(vals))
	for k := range vals {
		names = append(names, k)
	}
	sort.Strings(names)
	var b strings.Builder
	for _, n := range names {
		clean := make([]string, len(vals[n]))
		for i, v := range vals[n] {
			clean[i] = strings.Join(strings.Fields(v), " ")
		}
		b.WriteString(n + ":" + strings.Join(clean, ",") + "\n")
	}
	return b.String(), strings.Join(names, ";")
}

// CanonicalRequest joins the parts.
func CanonicalRequest(method, uri, query, headers, signed, payloadHash string) string {
	return strings.Join([]string{method, uri, query, headers, signed, payloadHash}, "\n")
}

// Scope is the credential scope of a signature.
func Scope(t time.Time, region, service string) string {
	return t.UTC().Format("20060102") + "/" + region + "/" + service + "/aws4_request"
}

// StringToSign is what the signing key signs.
func StringToSign(t time.Time, scope, canonicalRequest string) string {
	sum := sha256.Sum256([]byte(canonicalRequest))
	return Algorithm + "\n" + t.UTC().Format(amzDate) + "\n" + scope + "\n" + hex.EncodeToString(sum[:])
}

func hmacSHA256(key []byte, data string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(data))
	return m.Sum(nil)
}

// SigningKey derives the key for one day, region and service.
func SigningKey(secret string, t time.Time, region, service string) []byte {
	k := hmacSHA256([]byte("AWS4"+secret), t.UTC().Format("20060102"))
	k = hmacSHA256(k, region)
	k = hmacSHA256(k, service)
	return hmacSHA256(k, "aws4_request")
}

// Signature signs a string to sign.
func Signature(key []byte, stringToSign string) string {
	return hex.EncodeToString(hmacSHA256(key, stringToSign))
}
