package s3

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"time"

	"git-remote-object-store/internal/credcache"
	"git-remote-object-store/internal/redact"
	"git-remote-object-store/sigv4"
)

// expiring is a set of temporary credentials and when they stop working.
type expiring struct {
	creds   sigv4.Credentials
	expires time.Time // zero: never
}

// refreshMargin is how long before they expire temporary credentials are replaced, so
// that a request signed with them still reaches S3 in time, and a slow refresh finishes
// while the old ones still work.
const refreshMargin = 5 * time.Minute

// cached is a provider whose credentials expire: fetch obtains them, and they are
// fetched again refreshMargin before they expire, once for all concurrent callers.
type cached struct {
	cache credcache.Cache[sigv4.Credentials]
}

func newCached(fetch func(ctx context.Context) (expiring, error)) *cached {
	c := &cached{}
	c.cache.Margin = refreshMargin
	c.cache.Fetch = func(ctx context.Context) (sigv4.Credentials, time.Time, error) {
		e, err := fetch(ctx)
		return e.creds, e.expires, err
	}
	return c
}

// Retrieve implements CredentialsProvider.
func (c *cached) Retrieve(ctx context.Context) (sigv4.Credentials, error) {
	return c.cache.Get(ctx)
}

// metadataClient talks to link-local and container credential endpoints: short
// timeouts, no proxy (a proxy must never see these requests).
var metadataClient = &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{Proxy: nil}}

func httpJSON(ctx context.Context, client *http.Client, method, u string, header http.Header, body []byte, out any) error {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return err
	}
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode != 200 {
		return fmt.Errorf("%s %s: HTTP %d", method, redactURL(u), resp.StatusCode)
	}
	if s, ok := out.(*string); ok {
		*s = string(data)
		return nil
	}
	if strings.Contains(resp.Header.Get("Content-Type"), "xml") || bytes.HasPrefix(bytes.TrimSpace(data), []byte("<")) {
		return xml.Unmarshal(data, out)
	}
	return json.Unmarshal(data, out)
}

func redactURL(u string) string {
	p, err := url.Parse(u)
	if err != nil {
		return "(endpoint)"
	}
	p.RawQuery = ""
	return p.String()
}

// jsonCreds is the shape ECS, IMDS and credential_process return.
type jsonCreds struct {
	Version         int
	AccessKeyID     string `json:"AccessKeyId"`
	SecretAccessKey string
	Token           string
	SessionToken    string
	Expiration      string
}

func (j jsonCreds) expiring() (expiring, error) {
	if j.AccessKeyID == "" || j.SecretAccessKey == "" {
		return expiring{}, errors.New("the answer holds no access key")
	}
	e := expiring{creds: sigv4.Credentials{AccessKeyID: j.AccessKeyID, SecretAccessKey: j.SecretAccessKey, SessionToken: cmp.Or(j.Token, j.SessionToken)}}
	redact.Secret(e.creds.SecretAccessKey, e.creds.SessionToken) // never printed

	if j.Expiration != "" {
		t, err := time.Parse(time.RFC3339, j.Expiration)
		if err != nil {
			return expiring{}, fmt.Errorf("bad Expiration: %v", err)
		}
		e.expires = t
	}
	return e, nil
}

// processCreds runs a profile's credential_process: the one program this tool ever
// starts, because the user configured it as their credential source.
func processCreds(command string) *cached {
	return newCached(func(ctx context.Context) (expiring, error) {
		cmd := exec.CommandContext(ctx, "/bin/sh", "-c", command)
		stderr := redact.NewWriter(os.Stderr) // what it says passes the redactor too
		cmd.Stderr = stderr
		out, err := cmd.Output()
		stderr.Flush()
		if err != nil {
			return expiring{}, fmt.Errorf("credential_process failed: %v", err)
		}
		var j jsonCreds
		if err := json.Unmarshal(out, &j); err != nil {
			return expiring{}, fmt.Errorf("credential_process printed no credentials JSON: %v", err)
		}
		e, err := j.expiring()
		if err != nil {
			return expiring{}, fmt.Errorf("credential_process: %v", err)
		}
		return e, nil
	})
}

// ecsCreds reads the container credentials endpoint (ECS, EKS pod identity).
func ecsCreds(getenv func(string) string) *cached {
	return newCached(func(ctx context.Context) (expiring, error) {
		u := getenv("AWS_CONTAINER_CREDENTIALS_FULL_URI")
		if rel := getenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"); rel != "" {
			u = "http://169.254.170.2" + rel
		}
		h := http.Header{}
		tok := getenv("AWS_CONTAINER_AUTHORIZATION_TOKEN")
		if f := getenv("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"); f != "" {
			b, err := os.ReadFile(f)
			if err != nil {
				return expiring{}, fmt.Errorf("container credentials token file: %v", err)
			}
			tok = strings.TrimSpace(string(b))
		}
		if tok != "" {
			h.Set("Authorization", tok)
		}
		var j jsonCreds
		if err := httpJSON(ctx, metadataClient, "GET", u, h, nil, &j); err != nil {
			return expiring{}, fmt.Errorf("container credentials: %w", err)
		}
		return j.expiring()
	})
}

// imdsCreds is EC2's instance metadata service, version 2 (session token first).
func imdsCreds(endpoint string) *cached {
	if endpoint == "" {
		endpoint = "http://169.254.169.254"
	}
	return newCached(func(ctx context.Context) (expiring, error) {
		var token, role string
		h := http.Header{"X-Aws-Ec2-Metadata-Token-Ttl-Seconds": {"21600"}}
		if err := httpJSON(ctx, metadataClient, "PUT", endpoint+"/latest/api/token", h, []byte{}, &token); err != nil {
			return expiring{}, fmt.Errorf("EC2 instance metadata: %w", err)
		}
		h = http.Header{"X-Aws-Ec2-Metadata-Token": {strings.TrimSpace(token)}}
		base := endpoint + "/latest/meta-data/iam/security-credentials/"
		if err := httpJSON(ctx, metadataClient, "GET", base, h, nil, &role); err != nil {
			return expiring{}, fmt.Errorf("EC2 instance metadata (is an instance role attached?): %w", err)
		}
		role = strings.TrimSpace(strings.Split(role, "\n")[0])
		var j jsonCreds
		if err := httpJSON(ctx, metadataClient, "GET", base+url.PathEscape(role), h, nil, &j); err != nil {
			return expiring{}, fmt.Errorf("EC2 instance metadata: %w", err)
		}
		return j.expiring()
	})
}

// stsResult is the credentials part of AssumeRole / AssumeRoleWithWebIdentity answers.
type stsResult struct {
	Credentials struct {
		AccessKeyID     string `xml:"AccessKeyId"`
		SecretAccessKey string `xml:"SecretAccessKey"`
		SessionToken    string `xml:"SessionToken"`
		Expiration      string `xml:"Expiration"`
	} `xml:"AssumeRoleResult>Credentials"`
	WebCredentials struct {
		AccessKeyID     string `xml:"AccessKeyId"`
		SecretAccessKey string `xml:"SecretAccessKey"`
		SessionToken    string `xml:"SessionToken"`
		Expiration      string `xml:"Expiration"`
	} `xml:"AssumeRoleWithWebIdentityResult>Credentials"`
}

func (r stsResult) expiring() (expiring, error) {
	c := r.Credentials
	if c.AccessKeyID == "" {
		c = r.WebCredentials
	}
	return jsonCreds{AccessKeyID: c.AccessKeyID, SecretAccessKey: c.SecretAccessKey, SessionToken: c.SessionToken, Expiration: c.Expiration}.expiring()
}

func stsEndpoint(region, override string) string {
	if override != "" {
		return strings.TrimSuffix(override, "/")
	}
	if region == "" {
		return "https://sts.amazonaws.com"
	}
	return "https://sts." + region + ".amazonaws.com"
}

// assumeRole calls STS AssumeRole signed with the source profile's credentials.
func assumeRole(source CredentialsProvider, roleARN, session, externalID, region, endpoint string, hc *http.Client) *cached {
	return newCached(func(ctx context.Context) (expiring, error) {
		src, err := source.Retrieve(ctx)
		if err != nil {
			return expiring{}, fmt.Errorf("source profile for %s: %w", roleARN, err)
		}
		form := url.Values{"Action": {"AssumeRole"}, "Version": {"2011-06-15"}, "RoleArn": {roleARN}, "RoleSessionName": {session}}
		if externalID != "" {
			form.Set("ExternalId", externalID)
		}
		body := []byte(form.Encode())
		u := stsEndpoint(region, endpoint) + "/"
		req, err := http.NewRequestWithContext(ctx, "POST", u, bytes.NewReader(body))
		if err != nil {
			return expiring{}, err
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		sum := sha256Hex(body)
		signRegion := cmp.Or(region, "us-east-1")
		sigv4.Sign(req, src, signRegion, "sts", time.Now(), sum)
		var res stsResult
		if err := doXML(hc, req, &res); err != nil {
			return expiring{}, fmt.Errorf("assume role %s: %w", roleARN, err)
		}
		return res.expiring()
	})
}

// webIdentity calls STS AssumeRoleWithWebIdentity (unsigned) with a token file that is
// re-read on every refresh (Kubernetes rotates it).
func webIdentity(tokenFile, roleARN, session, region, endpoint string, hc *http.Client) *cached {
	return newCached(func(ctx context.Context) (expiring, error) {
		tok, err := os.ReadFile(tokenFile)
		if err != nil {
			return expiring{}, fmt.Errorf("web identity token: %v", err)
		}
		form := url.Values{"Action": {"AssumeRoleWithWebIdentity"}, "Version": {"2011-06-15"}, "RoleArn": {roleARN},
			"RoleSessionName": {session}, "WebIdentityToken": {strings.TrimSpace(string(tok))}}
		req, err := http.NewRequestWithContext(ctx, "POST", stsEndpoint(region, endpoint)+"/", strings.NewReader(form.Encode()))
		if err != nil {
			return expiring{}, err
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		var res stsResult
		if err := doXML(hc, req, &res); err != nil {
			return expiring{}, fmt.Errorf("assume role %s with web identity: %w", roleARN, err)
		}
		return res.expiring()
	})
}

// stsClient is the client of the https credential requests when the remote names no CA
// bundle (Chain.client).
var stsClient = &http.Client{Timeout: 30 * time.Second}

func doXML(hc *http.Client, req *http.Request, out any) error {
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode != 200 {
		var e struct {
			Code    string `xml:"Error>Code"`
			Message string `xml:"Error>Message"`
		}
		xml.Unmarshal(data, &e)
		return fmt.Errorf("HTTP %d %s: %s", resp.StatusCode, e.Code, e.Message)
	}
	return xml.Unmarshal(data, out)
}
