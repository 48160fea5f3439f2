// Package azblob is the Azure Blob Storage backend: a store.Store over net/http, signed
// by package azauth (Shared Key or SAS). Small objects go up with Put Blob; large or
// unknown-size ones as blocks (equal-length ids, bounded buffers, retried one by one)
// committed by Put Block List, which carries the write's condition so the blob appears
// whole or not at all. Path-style endpoints (Azurite, IP addresses) and host-style
// accounts are both configuration.
package azblob

import (
	"bytes"
	"cmp"
	"context"
	"crypto/md5"
	"encoding/base64"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"git-remote-object-store/azauth"
	"git-remote-object-store/sigv4"
	"git-remote-object-store/store"
)

// Version is the x-ms-version this client speaks (Put Blob up to 5000 MiB needs ≥ 2019-12-12).
const Version = "2021-08-06"

// Authorizer signs one request: Shared Key, SAS, or an Entra ID bearer token.
type Authorizer interface {
	Authorize(ctx context.Context, req *http.Request, now time.Time) error
}

// SharedKey adapts azauth.SharedKey.
type SharedKey struct{ azauth.SharedKey }

// Authorize implements Authorizer.
func (k SharedKey) Authorize(_ context.Context, req *http.Request, now time.Time) error {
	k.Sign(req, now)
	return nil
}

// SAS adapts azauth.SAS.
type SAS struct{ azauth.SAS }

// Authorize implements Authorizer.
func (s SAS) Authorize(_ context.Context, req *http.Request, now time.Time) error {
	s.Apply(req, now)
	return nil
}

// Entra adapts an azauth token source (client secret, workload or managed identity).
type Entra struct{ Source azauth.TokenSource }

// Authorize implements Authorizer.
func (e Entra) Authorize(ctx context.Context, req *http.Request, now time.Time) error {
	return azauth.Bearer{Source: e.Source}.Apply(ctx, req, now)
}

// Config describes one container.
type Config struct {
	Endpoint     string // account URL: https://acct.blob.core.windows.net or http://127.0.0.1:10000/devstoreaccount1
	Container    string
	Auth         Authorizer
	BlockSize    int64 // 0 means 16 MiB
	Concurrency  int   // blocks in flight; 0 means 2
	ListPageSize int   // 0 means 5000
	HTTPClient   *http.Client
	Policy       *store.Policy
	Now          func() time.Time
}

// Store is one container.
type Store struct {
	cfg    Config
	base   *url.URL
	client *http.Client
	policy store.Policy
}

var (
	_ store.Store      = (*Store)(nil)
	_ store.MetaPutter = (*Store)(nil)
)

// New returns a Store for cfg.
func New(cfg Config) (*Store, error) {
	u, err := url.Parse(strings.TrimSuffix(cfg.Endpoint, "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("azblob: endpoint %q is not http(s)://host[/account]", cfg.Endpoint)
	}
	if cfg.Container == "" || cfg.Auth == nil {
		return nil, errors.New("azblob: container and credentials are required")
	}
	if cfg.BlockSize <= 0 {
		cfg.BlockSize = 16 << 20
	}
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = 2
	}
	if cfg.ListPageSize <= 0 || cfg.ListPageSize > 5000 {
		cfg.ListPageSize = 5000
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	s := &Store{cfg: cfg, base: u, client: cfg.HTTPClient, policy: store.DefaultPolicy}
	if s.client == nil {
		s.client = store.HTTPClient()
	}
	if cfg.Policy != nil {
		s.policy = *cfg.Policy
	}
	return s, nil
}

type request struct {
	op, method, key string
	query           []sigv4.Param // reused for its encoder: Azure wants the same %XX form
	header          http.Header
	body            []byte
	bodyMD5         bool
	container       bool // container-level call: no blob name in the path
}

func (s *Store) send(ctx context.Context, r *request) (*http.Response, error) {
	u := *s.base
	path := u.Path + "/" + s.cfg.Container
	if !r.container {
		path += "/" + r.key
	}
	u.Path, u.RawPath = path, sigv4.EncodePath(path)
	u.RawQuery = sigv4.CanonicalQuery(r.query)
	var body io.Reader
	if r.body != nil {
		body = bytes.NewReader(r.body)
	}
	wctx, cancel := store.WatchedContext(ctx)
	req, err := http.NewRequestWithContext(wctx, r.method, u.String(), body)
	if err != nil {
		cancel()
		return nil, &store.Error{Op: r.op, Key: r.key, Err: err}
	}
	req.URL = &u
	req.ContentLength = int64(len(r.body))
	for k, v := range r.header {
		req.Header[k] = v
	}
	if r.bodyMD5 && r.body != nil {
		m := md5.Sum(r.body)
		req.Header.Set("Content-MD5", base64.StdEncoding.EncodeToString(m[:]))
	}
	req.Header.Set("X-Ms-Version", Version)
	if err := s.cfg.Auth.Authorize(ctx, req, s.cfg.Now()); err != nil {
		return nil, &store.Error{Op: r.op, Key: r.key, Err: err, Hint: "no usable Azure credentials"}
	}
	resp, err := s.client.Do(req)
	if err != nil {
		cancel()
		return nil, &store.Error{Op: r.op, Key: cmp.Or(r.key, s.cfg.Container), Err: err}
	}
	store.WatchBody(resp, cancel)
	if resp.StatusCode >= 300 {
		defer store.Drain(resp.Body)
		return nil, s.classify(r, resp)
	}
	return resp, nil
}

func (s *Store) do(ctx context.Context, r *request, onResp func(*http.Response) error) (attempts int, err error) {
	return s.policy.DoHTTP(ctx, func() (*http.Response, error) { return s.send(ctx, r) }, onResp)
}

type errorBody struct {
	Code    string `xml:"Code"`
	Message string `xml:"Message"`
}

func (s *Store) classify(r *request, resp *http.Response) error {
	e := &store.Error{Op: r.op, Key: r.key, Status: resp.StatusCode, Code: resp.Header.Get("X-Ms-Error-Code"), RequestID: resp.Header.Get("X-Ms-Request-Id")}
	if r.container {
		e.Key = s.cfg.Container
	}
	var body errorBody
	if data, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10)); xml.Unmarshal(data, &body) == nil {
		e.Code = cmp.Or(e.Code, body.Code)
		msg, _, _ := strings.Cut(body.Message, "\n") // drop RequestId/Time lines
		e.Message = strings.TrimSpace(msg)
	}
	switch {
	case e.Code == "ContainerNotFound":
		e.Hint = fmt.Sprintf("container %q does not exist (create it, or check the URL)", s.cfg.Container)
	case resp.StatusCode == 404:
		e.Err = store.ErrNotFound
	case resp.StatusCode == 412, e.Code == "BlobAlreadyExists":
		e.Err = store.ErrPrecondition
	case e.Code == "AuthenticationFailed", e.Code == "AuthorizationFailure" && strings.Contains(e.Message, "authenticate"):
		// Azurite says AuthorizationFailure where Azure says AuthenticationFailed.
		e.Hint = cmp.Or(store.ClockSkew(s.cfg.Now(), resp.Header), "check the account key or SAS token")
	case e.Code == "AuthorizationPermissionMismatch", e.Code == "AuthorizationFailure":
		e.Hint = "the identity lacks a data role on the container (e.g. Storage Blob Data Contributor) or the SAS lacks a permission"
	case e.Code == "KeyBasedAuthenticationNotPermitted":
		e.Hint = "this account disables Shared Key; use a SAS token"
	case store.RetryableStatus(resp.StatusCode), e.Code == "ServerBusy", e.Code == "OperationTimedOut", e.Code == "InternalError":
		e.Retryable = true
	}
	if e.Code == "" && e.Message == "" && e.Err == nil {
		e.Message = resp.Status
	}
	return e
}
