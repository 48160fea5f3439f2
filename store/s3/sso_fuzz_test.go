package s3

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"
)

// ssoMessages are the only texts the SSO parsers may fail with: fixed, so no byte of
// the token file or the portal's answer (which hold the secrets) can reach a message.
var ssoMessages = []string{
	errSSOTokenUnreadable.Error(), errSSOTokenExpired.Error(),
	"unreadable answer", "the answer holds no access key",
}

// checkSecretsOut fails when err is not one of ssoMessages, or carries any JSON string
// or number data holds. A value that is itself part of a fixed message (say
// "unreadable") is skipped: finding it there says nothing about where it came from.
func checkSecretsOut(t *testing.T, data []byte, err error) {
	t.Helper()
	msg := err.Error()
	fixed := false
	for _, m := range ssoMessages {
		fixed = fixed || msg == m
	}
	if !fixed {
		t.Fatalf("error %q is not one of the fixed messages", msg)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	for {
		tok, err := dec.Token()
		if err != nil {
			break
		}
		var v string
		switch tok := tok.(type) {
		case string:
			v = tok
		case json.Number:
			v = tok.String()
		}
		if len(v) < 4 || strings.Contains(strings.Join(ssoMessages, "\n"), v) {
			continue
		}
		if strings.Contains(msg, v) {
			t.Fatalf("error %q carries %q from the input", msg, v)
		}
	}
}

// FuzzParseSSOToken: any token cache file, read at any time. A token is handed out only
// before its expiry, never at or after it, and failures say nothing from the file.
func FuzzParseSSOToken(f *testing.F) {
	at := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	good := `{"startUrl":"https://d-123.awsapps.com/start","region":"eu-west-1","accessToken":"aoaAAAAAGWsecret",` +
		`"expiresAt":"2025-06-01T13:00:00Z","clientId":"client","clientSecret":"client-secret","refreshToken":"r3fr3sh"}`
	for _, s := range []string{
		good,
		strings.Replace(good, "13:00:00Z", "11:00:00Z", 1),
		strings.Replace(good, "13:00:00Z", "13:00:00+02:00", 1),
		strings.Replace(good, "13:00:00Z", "13:00:00UTC", 1), // what older AWS CLIs wrote
		`{"accessToken":"","expiresAt":"2099-01-01T00:00:00Z"}`,
		`{"accessToken":12345678901234567890,"expiresAt":"2099-01-01T00:00:00Z"}`,
		`{"ACCESSTOKEN":"x","expiresat":"2099-01-01T00:00:00Z"}`,
		`{"accessToken":"secret-token-value","expiresAt":"2099-01-01T00:00:00Z"`,
		good[:len(good)/2],
		`null`, `[]`, ``,
	} {
		f.Add([]byte(s), at.Unix())
	}
	f.Fuzz(func(t *testing.T, data []byte, nowUnix int64) {
		now := time.Unix(nowUnix, 0)
		token, exp, err := parseSSOToken(data, now)
		if err != nil {
			if token != "" {
				t.Fatalf("a token beside error %v", err)
			}
			checkSecretsOut(t, data, err)
			return
		}
		if token == "" || !now.Before(exp) {
			t.Fatalf("token %q handed out at %v, expiring %v", token, now, exp)
		}
		for _, later := range []time.Time{exp, exp.Add(time.Nanosecond), exp.Add(24 * time.Hour)} {
			if tok, _, err := parseSSOToken(data, later); !errors.Is(err, errSSOTokenExpired) || tok != "" {
				t.Fatalf("at %v, expiry %v: token %q, error %v; want it refused as expired", later, exp, tok, err)
			}
		}
	})
}

// FuzzParseRoleCredentials: any GetRoleCredentials answer. Accepted credentials have a
// key and a secret, and an expiry only when the answer gives one; failures say nothing
// from the answer.
func FuzzParseRoleCredentials(f *testing.F) {
	good := `{"roleCredentials":{"accessKeyId":"ASIAEXAMPLE","secretAccessKey":"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",` +
		`"sessionToken":"FwoGZXIvYXdzEJr//////////wEaDOpc8Q","expiration":1748779200000}}`
	for _, s := range []string{
		good,
		strings.Replace(good, "1748779200000", "0", 1),
		strings.Replace(good, "1748779200000", "-1", 1),
		strings.Replace(good, "1748779200000", `"1748779200000"`, 1),
		strings.Replace(good, "1748779200000", "1e400", 1),
		strings.Replace(good, `"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"`, "123456789012345678901234567890", 1),
		`{"roleCredentials":{"accessKeyId":"ASIAEXAMPLE"}}`,
		`{"roleCredentials":null}`,
		good[:len(good)/2],
		`{"message":"Session token not found or invalid"}`,
		``,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		e, err := parseRoleCredentials(body)
		if err != nil {
			checkSecretsOut(t, body, err)
			return
		}
		if e.creds.AccessKeyID == "" || e.creds.SecretAccessKey == "" {
			t.Fatalf("accepted credentials without a key or secret: %q", body)
		}
		var raw struct {
			RoleCredentials struct {
				Expiration json.Number `json:"expiration"`
			} `json:"roleCredentials"`
		}
		// The expiry is checked against a decoding of its own: present and positive, it
		// is that many milliseconds; else the credentials never expire.
		if err := json.Unmarshal(body, &raw); err != nil {
			t.Fatalf("accepted an answer json cannot decode: %v", err)
		}
		ms, _ := raw.RoleCredentials.Expiration.Int64()
		switch {
		case ms > 0 && !e.expires.Equal(time.UnixMilli(ms)):
			t.Fatalf("expiration %d read as %v", ms, e.expires)
		case ms <= 0 && !e.expires.IsZero():
			t.Fatalf("expiration %q read as %v", raw.RoleCredentials.Expiration, e.expires)
		}
	})
}
