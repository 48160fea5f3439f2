package azblob

import (
	"encoding/xml"
	"testing"
)

func FuzzEnumerationXML(f *testing.F) {
	f.Add([]byte(`<EnumerationResults><Blobs><Blob><Name>a b</Name><Properties><Last-Modified>Mon, 01 Jan 2024 00:00:00 GMT</Last-Modified><Etag>0x1</Etag><Content-Length>3</Content-Length></Properties></Blob></Blobs><NextMarker>m</NextMarker></EnumerationResults>`))
	f.Add([]byte(`<Error><Code>BlobNotFound</Code><Message>x</Message></Error>`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var page enumeration
		if xml.Unmarshal(data, &page) != nil {
			return
		}
		// Whatever the server sends, decoding it again gives the same page (no hidden state).
		var again enumeration
		xml.Unmarshal(data, &again)
		if len(again.Blobs) != len(page.Blobs) || again.NextMarker != page.NextMarker {
			t.Fatalf("decoding is not deterministic")
		}
	})
}
