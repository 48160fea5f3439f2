package httpstore

import (
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"git-remote-object-store/store"
)

// Reading the answers: S3 and Azure put the same facts in the same standard headers.

// rangeHeader renders r as an HTTP byte range ("bytes=a-b" or "bytes=a-"); empty is true
// for a zero-length range, which needs no request at all.
func rangeHeader(r *store.Range) (value string, empty bool) {
	if r.Length == 0 {
		return "", true
	}
	if r.Length < 0 {
		return fmt.Sprintf("bytes=%d-", r.Offset), false
	}
	return fmt.Sprintf("bytes=%d-%d", r.Offset, r.Offset+r.Length-1), false
}

// infoFromResponse reads an object's Info from a GET answer: the whole object's size
// (from Content-Range for a ranged GET), the unquoted ETag, Last-Modified.
func infoFromResponse(key string, resp *http.Response) store.Info {
	size := resp.ContentLength
	if cr := resp.Header.Get("Content-Range"); cr != "" {
		if _, total, ok := strings.Cut(cr, "/"); ok {
			if n, err := strconv.ParseInt(total, 10, 64); err == nil {
				size = n
			}
		}
	}
	return InfoFromHeader(key, resp.Header, size)
}

// InfoFromHeader is the Info of key of the given size, with ETag and Last-Modified from h.
func InfoFromHeader(key string, h http.Header, size int64) store.Info {
	in := store.Info{Key: key, Size: size, ETag: Unquote(h.Get("ETag"))}
	if t, err := http.ParseTime(h.Get("Last-Modified")); err == nil {
		in.LastModified = t.UTC()
	}
	return in
}

// Unquote strips the quotes of an entity tag (headers quote it; Azure listings do not),
// so that Put, Head, Get and List report the same ETag.
func Unquote(etag string) string { return strings.Trim(etag, `"`) }

// ClockSkew describes how far now is from a server's Date header, when that is more
// than a few minutes; "" otherwise. A signature made with a wrong clock is refused, and
// this is the hint that says why.
func ClockSkew(now time.Time, h http.Header) string {
	t, err := http.ParseTime(h.Get("Date"))
	if err != nil {
		return ""
	}
	if skew := now.Sub(t); skew > 5*time.Minute || skew < -5*time.Minute {
		return fmt.Sprintf("this machine's clock is %s off the server's; fix the clock (NTP)", skew.Round(time.Second))
	}
	return ""
}

// RetryableStatus reports the HTTP statuses both clouds use for "try again".
func RetryableStatus(status int) bool {
	switch status {
	case 408, 429, 500, 502, 503, 504:
		return true
	}
	return false
}

// DecodeXML decodes an XML answer of at most limit bytes into v: a bound, so that a
// misbehaving server cannot make a listing hold unbounded memory.
func DecodeXML(r io.Reader, limit int64, v any) error {
	data, err := io.ReadAll(io.LimitReader(r, limit))
	if err != nil {
		return err
	}
	return xml.Unmarshal(data, v)
}
