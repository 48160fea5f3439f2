package azauth

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// fakeAz writes an `az` that records its arguments and then runs body, into a directory
// put first in PATH. (The real CLI needs a login no test machine has.)
func fakeAz(t *testing.T, body string) (argsFile string) {
	t.Helper()
	dir := t.TempDir()
	argsFile = filepath.Join(dir, "args")
	script := "#!/bin/sh\necho \"$@\" > '" + argsFile + "'\n" + body + "\n"
	if err := os.WriteFile(filepath.Join(dir, "az"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", dir+string(os.PathListSeparator)+os.Getenv("PATH"))
	return argsFile
}

func TestAzureCLI(t *testing.T) {
	const token = "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.cli-token.sig"
	expires := time.Now().Add(50 * time.Minute).Truncate(time.Second)
	cases := []struct {
		name, tenant, body string
		timeout            time.Duration
		wantArgs           string
		wantExpires        time.Time
		wantErr            string
	}{
		{"expires_on (Unix seconds)", "", `echo '{"accessToken":"` + token + `","expiresOn":"2000-01-01 00:00:00.000000","expires_on":` + strconv.FormatInt(expires.Unix(), 10) + `,"tokenType":"Bearer"}'`,
			0, "account get-access-token --resource https://storage.azure.com --output json", expires, ""},
		{"expiresOn (local time, older CLIs)", "contoso-tenant", `echo '{"accessToken":"` + token + `","expiresOn":"` + expires.Local().Format("2006-01-02 15:04:05.000000") + `"}'`,
			0, "account get-access-token --resource https://storage.azure.com --output json --tenant contoso-tenant", expires, ""},
		{"not logged in", "", `echo "ERROR: Please run 'az login' to setup account." >&2; exit 1`, 0, "", time.Time{}, "not logged in; run `az login`"},
		{"other failure, first line", "", `echo "ERROR: AADSTS50076: MFA required" >&2; echo "more" >&2; exit 1`, 0, "", time.Time{}, "AADSTS50076: MFA required"},
		{"no token printed", "", `echo '{}'`, 0, "", time.Time{}, "printed no token"},
		{"hangs", "", `sleep 30`, 300 * time.Millisecond, "", time.Time{}, "did not finish within 300ms"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			argsFile := fakeAz(t, c.body)
			src, ok := CLIFromPath(c.tenant)
			if !ok {
				t.Fatal("az in PATH was not found")
			}
			cli := src.(*Cached).Source.(AzureCLI)
			cli.Timeout = c.timeout
			start := time.Now()
			tok, err := cli.Token(t.Context())
			if c.wantErr != "" {
				if !errors.Is(err, ErrNoToken) || !strings.Contains(err.Error(), c.wantErr) {
					t.Fatalf("got %v, want ErrNoToken saying %q", err, c.wantErr)
				}
				if time.Since(start) > 10*time.Second {
					t.Fatalf("took %v: the timeout did not hold", time.Since(start))
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tok.Value != token || !tok.Expires.Equal(c.wantExpires) {
				t.Fatalf("got %q expiring %v, want expiry %v", tok.Value, tok.Expires, c.wantExpires)
			}
			args, _ := os.ReadFile(argsFile)
			if got := strings.TrimSpace(string(args)); got != c.wantArgs {
				t.Fatalf("az ran with %q, want %q", got, c.wantArgs)
			}
			if strings.Contains(tok.String(), token) {
				t.Fatal("Token.String shows the token")
			}
		})
	}
}

func TestCLIFromPathWithoutAz(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	if _, ok := CLIFromPath(""); ok {
		t.Fatal("found an az that is not there")
	}
}
