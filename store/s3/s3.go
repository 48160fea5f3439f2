package s3

import (
	"context"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"sync"
	"time"

	"git-remote-object-store/sigv4"
	"git-remote-object-store/store"
	"git-remote-object-store/store/internal/httpstore"
)

// MinPartSize is S3's smallest non-final part.
const MinPartSize = 5 << 20

// xmlLimit bounds an XML answer (a listing page of 1,000 keys is about a megabyte).
const xmlLimit = 16 << 20

// Config describes one bucket.
type Config struct {
	Endpoint     string // scheme://host[:port], e.g. https://s3.us-west-2.amazonaws.com
	Bucket       string
	Region       string // signing region; "" means us-east-1
	PathStyle    bool   // https://host/bucket/key instead of https://bucket.host/key
	Credentials  CredentialsProvider
	PartSize     int64 // multipart part size; 0 means 16 MiB, at least MinPartSize
	Concurrency  int   // parts in flight (and buffers held); 0 means 2
	ListPageSize int   // max-keys per listing page; 0 means 1000
	HTTPClient   *http.Client
	// CABundle is a PEM file of the certificate authorities to trust instead of the
	// system's (AWS_CA_BUNDLE, http.sslCAInfo…); used when HTTPClient and RootCAs are nil.
	CABundle string
	// RootCAs, when set, are the authorities to trust instead of the system's: a bundle
	// already loaded (store.LoadCABundle), shared with the credential requests.
	RootCAs *x509.CertPool
	Policy  *store.Policy
	// Now is the signing clock; nil means time.Now (tests pin it; skew correction shifts it).
	Now func() time.Time
}

// Store is one bucket. It implements store.Store, store.MetaPutter, store.Janitor and
// store.Resumer; Head, Get, Delete, Put and PutMeta are the shared HTTP skeleton's
// (store/internal/httpstore), over this package's URLs, signing and writes.
type Store struct {
	objects            // Head, Get, Delete, Put, PutMeta, as httpstore does them for both clouds
	mu      sync.Mutex // guards cfg.Region and base, which region discovery may change
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
		return nil, fmt.Errorf("endpoint %q is not http(s)://host[:port]", cfg.Endpoint)
	}
	if cfg.Bucket == "" {
		return nil, errors.New("no bucket")
	}
	if cfg.Region == "" {
		cfg.Region = "us-east-1"
	}
	if cfg.PartSize == 0 {
		cfg.PartSize = 16 << 20
	}
	if cfg.PartSize < MinPartSize {
		return nil, fmt.Errorf("part size %d is below S3's minimum of 5 MiB", cfg.PartSize)
	}
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = 2
	}
	if cfg.ListPageSize <= 0 || cfg.ListPageSize > 1000 {
		cfg.ListPageSize = 1000
	}
	if cfg.Credentials == nil {
		return nil, errors.New("no credentials provider")
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
		Name: cfg.Bucket, RangeHeader: "Range", XMLLimit: xmlLimit,
		Target: s.target, Sign: s.sign, Classify: s.classify, Again: s.again,
	}, cfg.HTTPClient, cfg.Policy)
	s.objects = s.http.Objects(httpstore.Writes{PartSize: cfg.PartSize, One: s.putSingle, Parts: s.putMultipart})
	return s, nil
}

// target is where r goes: https://host/bucket/key (path style) or https://bucket.host/key.
func (s *Store) target(r *httpstore.Request) *url.URL {
	s.mu.Lock()
	u := *s.base
	s.mu.Unlock()
	key := r.Key
	if r.Bucket {
		key = ""
	}
	u.Path = "/" + key
	if s.cfg.PathStyle {
		u.Path = "/" + s.cfg.Bucket + "/" + key
		if key == "" {
			u.Path = "/" + s.cfg.Bucket
		}
	} else {
		u.Host = s.cfg.Bucket + "." + u.Host
	}
	return &u
}

// sign signs req with SigV4 for the store's current region, the body's SHA-256 in the
// signature (so a damaged body is refused, not stored).
func (s *Store) sign(ctx context.Context, req *http.Request, r *httpstore.Request) error {
	creds, err := s.cfg.Credentials.Retrieve(ctx)
	if err != nil {
		return &store.Error{Op: r.Op, Key: r.Key, Err: err}
	}
	payload := sigv4.EmptySHA256
	if r.BodySHA256 != nil {
		payload = hex.EncodeToString(r.BodySHA256[:])
	} else if r.Body != nil {
		sum := sha256.Sum256(r.Body)
		payload = hex.EncodeToString(sum[:])
	}
	sigv4.Sign(req, creds, s.region(), "s3", s.cfg.Now(), payload)
	return nil
}

// again is the client's Again: when S3 answers that the bucket lives in another region
// (301/307/400 with x-amz-bucket-region), the store switches region (and, on an AWS
// regional endpoint, host), and the request is sent once more, signed afresh.
func (s *Store) again(err error) bool {
	var wrong *wrongRegion
	return errors.As(err, &wrong) && s.switchRegion(wrong.region)
}

// wrongRegion is a classified error that names the bucket's real region.
type wrongRegion struct {
	err    *store.Error
	region string
}

func (w *wrongRegion) Error() string { return w.err.Error() }
func (w *wrongRegion) Unwrap() error { return w.err }

func (s *Store) region() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cfg.Region
}

// switchRegion moves the store to region; false when it is already there (so a second
// redirect to the same place is reported, not followed forever).
func (s *Store) switchRegion(region string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if region == s.cfg.Region || !regionRE.MatchString(region) {
		return false
	}
	s.cfg.Region = region
	if host := s.base.Hostname(); awsRegionalHost.MatchString(host) {
		b := *s.base
		b.Host = "s3." + region + ".amazonaws.com"
		s.base = &b
	}
	return true
}

var (
	regionRE        = regexp.MustCompile(`^[a-z0-9-]{1,40}$`)
	awsRegionalHost = regexp.MustCompile(`^s3([.-][a-z0-9-]+)?\.amazonaws\.com$`)
)
