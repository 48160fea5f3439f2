package s3

import (
	"cmp"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"git-remote-object-store/internal/redact"
	"git-remote-object-store/sigv4"
)

// CredentialsProvider yields credentials, refreshing them when they expire.
type CredentialsProvider interface {
	Retrieve(ctx context.Context) (sigv4.Credentials, error)
}

// ErrNoCredentials: no source in the chain had credentials.
var ErrNoCredentials = errors.New("no AWS credentials found")

// Static is a fixed set of credentials.
type Static sigv4.Credentials

// Retrieve implements CredentialsProvider.
func (s Static) Retrieve(context.Context) (sigv4.Credentials, error) {
	if s.AccessKeyID == "" || s.SecretAccessKey == "" {
		return sigv4.Credentials{}, ErrNoCredentials
	}
	redact.Secret(s.SecretAccessKey, s.SessionToken) // from a profile: never printed
	return sigv4.Credentials(s), nil
}

// Chain is AWS's credential chain, in AWS's order: the environment's keys; the profile
// (AWS_PROFILE or the URL's profile=) in the shared files — static keys,
// credential_process, role_arn with source_profile / web_identity_token_file, or AWS
// IAM Identity Center (SSO: the token `aws sso login` cached, traded at the portal); web
// identity from AWS_WEB_IDENTITY_TOKEN_FILE + AWS_ROLE_ARN; the container endpoint
// (ECS/EKS); EC2 instance metadata (IMDSv2, unless AWS_EC2_METADATA_DISABLED=true).
// The first source present is used from then on.
type Chain struct {
	Profile string
	Getenv  func(string) string // nil: os.Getenv
	// IMDSEndpoint and STSEndpoint override AWS's addresses (tests).
	IMDSEndpoint, STSEndpoint string
	// RootCAs, when set, are the certificate authorities the https credential requests
	// (STS AssumeRole and AssumeRoleWithWebIdentity, the SSO portal) trust instead of the
	// system's: the remote's CA bundle (AWS_CA_BUNDLE, ca_bundle, http.sslCAInfo…).
	RootCAs *x509.CertPool
	// ssoEndpoint replaces https://portal.sso.<region>.amazonaws.com (tests only: no
	// portal runs where the tests do).
	ssoEndpoint string

	once     sync.Mutex
	resolved CredentialsProvider
}

// Retrieve implements CredentialsProvider.
func (c *Chain) Retrieve(ctx context.Context) (sigv4.Credentials, error) {
	c.once.Lock()
	p := c.resolved
	if p == nil {
		var err error
		if p, err = c.resolve(); err != nil {
			c.once.Unlock()
			return sigv4.Credentials{}, err
		}
		c.resolved = p
	}
	c.once.Unlock()
	return p.Retrieve(ctx)
}

func (c *Chain) resolve() (CredentialsProvider, error) {
	getenv := c.Getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	if id, secret := getenv("AWS_ACCESS_KEY_ID"), getenv("AWS_SECRET_ACCESS_KEY"); id != "" && secret != "" && c.Profile == "" {
		return Static{AccessKeyID: id, SecretAccessKey: secret, SessionToken: getenv("AWS_SESSION_TOKEN")}, nil
	}
	profile := c.Profile
	if profile == "" {
		profile = cmp.Or(getenv("AWS_PROFILE"), getenv("AWS_DEFAULT_PROFILE"), "default")
	}
	p, err := c.fromProfile(profile, getenv, 0)
	if p != nil || err != nil {
		return p, err
	}
	if c.Profile != "" || getenv("AWS_PROFILE") != "" {
		return nil, fmt.Errorf("%w: profile %q is not in ~/.aws/credentials or ~/.aws/config", ErrNoCredentials, profile)
	}
	region := cmp.Or(getenv("AWS_REGION"), getenv("AWS_DEFAULT_REGION"))
	if f, role := getenv("AWS_WEB_IDENTITY_TOKEN_FILE"), getenv("AWS_ROLE_ARN"); f != "" && role != "" {
		return webIdentity(f, role, cmp.Or(getenv("AWS_ROLE_SESSION_NAME"), "git-remote-object-store"), region, c.STSEndpoint, c.client()), nil
	}
	if getenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI") != "" || getenv("AWS_CONTAINER_CREDENTIALS_FULL_URI") != "" {
		return ecsCreds(getenv), nil
	}
	if !strings.EqualFold(getenv("AWS_EC2_METADATA_DISABLED"), "true") {
		return &fallbackIMDS{imds: imdsCreds(cmp.Or(c.IMDSEndpoint, getenv("AWS_EC2_METADATA_SERVICE_ENDPOINT")))}, nil
	}
	return nil, fmt.Errorf("%w (set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or a profile in ~/.aws/credentials)", ErrNoCredentials)
}

// client is the HTTP client of the chain's https credential requests: the system's
// roots, or RootCAs instead.
func (c *Chain) client() *http.Client {
	if c.RootCAs == nil {
		return stsClient
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = &tls.Config{RootCAs: c.RootCAs, MinVersion: tls.VersionTLS12}
	return &http.Client{Timeout: stsClient.Timeout, Transport: tr}
}

// fallbackIMDS turns "no instance metadata here" into the chain's own clear error.
type fallbackIMDS struct{ imds *cached }

func (f *fallbackIMDS) Retrieve(ctx context.Context) (sigv4.Credentials, error) {
	creds, err := f.imds.Retrieve(ctx)
	if err != nil {
		return sigv4.Credentials{}, fmt.Errorf("%w (set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or a profile in ~/.aws/credentials; %v)", ErrNoCredentials, err)
	}
	return creds, nil
}

// fromProfile builds the provider a profile describes; nil, nil when the profile has none.
func (c *Chain) fromProfile(profile string, getenv func(string) string, depth int) (CredentialsProvider, error) {
	if depth > 4 {
		return nil, fmt.Errorf("%w: source_profile chain too long at %q", ErrNoCredentials, profile)
	}
	merged := map[string]string{}
	found := false
	for _, f := range sharedFiles(getenv) {
		sec, err := readINISection(f.path, f.section(profile))
		if err != nil {
			continue
		}
		found = true
		for k, v := range sec {
			if _, ok := merged[k]; !ok {
				merged[k] = v
			}
		}
	}
	if !found {
		return nil, nil
	}
	region := cmp.Or(merged["region"], getenv("AWS_REGION"), getenv("AWS_DEFAULT_REGION"))
	session := cmp.Or(merged["role_session_name"], "git-remote-object-store")
	switch {
	case merged["role_arn"] != "" && merged["web_identity_token_file"] != "":
		return webIdentity(merged["web_identity_token_file"], merged["role_arn"], session, region, c.STSEndpoint, c.client()), nil
	case merged["role_arn"] != "" && merged["source_profile"] != "":
		var src CredentialsProvider
		if merged["source_profile"] == profile {
			src = Static{AccessKeyID: merged["aws_access_key_id"], SecretAccessKey: merged["aws_secret_access_key"], SessionToken: merged["aws_session_token"]}
		} else {
			p, err := c.fromProfile(merged["source_profile"], getenv, depth+1)
			if err != nil {
				return nil, err
			}
			if p == nil {
				return nil, fmt.Errorf("%w: source_profile %q of %q not found", ErrNoCredentials, merged["source_profile"], profile)
			}
			src = p
		}
		return assumeRole(src, merged["role_arn"], session, merged["external_id"], region, c.STSEndpoint, c.client()), nil
	case merged["role_arn"] != "":
		return nil, fmt.Errorf("%w: profile %q has role_arn but neither source_profile nor web_identity_token_file (credential_source is not supported)", ErrNoCredentials, profile)
	case merged["aws_access_key_id"] != "" && merged["aws_secret_access_key"] != "":
		return Static{AccessKeyID: merged["aws_access_key_id"], SecretAccessKey: merged["aws_secret_access_key"], SessionToken: merged["aws_session_token"]}, nil
	case merged["credential_process"] != "":
		return processCreds(merged["credential_process"]), nil
	case merged["sso_session"] != "" || merged["sso_start_url"] != "":
		p, err := ssoFromProfile(profile, merged, getenv)
		if err != nil {
			return nil, err
		}
		return ssoCreds(p, getenv, c.ssoEndpoint, c.client(), time.Now), nil
	}
	return nil, nil
}

type sharedFile struct {
	path   string
	config bool // ~/.aws/config names sections "profile X" (except default)
}

func (f sharedFile) section(profile string) string {
	if f.config && profile != "default" {
		return "profile " + profile
	}
	return profile
}

func sharedFiles(getenv func(string) string) []sharedFile {
	home, _ := os.UserHomeDir()
	if h := getenv("HOME"); h != "" {
		home = h
	}
	creds := cmp.Or(getenv("AWS_SHARED_CREDENTIALS_FILE"), filepath.Join(home, ".aws", "credentials"))
	conf := cmp.Or(getenv("AWS_CONFIG_FILE"), filepath.Join(home, ".aws", "config"))
	return []sharedFile{{path: creds}, {path: conf, config: true}}
}

// ProfileRegion returns the region configured for a profile in ~/.aws/config, if any.
func ProfileRegion(profile string, getenv func(string) string) string {
	return ProfileSetting(profile, "region", getenv)
}

// ProfileSetting returns a key of a profile (profile "" = AWS_PROFILE, else default) as
// the shared files give it: the credentials file first, then the config file, as the
// AWS CLI reads them. "" when neither sets it.
func ProfileSetting(profile, key string, getenv func(string) string) string {
	if getenv == nil {
		getenv = os.Getenv
	}
	if profile == "" {
		profile = cmp.Or(getenv("AWS_PROFILE"), getenv("AWS_DEFAULT_PROFILE"), "default")
	}
	for _, f := range sharedFiles(getenv) {
		if sec, err := readINISection(f.path, f.section(profile)); err == nil && sec[key] != "" {
			return sec[key]
		}
	}
	return ""
}

// readINISection reads one [section] of an AWS-style INI file (keys lower-cased).
func readINISection(path, section string) (map[string]string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return ParseINISection(string(data), section)
}

// ParseINISection parses AWS-style INI text and returns one section's keys.
func ParseINISection(text, section string) (map[string]string, error) {
	out := map[string]string{}
	cur, found := "", false
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || line[0] == '#' || line[0] == ';' {
			continue
		}
		if line[0] == '[' && strings.HasSuffix(line, "]") {
			cur = strings.TrimSpace(line[1 : len(line)-1])
			found = found || cur == section
			continue
		}
		if cur != section {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if ok {
			out[strings.ToLower(strings.TrimSpace(k))] = strings.TrimSpace(v)
		}
	}
	if !found {
		return nil, fmt.Errorf("no section [%s]", section)
	}
	return out, nil
}

func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// String never shows the secret.
func (s Static) String() string { return sigv4.Credentials(s).String() }
