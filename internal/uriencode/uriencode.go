// Package uriencode is the percent-encoding that AWS Signature Version 4 and Azure
// Blob Storage both expect of a request's path and query: every byte except the
// unreserved ones (A-Z a-z 0-9 - _ . ~) as %XX in upper-case hex, applied exactly once.
//
// It lives apart from package sigv4 so that the Azure backend can build its URLs without
// importing the AWS signer. sigv4 uses it for its canonical URI and query, and re-exports
// it under its own names (EncodePath, CanonicalQuery, Param).
package uriencode

import (
	"sort"
	"strings"
)

// unreserved reports the bytes left as they are.
func unreserved(c byte) bool {
	return 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.' || c == '~'
}

func encode(s string, keepSlash bool) string {
	const hexUpper = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if unreserved(c) || keepSlash && c == '/' {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hexUpper[c>>4])
		b.WriteByte(hexUpper[c&15])
	}
	return b.String()
}

// Path encodes a decoded path once, S3 style: every byte but the unreserved ones and
// '/', and the path is never normalised ("a//b" and "x/../y" stay as they are, since
// they are distinct keys). The result is both SigV4's canonical URI and the path to send
// on the wire. An empty path is "/".
func Path(path string) string {
	if path == "" {
		return "/"
	}
	return encode(path, true)
}

// Component encodes a query name or value ('/' included).
func Component(s string) string { return encode(s, false) }

// Param is one query parameter, decoded. A parameter without a value (S3's "?uploads")
// has Value "" and is sent as "uploads=", which both clouds accept.
type Param struct{ Name, Value string }

// Query encodes every parameter and sorts them by encoded name, then encoded value:
// SigV4's canonical query string. The same string is sent as the request's query, so
// what is signed is exactly what goes on the wire.
func Query(params []Param) string {
	enc := make([][2]string, len(params))
	for i, p := range params {
		enc[i] = [2]string{Component(p.Name), Component(p.Value)}
	}
	sort.Slice(enc, func(i, j int) bool {
		if enc[i][0] != enc[j][0] {
			return enc[i][0] < enc[j][0]
		}
		return enc[i][1] < enc[j][1]
	})
	parts := make([]string, len(enc))
	for i, e := range enc {
		parts[i] = e[0] + "=" + e[1]
	}
	return strings.Join(parts, "&")
}
