package remote

import (
	"cmp"
	"errors"
	"fmt"
	"maps"
	"net"
	"net/url"
	"os"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"git-remote-object-store/engine"
	"git-remote-object-store/internal/redact"
)

// ErrURL: a remote URL this tool cannot use. Its errors read
// "bad remote URL '<url>': <what is wrong and what to do>".
var ErrURL = errors.New("bad remote URL")

// Backend kinds.
const (
	S3    = "s3"
	Azure = "azblob"
	FS    = "fs"
)

// Location is a parsed remote URL.
type Location struct {
	URL     string // as given, for messages (never holds a secret: we reject userinfo passwords)
	Scheme  string // the scheme as typed, e.g. "s3+https"
	Backend string // S3, Azure or FS

	Endpoint  string // scheme://host[:port] of the service (S3, Azure); "" = AWS default for s3://
	Bucket    string // S3 bucket or Azure container
	Account   string // Azure storage account
	Dir       string // FS: the directory used as the bucket
	Prefix    string // path inside the bucket ("" = bucket root)
	PathStyle bool   // S3: path-style requests
	Region    string // S3

	Engine     string // "" = detect from the bucket (default bundle for a new remote)
	Zip        bool
	Credential string // named section of the credentials file
	Profile    string // AWS profile
	AWSLabs    bool   // written as s3:// or s3+zip:// (awslabs/git-remote-s3 form)
	Insecure   bool   // insecure=1: plain http to a host other than this machine is allowed
}

var (
	awsVirtualRE = regexp.MustCompile(`^(.+)\.s3(?:[.-](?:dualstack\.)?([a-z0-9-]+))?\.amazonaws\.com(?:\.cn)?$`)
	awsPathRE    = regexp.MustCompile(`^s3(?:[.-](?:dualstack\.)?([a-z0-9-]+))?\.amazonaws\.com(?:\.cn)?$`)
	bucketRE     = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$`)
	containerRE  = regexp.MustCompile(`^[a-z0-9](?:[a-z0-9]|-[a-z0-9]){2,62}$|^\$root$`)
	accountRE    = regexp.MustCompile(`^[a-z0-9]{3,24}$`)
)

// Parse parses a remote URL.
func Parse(raw string) (*Location, error) {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w '%s': %s", ErrURL, Redact(raw), fmt.Sprintf(format, args...))
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, bad("%v", errors.Unwrap(err))
	}
	if u.User != nil {
		if _, hasPass := u.User.Password(); hasPass {
			return nil, bad("credentials do not belong in the URL; use credential=NAME or the environment")
		}
	}
	loc := &Location{URL: Redact(raw), Scheme: u.Scheme}
	if u.Scheme == "az+https" || u.Scheme == "az+http" {
		if sas := sasParams(u.Query()); len(sas) > 0 {
			u.RawQuery = withoutParams(u.RawQuery, sas)
			return nil, bad("it looks like a pasted SAS URL (it has %s); put the SAS token in AZURE_STORAGE_SAS_TOKEN, or in azure_storage_sas_token of a named credential, and use %s",
				strings.Join(sas, ", "), Redact(u.String()))
		}
	}
	if err := loc.options(u.Query()); err != nil {
		return nil, bad("%v", err)
	}
	switch u.Scheme {
	case "s3", "s3+zip":
		err = loc.awslabs(u)
	case "s3+https", "s3+http":
		err = loc.s3(u)
	case "az+https", "az+http":
		err = loc.azure(u)
	case "fs+file":
		err = loc.fs(u)
	default:
		return nil, bad("unknown scheme %q (use s3+https, s3+http, az+https, az+http, fs+file or s3)", u.Scheme)
	}
	if err != nil {
		return nil, bad("%v", err)
	}
	if (u.Scheme == "s3+http" || u.Scheme == "az+http") && !loc.plainHTTPAllowed(u.Hostname()) {
		return nil, bad("plain http to %s would send the signed requests and the repository's contents unencrypted; use %s, or, on a network you trust, add insecure=1 to the URL or set GIT_REMOTE_OBJECT_STORE_ALLOW_HTTP=1",
			u.Hostname(), strings.Replace(u.Scheme, "+http", "+https", 1))
	}
	return loc, nil
}

func (l *Location) options(q url.Values) error {
	// In key order, so that of several bad options the same one is reported every time.
	for _, k := range slices.Sorted(maps.Keys(q)) {
		vs := q[k]
		if len(vs) != 1 {
			return fmt.Errorf("option %s given %d times; give it once", k, len(vs))
		}
		v := vs[0]
		switch k {
		case "engine":
			if v != engine.Bundle && v != engine.Packchain {
				return fmt.Errorf("engine=%q: use engine=bundle or engine=packchain", v)
			}
			l.Engine = v
		case "zip":
			if v != "1" && v != "true" && v != "0" && v != "false" {
				return fmt.Errorf("zip=%q: use zip=1 or zip=0", v)
			}
			l.Zip = v == "1" || v == "true"
		case "credential":
			if !nameOK(v) {
				return fmt.Errorf("credential=%q: a section name of letters, digits, '-', '_' and '.'", v)
			}
			l.Credential = v
		case "profile":
			if !nameOK(v) {
				return fmt.Errorf("profile=%q is not a valid profile name", v)
			}
			l.Profile = v
		case "region":
			if !regexp.MustCompile(`^[a-z0-9-]{1,40}$`).MatchString(v) {
				return fmt.Errorf("region=%q is not a region name", v)
			}
			l.Region = v
		case "style", "addressing": // addressing= is the seed's spelling
			if v != "path" && v != "virtual" {
				return fmt.Errorf("%s=%q: use %s=path or %s=virtual", k, v, k, k)
			}
			if o := q.Get("style"); k == "addressing" && o != "" && o != v {
				return fmt.Errorf("style=%s and addressing=%s disagree; give one", o, v)
			}
		case "insecure":
			if v != "1" && v != "true" && v != "0" && v != "false" {
				return fmt.Errorf("insecure=%q: use insecure=1 or insecure=0", v)
			}
			l.Insecure = v == "1" || v == "true"
		default:
			return fmt.Errorf("unknown option %q (known: engine, zip, credential, profile, region, style, addressing, insecure)", k)
		}
	}
	return nil
}

// addressing is the URL's style= or its alias addressing=, "" when neither is given.
func addressing(q url.Values) string {
	return cmp.Or(q.Get("style"), q.Get("addressing"))
}

// plainHTTPAllowed tells whether an s3+http or az+http URL may go to host: always to
// this machine (a local S3 server, Azurite), elsewhere only when the user said so, since
// the signed requests and the repository's contents then cross the network in clear.
func (l *Location) plainHTTPAllowed(host string) bool {
	if l.Insecure {
		return true
	}
	if b, err := strconv.ParseBool(os.Getenv("GIT_REMOTE_OBJECT_STORE_ALLOW_HTTP")); err == nil && b {
		return true
	}
	if strings.EqualFold(host, "localhost") || strings.HasSuffix(strings.ToLower(host), ".localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// plainHTTPEndpoint refuses an S3 endpoint that does not come from the URL (from names
// its setting: AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL, a named credential's endpoint_url)
// when it is plain http to another machine, as Parse refuses s3+http:// URLs: allowed
// by insecure=1 or GIT_REMOTE_OBJECT_STORE_ALLOW_HTTP=1, always to this machine.
func (l *Location) plainHTTPEndpoint(endpoint, from string) error {
	u, err := url.Parse(endpoint)
	if err != nil || !strings.EqualFold(u.Scheme, "http") || l.plainHTTPAllowed(u.Hostname()) {
		return nil // a malformed endpoint is the backend's error to report
	}
	return fmt.Errorf("%s: %s is plain http to %s (%s), which would send the signed requests and the repository's contents unencrypted; use https://, or, on a network you trust, add insecure=1 to the URL or set GIT_REMOTE_OBJECT_STORE_ALLOW_HTTP=1",
		l.URL, from, u.Hostname(), Redact(endpoint))
}

func nameOK(s string) bool {
	return regexp.MustCompile(`^[A-Za-z0-9_.-]{1,64}$`).MatchString(s)
}

func cleanPrefix(p string) (string, error) {
	p = strings.Trim(p, "/")
	if p == "" {
		return "", nil
	}
	for _, seg := range strings.Split(p, "/") {
		if seg == "" || seg == "." || seg == ".." {
			return "", fmt.Errorf("path %q has an empty, '.' or '..' segment", p)
		}
	}
	if strings.ContainsAny(p, "\x00\\") {
		return "", fmt.Errorf("path %q has a NUL or backslash", p)
	}
	return p, nil
}

func (l *Location) awslabs(u *url.URL) error {
	l.Backend, l.AWSLabs, l.PathStyle = S3, true, false
	l.Zip = l.Zip || u.Scheme == "s3+zip"
	if u.User != nil && u.User.Username() != "" {
		l.Profile = u.User.Username()
	}
	l.Bucket = u.Host
	if !bucketRE.MatchString(l.Bucket) {
		return badBucket(l.Bucket, u.Scheme+"://<bucket>/<prefix>")
	}
	var err error
	l.Prefix, err = cleanPrefix(u.Path)
	return err
}

func (l *Location) s3(u *url.URL) error {
	l.Backend = S3
	host := u.Hostname()
	if host == "" {
		return fmt.Errorf("no host; write %s://<host>/<bucket>/<prefix>", u.Scheme)
	}
	l.Endpoint = strings.TrimPrefix(u.Scheme, "s3+") + "://" + u.Host
	rest := u.Path
	switch m := awsVirtualRE.FindStringSubmatch(host); {
	case m != nil:
		l.Bucket, l.Region = m[1], m[2]
		l.Endpoint = strings.TrimPrefix(u.Scheme, "s3+") + "://" + strings.TrimPrefix(host, m[1]+".")
		if u.Port() != "" {
			l.Endpoint += ":" + u.Port()
		}
	default:
		if m := awsPathRE.FindStringSubmatch(host); m != nil {
			l.Region = m[1]
		}
		l.PathStyle = true
		seg, after, _ := strings.Cut(strings.TrimPrefix(rest, "/"), "/")
		l.Bucket, rest = seg, after
	}
	if l.Region == "" && strings.HasSuffix(host, ".amazonaws.com") {
		l.Region = "us-east-1" // the legacy global endpoint
	}
	if !bucketRE.MatchString(l.Bucket) {
		return badBucket(l.Bucket, u.Scheme+"://<host>/<bucket>/<prefix>")
	}
	if q := addressing(u.Query()); q != "" {
		l.PathStyle = q == "path"
	} else if !l.PathStyle {
		l.PathStyle = isIP(host) || strings.Contains(l.Bucket, ".") && u.Scheme == "s3+https"
	}
	var err error
	l.Prefix, err = cleanPrefix(rest)
	return err
}

// badBucket explains S3's bucket naming rules, which a typo or a copied ARN breaks;
// form is how a URL of this scheme is written.
func badBucket(name, form string) error {
	if name == "" {
		return fmt.Errorf("no bucket; write %s", form)
	}
	return fmt.Errorf("bucket %q is not a valid bucket name (3-63 lower-case letters, digits, '.' and '-')", name)
}

func isIP(host string) bool { return net.ParseIP(host) != nil || host == "localhost" }

func (l *Location) azure(u *url.URL) error {
	l.Backend = Azure
	host := u.Hostname()
	if host == "" {
		return fmt.Errorf("no host; write %s://<account>.blob.core.windows.net/<container>/<prefix>", u.Scheme)
	}
	scheme := strings.TrimPrefix(u.Scheme, "az+")
	parts := strings.Split(strings.TrimPrefix(u.Path, "/"), "/")
	if acct, _, ok := strings.Cut(host, ".blob."); ok && !isIP(host) {
		l.Account = acct
		l.Endpoint = scheme + "://" + u.Host
	} else {
		// Path style (Azurite, Azure Stack, private endpoints by IP): /account/container/…
		if len(parts) < 2 {
			return errors.New("path-style Azure URLs need /account/container[/prefix]")
		}
		l.Account, parts = parts[0], parts[1:]
		l.Endpoint = scheme + "://" + u.Host + "/" + l.Account
	}
	if !accountRE.MatchString(l.Account) {
		return fmt.Errorf("storage account %q is not valid (3-24 lower-case letters and digits)", l.Account)
	}
	if len(parts) == 0 || parts[0] == "" {
		return fmt.Errorf("no container; write %s://%s/<container>/<prefix>", u.Scheme, u.Host)
	}
	l.Bucket = parts[0]
	if !containerRE.MatchString(l.Bucket) {
		return fmt.Errorf("container %q is not valid (3-63 lower-case letters, digits and single hyphens)", l.Bucket)
	}
	var err error
	l.Prefix, err = cleanPrefix(strings.Join(parts[1:], "/"))
	return err
}

func (l *Location) fs(u *url.URL) error {
	l.Backend = FS
	if u.Host != "" && u.Host != "localhost" {
		return fmt.Errorf("fs+file URLs name a local directory: fs+file:///path (host %q given)", u.Host)
	}
	if !path.IsAbs(u.Path) {
		return errors.New("fs+file needs an absolute path: fs+file:///abs/path")
	}
	l.Dir = path.Clean(u.Path)
	if l.Dir == "/" {
		return errors.New("refusing to use / as a bucket; name a directory below it")
	}
	return nil
}

// sasKeys are the query parameters of an Azure shared access signature
// (learn.microsoft.com, "Create a service SAS" and "Create an account SAS"). An az+ URL
// holding one was pasted from the portal's "Blob SAS URL": the token belongs in
// AZURE_STORAGE_SAS_TOKEN, not in the remote's URL (which git stores in .git/config).
var sasKeys = []string{"sv", "ss", "srt", "sp", "se", "st", "spr", "sip", "si", "sr", "sig", "sdd",
	"skoid", "sktid", "skt", "ske", "sks", "skv", "saoid", "suoid", "scid", "ses",
	"rscc", "rscd", "rsce", "rscl", "rsct"}

// sasParams returns the SAS parameters q holds, in sasKeys order.
func sasParams(q url.Values) []string {
	var found []string
	for _, k := range sasKeys {
		if q.Has(k) {
			found = append(found, k)
		}
	}
	return found
}

// withoutParams drops the parameters named keys from a raw query, keeping the others as
// written.
func withoutParams(rawQuery string, keys []string) string {
	var kept []string
	for _, part := range strings.Split(rawQuery, "&") {
		k, _, _ := strings.Cut(part, "=")
		if uk, err := url.QueryUnescape(k); err == nil && slices.Contains(keys, uk) {
			continue
		}
		kept = append(kept, part)
	}
	return strings.Join(kept, "&")
}

// Redact returns a URL (or any message) fit for output: a password, the values of
// secret query parameters (sig, X-Amz-Signature, …) and every secret the process loaded
// are replaced by REDACTED (internal/redact). Everything else stays as written, so the
// user recognises it.
func Redact(raw string) string { return redact.String(raw) }
