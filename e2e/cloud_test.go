package e2e

import (
	"os"
	"strings"
	"testing"

	"git-remote-object-store/internal/testenv"
	"git-remote-object-store/store/s3"
)

func init() {
	cloudRemotes = append(cloudRemotes, remoteKind{
		name: "s3",
		newURL: func(t *testing.T, engine string) string {
			cfg := testenv.S3Bucket(t)
			return "s3+" + cfg.Endpoint + "/" + cfg.Bucket + "/team/repo?engine=" + engine
		},
	}, remoteKind{
		// A second, independent S3 implementation (SeaweedFS's S3 gateway), so the suite
		// proves S3's behaviour rather than versitygw's.
		name: "seaweedfs",
		newURL: func(t *testing.T, engine string) string {
			cfg := seaweedFSBucket(t)
			return "s3+" + cfg.Endpoint + "/" + cfg.Bucket + "/team/repo?engine=" + engine
		},
	}, remoteKind{
		name: "azblob",
		newURL: func(t *testing.T, engine string) string {
			cfg := testenv.AzureContainer(t)
			return "az+" + cfg.Endpoint + "/" + cfg.Container + "/team/repo?engine=" + engine
		},
	})
}

// seaweedFSBucket creates a fresh, empty bucket on the SeaweedFS server and returns its
// config. The helper processes sign with the one AWS_* key pair cloudEnv exports, so
// SeaweedFS must accept that pair (scripts/test-servers.sh gives both S3 servers the same).
func seaweedFSBucket(t testing.TB) s3.Config {
	t.Helper()
	cfg := testenv.SeaweedFSConfig(t)
	if id := os.Getenv("AWS_ACCESS_KEY_ID"); id != os.Getenv("GROS_TEST_S3B_ACCESS_KEY") || os.Getenv("AWS_SECRET_ACCESS_KEY") != os.Getenv("GROS_TEST_S3B_SECRET_KEY") {
		t.Fatal("GROS_TEST_S3B_ACCESS_KEY/SECRET_KEY differ from the AWS_* pair the helpers get (GROS_TEST_S3_*): give both S3 test servers one key pair")
	}
	st, err := s3.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.CreateBucket(t.Context()); err != nil {
		t.Fatalf("create test bucket on SeaweedFS: %v", err)
	}
	return cfg
}

// cloudEnv gives the helper processes the test servers' credentials the way a user
// would: AWS's own variables (versitygw's pair, else SeaweedFS's; the two are the same
// when scripts/test-servers.sh started them).
func cloudEnv() []string {
	var out []string
	for _, p := range []string{"GROS_TEST_S3_", "GROS_TEST_S3B_"} {
		if id := os.Getenv(p + "ACCESS_KEY"); id != "" {
			out = append(out, "AWS_ACCESS_KEY_ID="+id, "AWS_SECRET_ACCESS_KEY="+os.Getenv(p+"SECRET_KEY"),
				"AWS_REGION="+os.Getenv(p+"REGION"))
			break
		}
	}
	if key := os.Getenv("GROS_TEST_AZ_KEY"); key != "" {
		out = append(out, "AZURE_STORAGE_ACCOUNT="+os.Getenv("GROS_TEST_AZ_ACCOUNT"), "AZURE_STORAGE_KEY="+key)
	}
	return out
}

// A push without credentials, or with a wrong secret, fails with one line naming the
// fix, on both S3 servers (each checks the SigV4 signature itself).
func TestMissingCredentialsIsOneClearLine(t *testing.T) {
	for _, srv := range []struct {
		name string
		cfg  func(t testing.TB) s3.Config
		id   string
	}{
		{"s3", testenv.S3Bucket, "GROS_TEST_S3_ACCESS_KEY"},
		{"seaweedfs", seaweedFSBucket, "GROS_TEST_S3B_ACCESS_KEY"},
	} {
		t.Run(srv.name, func(t *testing.T) {
			w := newWorld(t)
			cfg := srv.cfg(t)
			src := w.repo(1)
			cmd := []string{"push", "s3+" + cfg.Endpoint + "/" + cfg.Bucket + "/r", "main"}
			for _, c := range []struct{ name, id, secret, want string }{
				{"none", "", "", "AWS_ACCESS_KEY_ID"},
				{"wrong secret", os.Getenv(srv.id), "not-the-secret", "secret key does not match"},
			} {
				t.Run(c.name, func(t *testing.T) {
					t.Setenv("AWS_ACCESS_KEY_ID", c.id)
					t.Setenv("AWS_SECRET_ACCESS_KEY", c.secret)
					out, err := w.try(src, cmd...)
					if err == nil || !strings.Contains(out, c.want) {
						t.Fatalf("push with %s credentials: %v\n%s", c.name, err, out)
					}
					if c.secret != "" && strings.Contains(out, c.secret) {
						t.Fatalf("the secret appears in the output:\n%s", out)
					}
				})
			}
		})
	}
}
