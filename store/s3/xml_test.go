package s3

import (
	"bytes"
	"strings"
	"testing"

	"git-remote-object-store/store/internal/httpstore"
)

func FuzzListXML(f *testing.F) {
	f.Add([]byte(`<ListBucketResult><IsTruncated>true</IsTruncated><NextContinuationToken>t</NextContinuationToken><Contents><Key>a b</Key><LastModified>2026-01-01T00:00:00.000Z</LastModified><ETag>&quot;x&quot;</ETag><Size>3</Size></Contents></ListBucketResult>`))
	f.Add([]byte(`<Error><Code>NoSuchKey</Code><Message>m</Message></Error>`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var page listResult
		if err := httpstore.DecodeXML(bytes.NewReader(data), xmlLimit, &page); err == nil {
			for _, c := range page.Contents {
				if c.Size < 0 && strings.Contains(string(data), "<Size>-") == false {
					t.Fatalf("negative size from %q", data)
				}
			}
		}
		if e, ok := parseError(bytes.NewReader(data)); ok && e.Code == "" {
			t.Fatalf("parseError accepted a document without a code")
		}
	})
}
