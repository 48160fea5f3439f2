package azblob_test

import (
	"bytes"
	"encoding/base64"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"git-remote-object-store/azauth"
	"git-remote-object-store/store/azblob"
	"git-remote-object-store/store/internal/httpstore"
	"git-remote-object-store/store/storetest"
)

// TestVerboseTraceHidesSecrets runs the object calls with the level-2 trace on, with a
// SAS and with a Shared Key, and checks that no SAS signature, SAS token, account key or
// Shared Key signature the server received appears in it.
func TestVerboseTraceHidesSecrets(t *testing.T) {
	const sas = "sv=2021-08-06&sr=c&sp=racwdl&se=2099-01-01T00%3A00%3A00Z&sig=Zm9vYmFyYmF6cXV4c2VjcmV0c2lnbmF0dXJl%2B%2F%3D"
	accountKey := base64.StdEncoding.EncodeToString([]byte("an account key that is secret!"))
	key, err := azauth.NewSharedKey("devstoreaccount1", accountKey)
	if err != nil {
		t.Fatal(err)
	}
	for name, auth := range map[string]azblob.Authorizer{
		"sas":        azblob.SAS{SAS: azauth.NewSAS(sas)},
		"shared key": azblob.SharedKey{SharedKey: key},
	} {
		t.Run(name, func(t *testing.T) {
			t.Setenv("GIT_REMOTE_OBJECT_STORE_VERBOSE", "2")
			var mu sync.Mutex
			secrets := []string{accountKey, sas, strings.TrimPrefix(sas, "?")}
			objects := map[string][]byte{}
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				mu.Lock()
				defer mu.Unlock()
				if sig := r.URL.Query().Get("sig"); sig != "" {
					secrets = append(secrets, sig, r.URL.RawQuery)
				}
				if _, sig, ok := strings.Cut(r.Header.Get("Authorization"), ":"); ok {
					secrets = append(secrets, sig)
				}
				switch body, ok := objects[r.URL.Path]; r.Method {
				case "PUT":
					b, _ := io.ReadAll(r.Body)
					objects[r.URL.Path] = b
					w.Header().Set("ETag", `"0x8D"`)
					w.WriteHeader(201)
				case "GET", "HEAD":
					if !ok {
						w.Header().Set("X-Ms-Error-Code", "BlobNotFound")
						w.WriteHeader(404)
						return
					}
					w.Header().Set("ETag", `"0x8D"`)
					w.Write(body)
				case "DELETE":
					delete(objects, r.URL.Path)
					w.WriteHeader(202)
				}
			}))
			defer srv.Close()
			var trace bytes.Buffer
			defer httpstore.TraceTo(&trace)()
			st, err := azblob.New(azblob.Config{Endpoint: srv.URL + "/devstoreaccount1", Container: "cont", Auth: auth})
			if err != nil {
				t.Fatal(err)
			}
			storetest.Exercise(t, st, "HEAD", "refs/heads/main")
			out := trace.String()
			for _, want := range []string{"PUT HEAD -> 201, 15 bytes sent", "GET HEAD -> 200, 0 bytes sent, 15 received", "HEAD missing -> 404", "DELETE HEAD -> 202", "> X-Ms-Version: "} {
				if !strings.Contains(out, want) {
					t.Errorf("trace lacks %q:\n%s", want, out)
				}
			}
			if len(secrets) < 7 {
				t.Fatalf("the server saw only %d secrets; the test checks nothing", len(secrets))
			}
			for _, s := range secrets {
				if strings.Contains(out, s) {
					t.Errorf("trace holds the secret %q:\n%s", s, out)
				}
			}
		})
	}
}
