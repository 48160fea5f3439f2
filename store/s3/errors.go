package s3

import (
	"cmp"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"git-remote-object-store/store"
	"git-remote-object-store/store/internal/httpstore"
)

// errorBody is S3's <Error> document.
type errorBody struct {
	Code       string `xml:"Code"`
	Message    string `xml:"Message"`
	RequestID  string `xml:"RequestId"`
	ServerTime string `xml:"ServerTime"`
	Region     string `xml:"Region"`
}

// parseError reads an <Error> document (bounded); ok is false when there is none.
func parseError(r io.Reader) (errorBody, bool) {
	var e errorBody
	data, _ := io.ReadAll(io.LimitReader(r, 64<<10))
	if err := xml.Unmarshal(data, &e); err != nil || e.Code == "" {
		return errorBody{}, false
	}
	return e, true
}

// permission names the IAM action an operation needs, for 403 hints.
var permission = map[string]string{
	"get": "s3:GetObject", "head": "s3:GetObject", "put": "s3:PutObject", "delete": "s3:DeleteObject",
	"list": "s3:ListBucket", "create multipart upload": "s3:PutObject", "upload part": "s3:PutObject",
	"complete multipart upload": "s3:PutObject", "abort multipart upload": "s3:AbortMultipartUpload",
	"create bucket": "s3:CreateBucket", "list multipart uploads": "s3:ListBucketMultipartUploads",
	"list parts": "s3:ListMultipartUploadParts",
}

// classify is the client's Classify: S3's <Error> document and status into e's code,
// sentinel, retryability and hint.
func (s *Store) classify(r *httpstore.Request, resp *http.Response, e *store.Error) error {
	e.RequestID = resp.Header.Get("X-Amz-Request-Id")
	bodyRegion := ""
	if body, ok := parseError(resp.Body); ok {
		bodyRegion = body.Region
		e.Code, e.Message, e.RequestID = body.Code, strings.TrimSpace(body.Message), cmp.Or(body.RequestID, e.RequestID)
		if body.Code == "RequestTimeTooSkewed" {
			if st, err := time.Parse(time.RFC3339, body.ServerTime); err == nil {
				e.Hint = fmt.Sprintf("this machine's clock is %s off the server's; fix the clock (NTP)", s.cfg.Now().Sub(st).Round(time.Second))
			}
		}
	}
	switch {
	case resp.StatusCode == 404 && e.Code == "NoSuchBucket":
		// Every request would fail alike: the message is about the bucket, not the key.
		e.Remote = fmt.Sprintf("bucket '%s' does not exist at %s", s.cfg.Bucket, s.endpoint())
		e.Hint = "create it, or fix the URL"
	case resp.StatusCode == 404 && (e.Code == "XAdminUserNotFound" || e.Code == "InvalidAccessKeyId"):
		e.Hint = "the access key is unknown to this server"
	case resp.StatusCode == 404:
		e.Err = store.ErrNotFound
	case resp.StatusCode == 412 || e.Code == "PreconditionFailed" || e.Code == "ConditionalRequestConflict":
		e.Err = store.ErrPrecondition
	case resp.StatusCode == 409 && r.Op == "complete multipart upload":
		e.Err = store.ErrPrecondition // a concurrent conditional write won
	case resp.StatusCode == 403:
		switch e.Code {
		case "SignatureDoesNotMatch":
			e.Hint = "the secret key does not match the access key (or the region is wrong)"
		case "InvalidAccessKeyId":
			e.Hint = "the access key is unknown; check AWS_ACCESS_KEY_ID / the profile"
		case "ExpiredToken", "InvalidToken":
			e.Hint = "the session token expired; refresh the credentials"
		case "RequestTimeTooSkewed":
		default:
			if p := permission[r.Op]; p != "" {
				e.Hint = "the credentials lack " + p + " on bucket " + s.cfg.Bucket
			}
		}
	case resp.StatusCode == 301 || resp.StatusCode == 307 || e.Code == "AuthorizationHeaderMalformed" || e.Code == "PermanentRedirect":
		region := cmp.Or(resp.Header.Get("X-Amz-Bucket-Region"), bodyRegion)
		e.Hint = fmt.Sprintf("the bucket is in another region%s; add region=%s to the URL", regionNote(region), cmp.Or(region, "<region>"))
		if region != "" {
			return &wrongRegion{err: e, region: region}
		}
	case resp.StatusCode == 400 && e.Code == "RequestTimeout", httpstore.RetryableStatus(resp.StatusCode), e.Code == "SlowDown", e.Code == "InternalError":
		e.Retryable = true
	}
	return nil
}

func regionNote(r string) string {
	if r == "" {
		return ""
	}
	return " (" + r + ")"
}

// endpoint is the server the store talks to, as an error names it: scheme and host,
// never a credential.
func (s *Store) endpoint() string {
	s.mu.Lock()
	u := *s.base
	s.mu.Unlock()
	return httpstore.EndpointScope(u.String())
}
