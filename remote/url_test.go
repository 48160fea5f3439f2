package remote

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func TestParse(t *testing.T) {
	cases := []struct {
		in   string
		want Location
	}{
		{"s3+https://my-bucket.s3.us-west-2.amazonaws.com/my-repo",
			Location{Backend: S3, Endpoint: "https://s3.us-west-2.amazonaws.com", Bucket: "my-bucket", Prefix: "my-repo", Region: "us-west-2"}},
		{"s3+https://s3.us-west-2.amazonaws.com/my-bucket/team/my-repo",
			Location{Backend: S3, Endpoint: "https://s3.us-west-2.amazonaws.com", Bucket: "my-bucket", Prefix: "team/my-repo", Region: "us-west-2", PathStyle: true}},
		{"s3+https://my-bucket.s3.amazonaws.com/r",
			Location{Backend: S3, Endpoint: "https://s3.amazonaws.com", Bucket: "my-bucket", Prefix: "r", Region: "us-east-1"}},
		{"s3+https://my-bucket.s3.dualstack.eu-central-1.amazonaws.com/r",
			Location{Backend: S3, Endpoint: "https://s3.dualstack.eu-central-1.amazonaws.com", Bucket: "my-bucket", Prefix: "r", Region: "eu-central-1"}},
		{"s3+http://127.0.0.1:7070/my-bucket/my-repo",
			Location{Backend: S3, Endpoint: "http://127.0.0.1:7070", Bucket: "my-bucket", Prefix: "my-repo", PathStyle: true}},
		{"s3+https://minio.example.com/b12/x?style=virtual&region=eu-1",
			Location{Backend: S3, Endpoint: "https://minio.example.com", Bucket: "b12", Prefix: "x", Region: "eu-1"}},
		{"s3+https://s3.example.com/bkt?engine=packchain&zip=1&credential=PROD",
			Location{Backend: S3, Endpoint: "https://s3.example.com", Bucket: "bkt", PathStyle: true, Engine: "packchain", Zip: true, Credential: "PROD"}},
		{"az+https://myaccount.blob.core.windows.net/my-container/my-repo?credential=PROD",
			Location{Backend: Azure, Endpoint: "https://myaccount.blob.core.windows.net", Account: "myaccount", Bucket: "my-container", Prefix: "my-repo", Credential: "PROD"}},
		{"az+http://127.0.0.1:10000/devstoreaccount1/my-container/my-repo",
			Location{Backend: Azure, Endpoint: "http://127.0.0.1:10000/devstoreaccount1", Account: "devstoreaccount1", Bucket: "my-container", Prefix: "my-repo"}},
		{"fs+file:///media/usb/git/my-repo",
			Location{Backend: FS, Dir: "/media/usb/git/my-repo"}},
		{"s3://my-bucket/my-repo",
			Location{Backend: S3, Bucket: "my-bucket", Prefix: "my-repo", AWSLabs: true}},
		{"s3://work@my-bucket/a/b",
			Location{Backend: S3, Bucket: "my-bucket", Prefix: "a/b", AWSLabs: true, Profile: "work"}},
		{"s3+zip://my-bucket/my-repo",
			Location{Backend: S3, Bucket: "my-bucket", Prefix: "my-repo", AWSLabs: true, Zip: true}},
	}
	for _, c := range cases {
		t.Run(c.in, func(t *testing.T) {
			got, err := Parse(c.in)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if diff := cmp.Diff(c.want, *got, cmpopts.IgnoreFields(Location{}, "URL", "Scheme")); diff != "" {
				t.Fatalf("(-want +got)\n%s", diff)
			}
		})
	}
}

func TestParseRejects(t *testing.T) {
	for _, in := range []string{
		"http://example.com/x", "s3+https://s3.example.com/bkt?frobnicate=1", "s3+https://s3.example.com/bkt?engine=git",
		"s3+https://s3.example.com/bkt?zip=yes", "s3+https://s3.example.com/BAD_bucket/x", "s3+https://s3.example.com/bkt/a/../b",
		"fs+file://host/dir", "fs+file:///", "az+https://acct.blob.core.windows.net/", "az+http://127.0.0.1:1/acct",
		"s3+https://s3.example.com/bkt?credential=a/b", "s3://user:secret@bucket/x", "s3+https://s3.example.com/bkt?engine=bundle&engine=packchain",
	} {
		t.Run(in, func(t *testing.T) {
			_, err := Parse(in)
			if !errors.Is(err, ErrURL) {
				t.Fatalf("Parse(%q) = %v, want ErrURL", in, err)
			}
			if strings.Contains(err.Error(), "secret") {
				t.Fatalf("error leaks a password: %v", err)
			}
		})
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"s3+https://b.s3.us-west-2.amazonaws.com/r", "az+http://127.0.0.1:1/acct/cont/p?zip=1", "fs+file:///x/y", "s3://p@b/x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		loc, err := Parse(s)
		if err != nil {
			return
		}
		if loc.Backend == "" || (loc.Backend != FS && loc.Bucket == "") {
			t.Fatalf("accepted %q without backend or bucket: %+v", s, loc)
		}
		again, err := Parse(s)
		if err != nil || *again != *loc {
			t.Fatalf("parse not deterministic for %q", s)
		}
		if strings.Contains(loc.Prefix, "..") && strings.Contains("/"+loc.Prefix+"/", "/../") {
			t.Fatalf("prefix escapes: %q", loc.Prefix)
		}
	})
}

func TestRedact(t *testing.T) {
	for in, want := range map[string]string{
		"s3+https://s3.example.com/b":                                 "s3+https://s3.example.com/b",
		"s3+https://u:pw@s3.example.com/b":                            "s3+https://u:REDACTED@s3.example.com/b",
		"az+https://a.blob.core.windows.net/c?sv=1&sig=abc%3D&sp=r":   "az+https://a.blob.core.windows.net/c?sv=1&sig=REDACTED&sp=r",
		"az+https://a.blob.core.windows.net/c?SIG=abc#frag":           "az+https://a.blob.core.windows.net/c?SIG=REDACTED#frag",
		"s3+https://h/b?X-Amz-Signature=abc&X-Amz-Security-Token=tok": "s3+https://h/b?X-Amz-Signature=REDACTED&X-Amz-Security-Token=REDACTED",
		"fs+file:///x?engine=packchain":                               "fs+file:///x?engine=packchain",
	} {
		if got := Redact(in); got != want {
			t.Errorf("Redact(%q) = %q, want %q", in, got, want)
		}
	}
}

// A SAS URL pasted from the Azure portal is refused with what to do instead, and its
// signature never appears in the message.
func TestParseRefusesSASURL(t *testing.T) {
	for in, wantURL := range map[string]string{
		"az+https://acct.blob.core.windows.net/c/r?sv=2022-11-02&sp=rl&sig=TOPSECRET%3D": "use az+https://acct.blob.core.windows.net/c/r",
		"az+http://127.0.0.1:10000/acct/c?engine=packchain&se=2030-01-01&sig=TOPSECRET":  "use az+http://127.0.0.1:10000/acct/c?engine=packchain",
		"az+https://acct.blob.core.windows.net/c?sv=2022-11-02":                          "use az+https://acct.blob.core.windows.net/c",
	} {
		_, err := Parse(in)
		if !errors.Is(err, ErrURL) || !strings.Contains(err.Error(), "AZURE_STORAGE_SAS_TOKEN") || !strings.HasSuffix(err.Error(), wantURL) {
			t.Errorf("Parse(%q) = %v, want ErrURL naming AZURE_STORAGE_SAS_TOKEN, ending %q", in, err, wantURL)
		}
		if err != nil && strings.Contains(err.Error(), "TOPSECRET") {
			t.Errorf("the signature leaks: %v", err)
		}
	}
	// Other schemes have no SAS: there sig is an unknown option, still redacted.
	if _, err := Parse("s3+https://s3.example.com/b?sig=TOPSECRET"); !errors.Is(err, ErrURL) || strings.Contains(err.Error(), "TOPSECRET") || !strings.Contains(err.Error(), `unknown option "sig"`) {
		t.Errorf("s3 URL with sig= : %v", err)
	}
}
