package remote

import (
	"errors"
	"strings"
	"testing"
)

// TestAddressingAlias: the seed's addressing= means style=.
func TestAddressingAlias(t *testing.T) {
	cases := []struct {
		url       string
		pathStyle bool
		wantErr   string
	}{
		{"s3+https://minio.example.com/b12/x?addressing=virtual", false, ""},
		{"s3+https://b12.s3.eu-west-1.amazonaws.com/x?addressing=path", true, ""},
		{"s3+https://minio.example.com/b12/x?addressing=path&style=path", true, ""},
		{"s3+https://minio.example.com/b12/x?addressing=path&style=virtual", false, "disagree"},
		{"s3+https://minio.example.com/b12/x?addressing=sideways", false, `addressing="sideways"`},
	}
	for _, c := range cases {
		t.Run(c.url, func(t *testing.T) {
			loc, err := Parse(c.url)
			if c.wantErr != "" {
				if !errors.Is(err, ErrURL) || !strings.Contains(err.Error(), c.wantErr) {
					t.Fatalf("got %v, want an error saying %q", err, c.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if loc.PathStyle != c.pathStyle {
				t.Fatalf("PathStyle = %v, want %v", loc.PathStyle, c.pathStyle)
			}
		})
	}
}

// TestPlainHTTPOnlyWhereSafe: s3+http and az+http go to this machine freely, elsewhere
// only with insecure=1 or GIT_REMOTE_OBJECT_STORE_ALLOW_HTTP=1.
func TestPlainHTTPOnlyWhereSafe(t *testing.T) {
	cases := []struct {
		url, allow string
		ok         bool
	}{
		{"s3+http://127.0.0.1:7070/bkt/repo", "", true},
		{"s3+http://127.5.6.7:7070/bkt/repo", "", true},
		{"s3+http://[::1]:7070/bkt/repo", "", true},
		{"s3+http://localhost:7070/bkt/repo", "", true},
		{"az+http://127.0.0.1:10000/devstoreaccount1/cont/repo", "", true},
		{"s3+http://10.0.0.5:9000/bkt/repo", "", false},
		{"s3+http://minio.corp.example/bkt/repo", "", false},
		{"az+http://azurite.internal:10000/devstoreaccount1/cont/repo", "", false},
		{"s3+http://minio.corp.example/bkt/repo?insecure=1", "", true},
		{"s3+http://minio.corp.example/bkt/repo?insecure=0", "1", true},
		{"s3+http://minio.corp.example/bkt/repo", "1", true},
		{"s3+http://minio.corp.example/bkt/repo", "0", false},
		{"s3+https://minio.corp.example/bkt/repo", "", true},
	}
	for _, c := range cases {
		t.Run(c.url+" allow="+c.allow, func(t *testing.T) {
			t.Setenv("GIT_REMOTE_OBJECT_STORE_ALLOW_HTTP", c.allow)
			_, err := Parse(c.url)
			if c.ok && err != nil {
				t.Fatal(err)
			}
			if !c.ok && (!errors.Is(err, ErrURL) || !strings.Contains(err.Error(), "unencrypted") || !strings.Contains(err.Error(), "GIT_REMOTE_OBJECT_STORE_ALLOW_HTTP=1")) {
				t.Fatalf("got %v, want a refusal that says why and how to allow it", err)
			}
		})
	}
}
