package s3

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"git-remote-object-store/sigv4"
)

// CredentialsProvider yields credentials, refreshing them when they expire.
type CredentialsProvider interface {
	Retrieve(ctx context.Context) (sigv4.Credentials, error)
}

// ErrNoCredentials: no source in the chain had credentials.
var ErrNoCredentials = errors.New("s3: no AWS credentials found")

// Static is a fixed set of credentials.
type Static sigv4.Credentials

// Retrieve implements CredentialsProvider.
func (s Static) Retrieve(context.Context) (sigv4.Credentials, error) {
	if s.AccessKeyID == "" || s.SecretAccessKey == "" {
		return sigv4.Credentials{}, ErrNoCredentials
	}
	return sigv4.Credentials(s), nil
}

// Chain is AWS's credential order so far implemented: environment, then the shared
// credentials and config files for the profile (AWS_PROFILE, or the URL's profile=).
type Chain struct {
	Profile string
	Getenv  func(string) string // nil: os.Getenv
}

// Retrieve implements CredentialsProvider.
func (c Chain) Retrieve(ctx context.Context) (sigv4.Credentials, error) {
	getenv := c.Getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	if id, secret := getenv("AWS_ACCESS_KEY_ID"), getenv("AWS_SECRET_ACCESS_KEY"); id != "" && secret != "" && c.Profile == "" {
		return sigv4.Credentials{AccessKeyID: id, SecretAccessKey: secret, SessionToken: getenv("AWS_SESSION_TOKEN")}, nil
	}
	profile := c.Profile
	if profile == "" {
		profile = firstNonEmpty(getenv("AWS_PROFILE"), getenv("AWS_DEFAULT_PROFILE"), "default")
	}
	files := sharedFiles(getenv)
	for _, f := range files {
		sec, err := readINISection(f.path, f.section(profile))
		if err != nil {
			continue
		}
		if id, secret := sec["aws_access_key_id"], sec["aws_secret_access_key"]; id != "" && secret != "" {
			return sigv4.Credentials{AccessKeyID: id, SecretAccessKey: secret, SessionToken: sec["aws_session_token"]}, nil
		}
		if sec["credential_process"] != "" || sec["role_arn"] != "" || sec["sso_session"] != "" || sec["sso_start_url"] != "" {
			return sigv4.Credentials{}, fmt.Errorf("%w: profile %q uses credential_process, role_arn or SSO, which this build does not support yet; export AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY instead", ErrNoCredentials, profile)
		}
	}
	return sigv4.Credentials{}, fmt.Errorf("%w (set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or a profile in ~/.aws/credentials)", ErrNoCredentials)
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
	creds := firstNonEmpty(getenv("AWS_SHARED_CREDENTIALS_FILE"), filepath.Join(home, ".aws", "credentials"))
	conf := firstNonEmpty(getenv("AWS_CONFIG_FILE"), filepath.Join(home, ".aws", "config"))
	return []sharedFile{{path: creds}, {path: conf, config: true}}
}

// ProfileRegion returns the region configured for a profile in ~/.aws/config, if any.
func ProfileRegion(profile string, getenv func(string) string) string {
	if getenv == nil {
		getenv = os.Getenv
	}
	if profile == "" {
		profile = firstNonEmpty(getenv("AWS_PROFILE"), "default")
	}
	for _, f := range sharedFiles(getenv) {
		if sec, err := readINISection(f.path, f.section(profile)); err == nil && sec["region"] != "" {
			return sec["region"]
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
