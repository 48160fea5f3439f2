package sigv4

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// unsignedHeaders are never signed: Go's transport or proxies set or rewrite them.
var unsignedHeaders = map[string]bool{
	"authorization": true, "user-agent": true, "accept-encoding": true,
	"transfer-encoding": true, "connection": true, "expect": true, "x-amzn-trace-id": true,
}

// hostOf is the Host header as sent, with default ports dropped as AWS SDKs do.
func hostOf(req *http.Request) string {
	host := req.Host
	if host == "" {
		host = req.URL.Host
	}
	if h, port, ok := strings.Cut(host, ":"); ok && !strings.Contains(h, "]") {
		if port == "80" && req.URL.Scheme == "http" || port == "443" && req.URL.Scheme == "https" {
			return h
		}
	}
	return host
}

// queryParams decodes a raw query into parameters, keeping valueless ones as "name=".
func queryParams(raw string) []Param {
	var out []Param
	for _, kv := range strings.Split(raw, "&") {
		if kv == "" {
			continue
		}
		k, v, _ := strings.Cut(kv, "=")
		dk, err1 := url.QueryUnescape(strings.ReplaceAll(k, "+", "%2B"))
		dv, err2 := url.QueryUnescape(strings.ReplaceAll(v, "+", "%2B"))
		if err1 != nil {
			dk = k
		}
		if err2 != nil {
			dv = v
		}
		out = append(out, Param{Name: dk, Value: dv})
	}
	return out
}

// canonicalURI is the request's path encoded once (from RawPath when set, which is
// already in our encoding, otherwise from the decoded Path).
func canonicalURI(u *url.URL) string {
	if u.RawPath != "" {
		return u.RawPath
	}
	return EncodePath(u.Path)
}

// Sign signs req in place with header authentication: it sets X-Amz-Date,
// X-Amz-Content-Sha256 (payloadHash, for S3), X-Amz-Security-Token when the credentials
// carry one, and Authorization. Every header already on req is signed except those
// transports rewrite.
func Sign(req *http.Request, c Credentials, region, service string, now time.Time, payloadHash string) {
	now = now.UTC()
	req.Header.Set("X-Amz-Date", now.Format(amzDate))
	if service == "s3" {
		req.Header.Set("X-Amz-Content-Sha256", payloadHash)
	}
	if c.SessionToken != "" {
		req.Header.Set("X-Amz-Security-Token", c.SessionToken)
	}
	headers, signed := CanonicalHeaders(signable(req.Header), hostOf(req))
	creq := CanonicalRequest(req.Method, canonicalURI(req.URL), CanonicalQuery(queryParams(req.URL.RawQuery)), headers, signed, payloadHash)
	scope := Scope(now, region, service)
	sig := Signature(SigningKey(c.SecretAccessKey, now, region, service), StringToSign(now, scope, creq))
	req.Header.Set("Authorization", Algorithm+" Credential="+c.AccessKeyID+"/"+scope+", SignedHeaders="+signed+", Signature="+sig)
}

func signable(h http.Header) http.Header {
	out := http.Header{}
	for k, v := range h {
		if !unsignedHeaders[strings.ToLower(k)] {
			out[k] = v
		}
	}
	return out
}

// Presign returns req's URL with query authentication valid for expires, signing host
// and req's other headers (which the user of the URL must then send). For S3 the
// payloadHash is UnsignedPayload. req is not modified.
func Presign(req *http.Request, c Credentials, region, service string, now time.Time, expires time.Duration, payloadHash string) string {
	now = now.UTC()
	scope := Scope(now, region, service)
	params := queryParams(req.URL.RawQuery)
	params = append(params,
		Param{Name: "X-Amz-Algorithm", Value: Algorithm},
		Param{Name: "X-Amz-Credential", Value: c.AccessKeyID + "/" + scope},
		Param{Name: "X-Amz-Date", Value: now.Format(amzDate)},
		Param{Name: "X-Amz-Expires", Value: strconv.Itoa(int(expires / time.Second))},
	)
	if c.SessionToken != "" {
		params = append(params, Param{Name: "X-Amz-Security-Token", Value: c.SessionToken})
	}
	headers, signed := CanonicalHeaders(signable(req.Header), hostOf(req))
	params = append(params, Param{Name: "X-Amz-SignedHeaders", Value: signed})
	query := CanonicalQuery(params)
	creq := CanonicalRequest(req.Method, canonicalURI(req.URL), query, headers, signed, payloadHash)
	sig := Signature(SigningKey(c.SecretAccessKey, now, region, service), StringToSign(now, scope, creq))
	u := *req.URL
	u.RawQuery = query + "&X-Amz-Signature=" + sig
	return u.String()
}
