package redact

import (
	"bytes"
	"strings"
	"testing"
)

func TestStringForms(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"s3+http://AK:pw@host/b/p", "s3+http://AK:REDACTED@host/b/p"},
		{"fatal: 's3+http://AK:p%zzw@host/b/%zz': bad", "fatal: 's3+http://AK:REDACTED@host/b/%zz': bad"},
		{`Get "http://h/a/b?sv=1&sig=abc%2Bdef&se=2": refused`, `Get "http://h/a/b?sv=1&sig=REDACTED&se=2": refused`},
		{"?X-Amz-Signature=abcd&X-Amz-Credential=AK%2F2024&x-amz-security-token=tok", "?X-Amz-Signature=REDACTED&X-Amz-Credential=REDACTED&x-amz-security-token=REDACTED"},
		{"sig=abc", "sig=REDACTED"},
		{"DefaultEndpointsProtocol=https;AccountName=a;AccountKey=Zm9v+/=;EndpointSuffix=x", "DefaultEndpointsProtocol=https;AccountName=a;AccountKey=REDACTED;EndpointSuffix=x"},
		{"BlobEndpoint=x;SharedAccessSignature=sv=1&sig=abc", "BlobEndpoint=x;SharedAccessSignature=REDACTED"},
		{"Authorization: Bearer eyJ0eXAi.abc.def", "Authorization: Bearer REDACTED"},
		{"Authorization: SharedKey acct:c2lnbmF0dXJl", "Authorization: SharedKey acct:REDACTED"},
		{"AWS4-HMAC-SHA256 Credential=AK/x, SignedHeaders=host, Signature=0123456789abcdef0123", "AWS4-HMAC-SHA256 Credential=AK/x, SignedHeaders=host, Signature=REDACTED"},
		{`{"AccessKeyId":"AK","SecretAccessKey":"s\"x","Token":"t"}`, `{"AccessKeyId":"AK","SecretAccessKey":"REDACTED","Token":"REDACTED"}`},
		{"client_secret=abc&grant_type=x", "client_secret=REDACTED&grant_type=x"},
		{"plain message: nothing here", "plain message: nothing here"},
		{"refs/heads/signature", "refs/heads/signature"},
	} {
		if got := String(tc.in); got != tc.want {
			t.Errorf("String(%q)\n got %q\nwant %q", tc.in, got, tc.want)
		}
	}
}

func TestValues(t *testing.T) {
	FromEnv(env{
		"AWS_SECRET_ACCESS_KEY":           "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
		"AZURE_STORAGE_SAS_TOKEN":         "?sv=2022-11-02&sp=rl&sig=SASSIG%2Bvalue1",
		"AZURE_STORAGE_CONNECTION_STRING": "AccountName=a;AccountKey=CONNKEYvalue==",
		"AZURE_CLIENT_SECRET":             "entra~client~secret",
		"AWS_REGION":                      "us-east-1-not-secret",
	}.get)
	Named("aws_session_token", "SESSIONtoken123")
	in := "key wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY, escaped wJalrXUtnFEMI%2FK7MDENG%2BbPxRfiCYEXAMPLEKEY, " +
		"sas sv=2022-11-02&sp=rl&sig=SASSIG%2Bvalue1 decoded SASSIG+value1, key CONNKEYvalue==, " +
		"entra entra~client~secret, session SESSIONtoken123, region us-east-1-not-secret"
	got := String(in)
	for _, s := range []string{"wJalr", "SASSIG", "CONNKEY", "entra~", "SESSIONtoken"} {
		if strings.Contains(got, s) {
			t.Errorf("%q survives in %q", s, got)
		}
	}
	if !strings.Contains(got, "us-east-1-not-secret") {
		t.Errorf("a non-secret was masked: %q", got)
	}
	Secret("short")
	if got := String("a short word"); got != "a short word" {
		t.Errorf("short value masked: %q", got)
	}
}

type env map[string]string

func (e env) get(k string) string { return e[k] }

func TestWriterSplitSecret(t *testing.T) {
	Secret("SPLITSECRETvalue")
	var out bytes.Buffer
	w := NewWriter(&out)
	for _, part := range []string{"fatal: SPLITSEC", "RETvalue and sig=ab", "c\nprogress 50%\r", "tail"} {
		if _, err := w.Write([]byte(part)); err != nil {
			t.Fatal(err)
		}
	}
	if got := out.String(); got != "fatal: REDACTED and sig=REDACTED\nprogress 50%\r" {
		t.Errorf("before Flush: %q", got)
	}
	w.Flush()
	if got := out.String(); !strings.HasSuffix(got, "\rtail") {
		t.Errorf("after Flush: %q", got)
	}
	if Raw(w) != &out {
		t.Error("Raw did not unwrap")
	}
}
