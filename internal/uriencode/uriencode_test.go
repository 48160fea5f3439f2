package uriencode

import (
	"net/url"
	"testing"
)

func TestEncodePathS3Rules(t *testing.T) {
	for in, want := range map[string]string{
		"/bkt/a b+c:d=&e":   "/bkt/a%20b%2Bc%3Ad%3D%26e",
		"/a//b/./c/../d":    "/a//b/./c/../d",
		"/ü~_-.":            "/%C3%BC~_-.",
		"/refs/heads/LOCK#": "/refs/heads/LOCK%23",
		"":                  "/",
	} {
		if got := Path(in); got != want {
			t.Errorf("Path(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestQuerySortsEncodedNamesThenValues(t *testing.T) {
	got := Query([]Param{{"prefix", "a b/c"}, {"uploads", ""}, {"comp", "list"}, {"a", "2"}, {"a", "1"}})
	if want := "a=1&a=2&comp=list&prefix=a%20b%2Fc&uploads="; got != want {
		t.Fatalf("Query = %q, want %q", got, want)
	}
}

func FuzzEncodeRoundTrip(f *testing.F) {
	f.Add("/bkt/a b+c:d=&e/ü")
	f.Add("x?y#z%")
	f.Fuzz(func(t *testing.T, s string) {
		for _, enc := range []string{Path(s), Component(s)} {
			dec, err := url.PathUnescape(enc)
			if s == "" && enc == "/" {
				continue
			}
			if err != nil || dec != s {
				t.Fatalf("encoding %q gave %q which decodes to %q (%v)", s, enc, dec, err)
			}
			for i := 0; i < len(enc); i++ {
				if c := enc[i]; c != '%' && c != '/' && !unreserved(c) {
					t.Fatalf("%q left %q unencoded", enc, c)
				}
			}
		}
	})
}
