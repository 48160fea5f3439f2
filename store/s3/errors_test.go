package s3_test

import (
	"testing"

	"git-remote-object-store/internal/testenv"
	"git-remote-object-store/store"
	"git-remote-object-store/store/s3"
)

// A bucket that does not exist is said in the user's words, the same for every
// operation (each would fail alike), on both S3 servers; it is not "not found", which
// would make an engine take the remote for an empty one. (Get and List: an answer to a
// HEAD has no body to name the code, and SeaweedFS creates a missing bucket on a write.
// Opening a remote reads FORMAT with a Get first.)
func TestMissingBucketWords(t *testing.T) {
	for name, cfg := range map[string]func(testing.TB) s3.Config{"versitygw": testenv.S3StoreConfig, "seaweedfs": testenv.SeaweedFSConfig} {
		t.Run(name, func(t *testing.T) {
			c := cfg(t) // a fresh name, never created
			st, err := s3.New(c)
			if err != nil {
				t.Fatal(err)
			}
			want := "bucket '" + c.Bucket + "' does not exist at " + c.Endpoint + " (HTTP 404 NoSuchBucket); create it, or fix the URL"
			_, _, getErr := st.Get(t.Context(), "repo/FORMAT", nil)
			listErr := st.List(t.Context(), "repo/", func(store.Info) error { return nil })
			for op, err := range map[string]error{"get": getErr, "list": listErr} {
				if err == nil || err.Error() != want {
					t.Errorf("%s in a missing bucket:\n got  %v\n want %s", op, err, want)
				}
				if store.IsNotFound(err) {
					t.Errorf("%s in a missing bucket is ErrNotFound", op)
				}
			}
		})
	}
}
