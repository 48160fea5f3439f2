package azauth

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// The vectors of reference/cloud.md §4.1, which Azurite accepted.
func TestSharedKeyVectors(t *testing.T) {
	key, err := NewSharedKey("devstoreaccount1", DevStoreKey)
	if err != nil {
		t.Fatal(err)
	}
	now, _ := time.Parse(http.TimeFormat, "Mon, 01 Jan 2024 00:00:00 GMT")
	mk := func(method, rawURL string, length int64, h map[string]string) *http.Request {
		u, _ := url.Parse(rawURL)
		req := &http.Request{Method: method, URL: u, Header: http.Header{}, ContentLength: length}
		for k, v := range h {
			req.Header.Set(k, v)
		}
		req.Header.Set("X-Ms-Version", "2021-08-06")
		return req
	}
	cases := []struct {
		name string
		req  *http.Request
		sig  string
	}{
		{"put blob", mk("PUT", "http://127.0.0.1:10000/devstoreaccount1/gitrepo/vec/a%20b.txt", 5,
			map[string]string{"Content-Type": "text/plain", "If-None-Match": "*", "X-Ms-Blob-Type": "BlockBlob"}),
			"ZQ/0FvpzDJBodqW5//SBxyaESu2899nPon6PXHE8B18="},
		{"list blobs", mk("GET", "http://127.0.0.1:10000/devstoreaccount1/gitrepo?restype=container&comp=list&prefix=vec%2Fa%20b&maxresults=10", 0, nil),
			"tqi5EuX2/xkwpv9AyMww+adN+OlaSgplvpxnVeURLTo="},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			key.Sign(c.req, now)
			if got := c.req.Header.Get("Authorization"); got != "SharedKey devstoreaccount1:"+c.sig {
				t.Fatalf("Authorization %q\nstring to sign:\n%s", got, StringToSign(c.req, "devstoreaccount1"))
			}
		})
	}
}

func TestConnectionStrings(t *testing.T) {
	cases := []struct{ in, endpoint, account string }{
		{"DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=" + DevStoreKey + ";EndpointSuffix=core.chinacloudapi.cn", "https://acct.blob.core.chinacloudapi.cn", "acct"},
		{"accountname=acct;accountkey=" + DevStoreKey, "https://acct.blob.core.windows.net", "acct"},
		{"UseDevelopmentStorage=true", "http://127.0.0.1:10000/devstoreaccount1", "devstoreaccount1"},
		{"BlobEndpoint=http://10.0.0.1:10000/acct;SharedAccessSignature=sv=2021&sig=a+b%3D", "http://10.0.0.1:10000/acct", ""},
	}
	for _, c := range cases {
		cs, err := ParseConnectionString(c.in)
		if err != nil || cs.BlobEndpoint != c.endpoint || cs.Account != c.account {
			t.Errorf("%q: %+v %v", c.in, cs, err)
		}
	}
	for _, bad := range []string{"", "AccountName=a", "garbage", "AccountKey=secretvalue"} {
		_, err := ParseConnectionString(bad)
		if err == nil {
			t.Errorf("%q accepted", bad)
		} else if strings.Contains(err.Error(), "secretvalue") {
			t.Errorf("error leaks a secret: %v", err)
		}
	}
}

func TestSecretsNeverPrinted(t *testing.T) {
	k, _ := NewSharedKey("acct", DevStoreKey)
	cs, _ := ParseConnectionString("AccountName=acct;AccountKey=" + DevStoreKey)
	for _, s := range []string{k.String(), NewSAS("?sv=1&sig=SECRETSIG").String(), cs.String()} {
		if strings.Contains(s, "Eby8") || strings.Contains(s, "SECRETSIG") {
			t.Fatalf("secret in %q", s)
		}
	}
}

func TestSASAppendedVerbatim(t *testing.T) {
	u, _ := url.Parse("https://a.blob.core.windows.net/c/b?comp=block")
	req := &http.Request{URL: u, Header: http.Header{}}
	NewSAS("?sv=2021-08-06&sig=a+b%2F=").Apply(req, time.Now())
	if req.URL.RawQuery != "comp=block&sv=2021-08-06&sig=a+b%2F=" {
		t.Fatalf("query %q", req.URL.RawQuery)
	}
}

func FuzzParseConnectionString(f *testing.F) {
	f.Add("DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=a2V5;EndpointSuffix=core.windows.net")
	f.Fuzz(func(t *testing.T, s string) {
		c, err := ParseConnectionString(s)
		if err != nil {
			return
		}
		if c.BlobEndpoint == "" || c.Key == "" && c.SAS == "" {
			t.Fatalf("accepted %q without endpoint or secret: %v", s, c)
		}
	})
}
