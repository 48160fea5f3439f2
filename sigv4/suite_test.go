package sigv4

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// suiteDir is AWS's signing test suite (aws-c-auth v4 cases, Apache-2.0), carried in
// testdata with its licence; testdata/README.md says where it comes from.
var suiteDir = filepath.Join("testdata", "aws-sigv4")

// s3Skips are the cases that normalise paths, which S3 never does.
var s3Skips = map[string]bool{
	"get-relative-normalized": true, "get-relative-relative-normalized": true, "get-slash-dot-slash-normalized": true,
	"get-slash-normalized": true, "get-slash-pointless-dot-normalized": true, "get-slashes-normalized": true,
}

type suiteContext struct {
	Credentials struct {
		AccessKeyID     string `json:"access_key_id"`
		SecretAccessKey string `json:"secret_access_key"`
		Token           string `json:"token"`
	} `json:"credentials"`
	Expiration  int    `json:"expiration_in_seconds"`
	Region      string `json:"region"`
	Service     string `json:"service"`
	Timestamp   string `json:"timestamp"`
	OmitSession bool   `json:"omit_session_token"`
	SignBody    bool   `json:"sign_body"`
}

// parseSuiteRequest reads request.txt: request line, headers (with continuation lines),
// blank line, body.
func parseSuiteRequest(t *testing.T, data string) (*http.Request, []byte) {
	t.Helper()
	br := bufio.NewReader(strings.NewReader(data))
	line, _ := br.ReadString('\n')
	line = strings.TrimRight(line, "\r\n")
	method, rest, _ := strings.Cut(line, " ")
	target := strings.TrimSuffix(rest, " HTTP/1.1")
	rawPath, rawQuery, _ := strings.Cut(target, "?")
	h := http.Header{}
	var last string
	var host string
	for {
		l, err := br.ReadString('\n')
		l = strings.TrimRight(l, "\r\n")
		if l == "" {
			break
		}
		if l[0] == ' ' || l[0] == '\t' {
			vs := h[last]
			vs[len(vs)-1] += " " + strings.TrimSpace(l)
			continue
		}
		k, v, _ := strings.Cut(l, ":")
		if strings.EqualFold(k, "host") {
			host = v
			continue
		}
		last = http.CanonicalHeaderKey(k)
		h[last] = append(h[last], v)
		if err != nil {
			break
		}
	}
	body, _ := readAllString(br)
	u := &url.URL{Scheme: "https", Host: host, Path: rawPath, RawPath: EncodePath(rawPath), RawQuery: rawQuery}
	return &http.Request{Method: method, URL: u, Host: host, Header: h}, []byte(body)
}

func readAllString(br *bufio.Reader) (string, error) {
	var b strings.Builder
	_, err := br.WriteTo(&b)
	return b.String(), err
}

func TestAWSSigningSuite(t *testing.T) {
	cases, err := os.ReadDir(suiteDir)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("AWS signing suite missing at %s (it belongs in the repository): %v", suiteDir, err)
		}
		t.Skipf("skipped: AWS signing suite not found at %s (see sigv4/testdata/README.md): %v", suiteDir, err)
	}
	ran := 0
	for _, c := range cases {
		if !c.IsDir() {
			continue
		}
		name := c.Name()
		t.Run(name, func(t *testing.T) {
			if s3Skips[name] {
				t.Skip("S3 never normalises paths")
			}
			read := func(f string) string {
				b, err := os.ReadFile(filepath.Join(suiteDir, name, f))
				if err != nil {
					t.Fatal(err)
				}
				return string(b)
			}
			var ctx suiteContext
			if err := json.Unmarshal([]byte(read("context.json")), &ctx); err != nil {
				t.Fatal(err)
			}
			now, _ := time.Parse(time.RFC3339, ctx.Timestamp)
			creds := Credentials{ctx.Credentials.AccessKeyID, ctx.Credentials.SecretAccessKey, ctx.Credentials.Token}
			if ctx.OmitSession {
				creds.SessionToken = "" // the token is added after signing in these cases
			}
			req, body := parseSuiteRequest(t, read("request.txt"))
			sum := sha256.Sum256(body)
			payload := hex.EncodeToString(sum[:])

			// Header form, step by step, then through Sign.
			if ctx.SignBody {
				req.Header.Set("X-Amz-Content-Sha256", payload)
			}
			hdr := req.Header.Clone()
			hdr.Set("X-Amz-Date", now.UTC().Format(amzDate))
			if creds.SessionToken != "" {
				hdr.Set("X-Amz-Security-Token", creds.SessionToken)
			}
			canon, signed := CanonicalHeaders(hdr, req.Host)
			creq := CanonicalRequest(req.Method, req.URL.RawPath, CanonicalQuery(queryParams(req.URL.RawQuery)), canon, signed, payload)
			if want := read("header-canonical-request.txt"); creq != want {
				t.Fatalf("canonical request\n%s\nwant\n%s", creq, want)
			}
			sts := StringToSign(now, Scope(now, ctx.Region, ctx.Service), creq)
			if want := read("header-string-to-sign.txt"); sts != want {
				t.Fatalf("string to sign\n%s\nwant\n%s", sts, want)
			}
			want := strings.TrimSpace(read("header-signature.txt"))
			if sig := Signature(SigningKey(creds.SecretAccessKey, now, ctx.Region, ctx.Service), sts); sig != want {
				t.Fatalf("signature %s, want %s", sig, want)
			}
			r2 := req.Clone(t.Context())
			Sign(r2, creds, ctx.Region, ctx.Service, now, payload)
			if !strings.HasSuffix(r2.Header.Get("Authorization"), "Signature="+want) {
				t.Fatalf("Sign produced %q", r2.Header.Get("Authorization"))
			}

			// Query (presigned) form.
			qreq := req.Clone(t.Context())
			qreq.Header.Del("X-Amz-Content-Sha256")
			u, err := url.Parse(Presign(qreq, creds, ctx.Region, ctx.Service, now, time.Duration(ctx.Expiration)*time.Second, payload))
			if err != nil {
				t.Fatal(err)
			}
			if got, want := u.Query().Get("X-Amz-Signature"), strings.TrimSpace(read("query-signature.txt")); got != want {
				t.Fatalf("presigned signature %s, want %s", got, want)
			}
			ran++
		})
	}
	if ran == 0 {
		t.Fatal("no suite case ran")
	}
}
