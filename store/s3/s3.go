package s3

import (
	"bytes"
	"cmp"
	"context"
	"crypto/md5"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"sync"
	"time"

	"git-remote-object-store/sigv4"
	"git-remote-object-store/store"
)

// MinPartSize is S3's smallest non-final part.
const MinPartSize = 5 << 20

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
	Policy       *store.Policy
	// Now is the signing clock; nil means time.Now (tests pin it; skew correction shifts it).
	Now func() time.Time
}

// Store is one bucket.
type Store struct {
	mu     sync.Mutex // guards cfg.Region and base, which region discovery may change
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
	u, err := url.Parse(cfg.Endpoint)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("s3: endpoint %q is not http(s)://host[:port]", cfg.Endpoint)
	}
	if cfg.Bucket == "" {
		return nil, errors.New("s3: no bucket")
	}
	if cfg.Region == "" {
		cfg.Region = "us-east-1"
	}
	if cfg.PartSize == 0 {
		cfg.PartSize = 16 << 20
	}
	if cfg.PartSize < MinPartSize {
		return nil, fmt.Errorf("s3: part size %d is below S3's minimum of 5 MiB", cfg.PartSize)
	}
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = 2
	}
	if cfg.ListPageSize <= 0 || cfg.ListPageSize > 1000 {
		cfg.ListPageSize = 1000
	}
	if cfg.Credentials == nil {
		return nil, errors.New("s3: no credentials provider")
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

// request is one S3 call before signing.
type request struct {
	op      string // for errors: "get", "put", …
	method  string
	key     string // "" for bucket-level calls
	query   []sigv4.Param
	header  http.Header
	body    []byte // nil: no body; never a stream, so every attempt can resend it
	bodyMD5 bool   // send Content-MD5
}

func (s *Store) url(key string, query []sigv4.Param) *url.URL {
	s.mu.Lock()
	u := *s.base
	s.mu.Unlock()
	path := "/" + key
	if s.cfg.PathStyle {
		path = "/" + s.cfg.Bucket + "/" + key
		if key == "" {
			path = "/" + s.cfg.Bucket
		}
	} else {
		u.Host = s.cfg.Bucket + "." + u.Host
	}
	u.Path = path
	u.RawPath = sigv4.EncodePath(path)
	u.RawQuery = sigv4.CanonicalQuery(query)
	return &u
}

// send signs and sends one attempt. The caller closes the body of a nil-error response.
// send signs and sends one attempt. When S3 answers that the bucket lives in another
// region (301/307/400 with x-amz-bucket-region), the store switches region (and, on an
// AWS regional endpoint, host) and sends once more, signed afresh.
func (s *Store) send(ctx context.Context, r *request) (*http.Response, error) {
	resp, err := s.sendOnce(ctx, r)
	var wrong *wrongRegion
	if errors.As(err, &wrong) && s.switchRegion(wrong.region) {
		return s.sendOnce(ctx, r)
	}
	return resp, err
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

func (s *Store) sendOnce(ctx context.Context, r *request) (*http.Response, error) {
	creds, err := s.cfg.Credentials.Retrieve(ctx)
	if err != nil {
		return nil, &store.Error{Op: r.op, Key: r.key, Err: err}
	}
	var body io.Reader
	payload := sigv4.EmptySHA256
	if r.body != nil {
		body = bytes.NewReader(r.body)
		sum := sha256.Sum256(r.body)
		payload = hex.EncodeToString(sum[:])
	}
	wctx, cancel := store.WatchedContext(ctx)
	req, err := http.NewRequestWithContext(wctx, r.method, "", body)
	if err != nil {
		cancel()
		return nil, err
	}
	req.URL = s.url(r.key, r.query)
	req.Host = req.URL.Host
	req.ContentLength = int64(len(r.body))
	for k, v := range r.header {
		req.Header[k] = v
	}
	if r.bodyMD5 && r.body != nil {
		m := md5.Sum(r.body)
		req.Header.Set("Content-MD5", base64.StdEncoding.EncodeToString(m[:]))
	}
	sigv4.Sign(req, creds, s.region(), "s3", s.cfg.Now(), payload)
	resp, err := s.client.Do(req)
	if err != nil {
		cancel()
		return nil, &store.Error{Op: r.op, Key: cmp.Or(r.key, s.cfg.Bucket), Err: err}
	}
	store.WatchBody(resp, cancel)
	if resp.StatusCode >= 300 {
		defer resp.Body.Close()
		return nil, s.classify(r, resp)
	}
	return resp, nil
}

func (s *Store) do(ctx context.Context, r *request, onResp func(*http.Response) error) (attempts int, err error) {
	return s.policy.DoHTTP(ctx, func() (*http.Response, error) { return s.send(ctx, r) }, onResp)
}
