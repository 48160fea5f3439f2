package e2e

import (
	"os"
	"strings"
	"testing"

	"git-remote-object-store/internal/testenv"
)

func init() {
	cloudRemotes = append(cloudRemotes, remoteKind{
		name: "s3",
		newURL: func(t *testing.T, engine string) string {
			cfg := testenv.S3Bucket(t)
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

// cloudEnv gives the helper processes the test servers' credentials the way a user
// would: AWS's own variables.
func cloudEnv() []string {
	var out []string
	if id := os.Getenv("GROS_TEST_S3_ACCESS_KEY"); id != "" {
		out = append(out, "AWS_ACCESS_KEY_ID="+id, "AWS_SECRET_ACCESS_KEY="+os.Getenv("GROS_TEST_S3_SECRET_KEY"),
			"AWS_REGION="+os.Getenv("GROS_TEST_S3_REGION"))
	}
	if key := os.Getenv("GROS_TEST_AZ_KEY"); key != "" {
		out = append(out, "AZURE_STORAGE_ACCOUNT="+os.Getenv("GROS_TEST_AZ_ACCOUNT"), "AZURE_STORAGE_KEY="+key)
	}
	return out
}

func TestMissingCredentialsIsOneClearLine(t *testing.T) {
	w := newWorld(t)
	cfg := testenv.S3Bucket(t)
	src := w.repo(1)
	cmd := []string{"push", "s3+" + cfg.Endpoint + "/" + cfg.Bucket + "/r", "main"}
	for _, c := range []struct{ name, id, secret, want string }{
		{"none", "", "", "AWS_ACCESS_KEY_ID"},
		{"wrong secret", os.Getenv("GROS_TEST_S3_ACCESS_KEY"), "not-the-secret", "secret key does not match"},
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
}
