// Package azauth signs Azure Blob Storage requests: Shared Key (the string-to-sign of
// the Blob service), SAS tokens appended verbatim, and the parsing of connection
// strings. Signing is pure: the caller passes the time and the key.
package azauth

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"
)

// ErrKey: an account key that is not valid base64.
var ErrKey = errors.New("the storage account key is not valid base64")

// SharedKey is an account name and its decoded key. String never shows the key.
type SharedKey struct {
	Account string
	key     []byte
}

// NewSharedKey decodes a base64 account key.
func NewSharedKey(account, base64Key string) (SharedKey, error) {
	k, err := base64.StdEncoding.DecodeString(strings.TrimSpace(base64Key))
	if err != nil || len(k) == 0 {
		return SharedKey{}, ErrKey
	}
	return SharedKey{Account: account, key: k}, nil
}

func (k SharedKey) String() string { return "SharedKey{" + k.Account + ", key redacted}" }

// StringToSign builds the Blob service's Shared Key string to sign for req, which must
// carry x-ms-date and x-ms-version already.
func StringToSign(req *http.Request, account string) string {
	h := req.Header
	length := ""
	if req.ContentLength > 0 {
		length = fmt.Sprint(req.ContentLength)
	}
	slots := []string{
		req.Method, h.Get("Content-Encoding"), h.Get("Content-Language"), length, h.Get("Content-MD5"),
		h.Get("Content-Type"), "", h.Get("If-Modified-Since"), h.Get("If-Match"), h.Get("If-None-Match"),
		h.Get("If-Unmodified-Since"), h.Get("Range"),
	}
	return strings.Join(slots, "\n") + "\n" + canonicalHeaders(h) + canonicalResource(req.URL, account)
}

func canonicalHeaders(h http.Header) string {
	var names []string
	for k := range h {
		if lk := strings.ToLower(k); strings.HasPrefix(lk, "x-ms-") {
			names = append(names, lk)
		}
	}
	sort.Strings(names)
	var b strings.Builder
	for _, n := range names {
		b.WriteString(n + ":" + strings.Join(strings.Fields(strings.Join(h.Values(n), ",")), " ") + "\n")
	}
	return b.String()
}

func canonicalResource(u *url.URL, account string) string {
	path := u.EscapedPath()
	if path == "" {
		path = "/"
	}
	res := "/" + account + path
	q := u.Query()
	names := make([]string, 0, len(q))
	for k := range q {
		names = append(names, strings.ToLower(k))
	}
	sort.Strings(names)
	for _, n := range names {
		vals := q[n]
		sort.Strings(vals)
		res += "\n" + n + ":" + strings.Join(vals, ",")
	}
	return res
}

// Sign adds x-ms-date (from now) and the Authorization header to req.
func (k SharedKey) Sign(req *http.Request, now time.Time) {
	req.Header.Set("X-Ms-Date", now.UTC().Format(http.TimeFormat))
	m := hmac.New(sha256.New, k.key)
	m.Write([]byte(StringToSign(req, k.Account)))
	req.Header.Set("Authorization", "SharedKey "+k.Account+":"+base64.StdEncoding.EncodeToString(m.Sum(nil)))
}

// SAS is a shared access signature token, kept exactly as issued.
type SAS string

// NewSAS accepts a token with or without its leading '?'.
func NewSAS(token string) SAS { return SAS(strings.TrimPrefix(strings.TrimSpace(token), "?")) }

func (s SAS) String() string { return "SAS{redacted}" }

// Apply appends the token to req's query verbatim (re-encoding would turn a '+' in the
// signature into a space) and sets x-ms-date.
func (s SAS) Apply(req *http.Request, now time.Time) {
	req.Header.Set("X-Ms-Date", now.UTC().Format(http.TimeFormat))
	if req.URL.RawQuery == "" {
		req.URL.RawQuery = string(s)
	} else {
		req.URL.RawQuery += "&" + string(s)
	}
}

// ConnectionString is a parsed AZURE_STORAGE_CONNECTION_STRING.
type ConnectionString struct {
	Account, Key, SAS, BlobEndpoint string
}

func (c ConnectionString) String() string {
	return "ConnectionString{" + c.Account + " " + c.BlobEndpoint + ", secrets redacted}"
}

// DevStoreKey is Azurite's well-known development account key (public by design).
const DevStoreKey = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="

// ParseConnectionString reads "Key=Value;…" pairs (split on the first '=', keys case-
// insensitive) and computes the blob endpoint. Errors never repeat values.
func ParseConnectionString(s string) (ConnectionString, error) {
	kv := map[string]string{}
	for _, part := range strings.Split(s, ";") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		k, v, ok := strings.Cut(part, "=")
		if !ok {
			return ConnectionString{}, errors.New("the connection string has a segment without '='; it is Key=Value pairs separated by ';'")
		}
		kv[strings.ToLower(strings.TrimSpace(k))] = strings.TrimSpace(v)
	}
	if strings.EqualFold(kv["usedevelopmentstorage"], "true") {
		return ConnectionString{Account: "devstoreaccount1", Key: DevStoreKey, BlobEndpoint: "http://127.0.0.1:10000/devstoreaccount1"}, nil
	}
	c := ConnectionString{Account: kv["accountname"], Key: kv["accountkey"], SAS: kv["sharedaccesssignature"], BlobEndpoint: kv["blobendpoint"]}
	if c.BlobEndpoint == "" {
		if c.Account == "" {
			return ConnectionString{}, errors.New("the connection string has neither AccountName nor BlobEndpoint; copy it again from the storage account's Access keys")
		}
		proto := kv["defaultendpointsprotocol"]
		if proto == "" {
			proto = "https"
		}
		suffix := kv["endpointsuffix"]
		if suffix == "" {
			suffix = "core.windows.net"
		}
		c.BlobEndpoint = proto + "://" + c.Account + ".blob." + suffix
	}
	if c.Key == "" && c.SAS == "" {
		return ConnectionString{}, errors.New("the connection string has neither AccountKey nor SharedAccessSignature; copy it again from the storage account's Access keys")
	}
	return c, nil
}
