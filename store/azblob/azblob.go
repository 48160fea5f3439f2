package azblob

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"git-remote-object-store/store"
	"git-remote-object-store/store/internal/httpstore"
)

// Version is the x-ms-version this client speaks (Put Blob up to 5000 MiB needs ≥ 2019-12-12).
const Version = "2021-08-06"

// xmlLimit bounds an XML answer (a listing page of 5,000 blobs, a block list of 50,000).
const xmlLimit = 64 << 20

// Config describes one container.
type Config struct {
	Endpoint     string // account URL: https://acct.blob.core.windows.net or http://127.0.0.1:10000/devstoreaccount1
	Container    string
	Auth         Authorizer
	BlockSize    int64 // 0 means 16 MiB
	Concurrency  int   // blocks in flight; 0 means 2
	ListPageSize int   // 0 means 5000
	HTTPClient   *http.Client
	// CABundle is a PEM file of the certificate authorities to trust instead of the
	// system's (AWS_CA_BUNDLE, http.sslCAInfo…); used when HTTPClient and RootCAs are nil.
	CABundle string
	// RootCAs, when set, are the authorities to trust instead of the system's: a bundle
	// already loaded (store.LoadCABundle), shared with the credential requests.
	RootCAs *x509.CertPool
	Policy  *store.Policy
	Now     func() time.Time
}

// Store is one container. It implements store.Store, store.MetaPutter, store.Janitor
// and store.Resumer; Head, Get, Delete, Put and PutMeta are the shared HTTP skeleton's
// (store/internal/httpstore), over this package's URLs, signing and writes.
type Store struct {
	objects // Head, Get, Delete, Put, PutMeta, as httpstore does them for both clouds
	cfg     Config
	base    *url.URL
	http    *httpstore.Client
}

var (
	_ store.Store      = (*Store)(nil)
	_ store.MetaPutter = (*Store)(nil)
)

// New returns a Store for cfg.
func New(cfg Config) (*Store, error) {
	u, ok := httpstore.ParseEndpoint(cfg.Endpoint)
	if !ok {
		return nil, fmt.Errorf("endpoint %q is not http(s)://host[/account]", cfg.Endpoint)
	}
	if cfg.Container == "" || cfg.Auth == nil {
		return nil, errors.New("container and credentials are required")
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
	hc, err := httpstore.ClientFor(cfg.HTTPClient, cfg.RootCAs, cfg.CABundle)
	if err != nil {
		return nil, fmt.Errorf("%w", err)
	}
	cfg.HTTPClient = hc
	s := &Store{cfg: cfg, base: u}
	s.http = httpstore.New(httpstore.Backend{
		Name: cfg.Container, RangeHeader: "X-Ms-Range", XMLLimit: xmlLimit,
		Target: s.target, Sign: s.sign, Classify: s.classify,
	}, cfg.HTTPClient, cfg.Policy)
	s.objects = s.http.Objects(httpstore.Writes{PartSize: cfg.BlockSize, One: s.putBlob, Parts: s.putBlocks})
	return s, nil
}

// target is where r goes: the account URL (whose path names the account on a
// path-style endpoint), the container, and the blob.
func (s *Store) target(r *httpstore.Request) *url.URL {
	u := *s.base
	u.Path += "/" + s.cfg.Container
	if !r.Bucket {
		u.Path += "/" + r.Key
	}
	return &u
}

// sign sets the API version and authorises req with the configured credentials.
func (s *Store) sign(ctx context.Context, req *http.Request, r *httpstore.Request) error {
	req.Header.Set("X-Ms-Version", Version)
	if err := s.cfg.Auth.Authorize(ctx, req, s.cfg.Now()); err != nil {
		return &store.Error{Op: r.Op, Key: r.Key, Err: err, Hint: "no usable Azure credentials"}
	}
	return nil
}
