package s3

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"git-remote-object-store/store"
)

// uploadsS3 answers ListMultipartUploads and ListParts over a fixed set of uploads the way
// AWS documents it (sorted by key, then upload id; key-marker with upload-id-marker
// resumes inside a key), or, with rejectIDMarker, the way versitygw 1.8.0 does (400 for
// any upload-id-marker).
type uploadsS3 struct {
	uploads        [][2]string // key, upload id; sorted
	rejectIDMarker bool
	pages          int
}

func (f *uploadsS3) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if r.Method != "GET" {
		w.WriteHeader(405)
		return
	}
	if id := q.Get("uploadId"); id != "" { // ListParts: two parts of 5 and 7 bytes
		io.WriteString(w, `<ListPartsResult><IsTruncated>false</IsTruncated><Part><Size>5</Size></Part><Part><Size>7</Size></Part></ListPartsResult>`)
		return
	}
	f.pages++
	km, im, prefix := q.Get("key-marker"), q.Get("upload-id-marker"), q.Get("prefix")
	if im != "" && f.rejectIDMarker {
		w.WriteHeader(400)
		io.WriteString(w, `<Error><Code>InvalidArgument</Code><Message>Invalid uploadId marker</Message></Error>`)
		return
	}
	max, _ := strconv.Atoi(q.Get("max-uploads"))
	var b strings.Builder
	b.WriteString("<ListMultipartUploadsResult>")
	n := 0
	for i, u := range f.uploads {
		if !strings.HasPrefix(u[0], prefix) {
			continue
		}
		if km != "" && (u[0] < km || u[0] == km && (im == "" || u[1] <= im)) {
			continue
		}
		if n == max {
			prev := f.uploads[i-1]
			fmt.Fprintf(&b, "<IsTruncated>true</IsTruncated><NextKeyMarker>%s</NextKeyMarker><NextUploadIdMarker>%s</NextUploadIdMarker>", prev[0], prev[1])
			break
		}
		fmt.Fprintf(&b, "<Upload><Key>%s</Key><UploadId>%s</UploadId><Initiated>2024-05-01T10:00:00.000Z</Initiated></Upload>", u[0], u[1])
		n++
	}
	b.WriteString("</ListMultipartUploadsResult>")
	io.WriteString(w, b.String())
}

func TestListGarbagePages(t *testing.T) {
	uploads := [][2]string{{"a/1", "u1"}, {"a/1", "u2"}, {"a/1", "u3"}, {"a/2", "u4"}, {"b/1", "u5"}}
	for _, buggy := range []bool{false, true} {
		t.Run(fmt.Sprint("rejectIDMarker=", buggy), func(t *testing.T) {
			fake := &uploadsS3{uploads: uploads, rejectIDMarker: buggy}
			srv := httptest.NewServer(fake)
			defer srv.Close()
			policy := store.Policy{Attempts: 1, Sleep: func(context.Context, time.Duration) error { return nil }}
			st, _ := New(Config{Endpoint: srv.URL, Bucket: "b", PathStyle: true, ListPageSize: 2,
				Credentials: Static{AccessKeyID: "a", SecretAccessKey: "s"}, Policy: &policy})
			var got []string
			err := st.ListGarbage(t.Context(), "a/", time.Now(), func(g store.Garbage) error {
				if g.Kind != store.GarbageMultipart || g.Size != 12 || !g.Time.Equal(time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC)) {
					t.Errorf("leftover %+v", g)
				}
				got = append(got, g.Key+" "+g.ID)
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			want := []string{"a/1 u1", "a/1 u2", "a/1 u3", "a/2 u4"}
			if buggy {
				// The page after u2 cannot resume inside a/1: u3 waits for the next run.
				want = []string{"a/1 u1", "a/1 u2", "a/2 u4"}
			}
			if !slices.Equal(got, want) {
				t.Fatalf("listed %q, want %q", got, want)
			}
			var none []string
			st.ListGarbage(t.Context(), "a/", time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC), func(g store.Garbage) error {
				none = append(none, g.Key)
				return nil
			})
			if len(none) != 0 {
				t.Fatalf("uploads initiated at the cutoff were listed: %v", none)
			}
		})
	}
}
