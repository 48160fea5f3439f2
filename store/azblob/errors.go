package azblob

import (
	"cmp"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"strings"

	"git-remote-object-store/store"
	"git-remote-object-store/store/internal/httpstore"
)

// errorBody is Azure's <Error> document.
type errorBody struct {
	Code    string `xml:"Code"`
	Message string `xml:"Message"`
}

// classify is the client's Classify: Azure's x-ms-error-code, <Error> document and
// status into e's code, sentinel, retryability and hint.
func (s *Store) classify(r *httpstore.Request, resp *http.Response, e *store.Error) error {
	e.Code, e.RequestID = resp.Header.Get("X-Ms-Error-Code"), resp.Header.Get("X-Ms-Request-Id")
	var body errorBody
	if data, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10)); xml.Unmarshal(data, &body) == nil {
		e.Code = cmp.Or(e.Code, body.Code)
		msg, _, _ := strings.Cut(body.Message, "\n") // drop RequestId/Time lines
		e.Message = strings.TrimSpace(msg)
	}
	switch {
	// A missing container or account fails every request alike: the message is about
	// it, not the key.
	case e.Code == "ContainerNotFound":
		e.Remote = fmt.Sprintf("container '%s' does not exist in account '%s'", s.cfg.Container, s.account())
		e.Hint = "create it, or fix the URL"
	case resp.StatusCode == 404 && e.Code == "ResourceNotFound":
		// What Azurite (and a private endpoint) answer for an account they do not have;
		// a missing blob is BlobNotFound, a missing container ContainerNotFound.
		server := *s.base
		server.Path, server.RawPath = "", ""
		e.Remote = fmt.Sprintf("no storage account '%s' at %s", s.account(), httpstore.EndpointScope(server.String()))
		e.Hint = "check the account name in the URL"
	case resp.StatusCode == 404:
		e.Err = store.ErrNotFound
	case resp.StatusCode == 412, e.Code == "BlobAlreadyExists":
		e.Err = store.ErrPrecondition
	case e.Code == "AuthenticationFailed", e.Code == "AuthorizationFailure" && strings.Contains(e.Message, "authenticate"):
		// Azurite says AuthorizationFailure where Azure says AuthenticationFailed.
		e.Hint = cmp.Or(httpstore.ClockSkew(s.cfg.Now(), resp.Header), "check the account key or SAS token")
	case e.Code == "AuthorizationPermissionMismatch", e.Code == "AuthorizationFailure":
		e.Hint = "the identity lacks a data role on the container (e.g. Storage Blob Data Contributor) or the SAS lacks a permission"
	case e.Code == "KeyBasedAuthenticationNotPermitted":
		e.Hint = "this account disables Shared Key; use a SAS token"
	case httpstore.RetryableStatus(resp.StatusCode), e.Code == "ServerBusy", e.Code == "OperationTimedOut", e.Code == "InternalError":
		e.Retryable = true
	}
	return nil
}

// account is the storage account the endpoint names: the first label of
// <account>.blob.<suffix>, or the path of a path-style endpoint (Azurite,
// http://127.0.0.1:10000/devstoreaccount1).
func (s *Store) account() string {
	if p := strings.Trim(s.base.Path, "/"); p != "" {
		return p
	}
	name, _, _ := strings.Cut(s.base.Hostname(), ".")
	return name
}
