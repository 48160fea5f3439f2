package azauth

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"time"

	"git-remote-object-store/internal/redact"
)

// CLITimeout bounds one run of the Azure CLI: long enough for its Python to start on a
// slow laptop, short against git's patience when it hangs (a stuck proxy, a prompt).
const CLITimeout = 20 * time.Second

// AzureCLI gets a token from the Azure CLI a developer logged in with (`az login`), by
// running `az account get-access-token --resource https://storage.azure.com`: besides a
// profile's credential_process, the one program this tool runs, and only as the last
// Entra ID source, as Azure's DefaultAzureCredential tries it.
type AzureCLI struct {
	Path    string        // the az executable; "" = "az" from PATH
	Tenant  string        // AZURE_TENANT_ID: a token for that tenant instead of the default
	Timeout time.Duration // 0 = CLITimeout
}

// Token implements TokenSource.
func (a AzureCLI) Token(ctx context.Context) (Token, error) {
	timeout := a.Timeout
	if timeout <= 0 {
		timeout = CLITimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	path := a.Path
	if path == "" {
		path = "az"
	}
	args := []string{"account", "get-access-token", "--resource", strings.TrimSuffix(StorageResource, "/"), "--output", "json"}
	if a.Tenant != "" {
		args = append(args, "--tenant", a.Tenant)
	}
	cmd := exec.CommandContext(ctx, path, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	cmd.WaitDelay = time.Second // a child that keeps the pipes open does not hold us past the timeout
	out, err := cmd.Output()
	if ctx.Err() == context.DeadlineExceeded {
		return Token{}, fmt.Errorf("%w from the Azure CLI: `az account get-access-token` did not finish within %v", ErrNoToken, timeout)
	}
	if err != nil {
		msg := strings.TrimSpace(redact.String(stderr.String()))
		if strings.Contains(msg, "az login") {
			return Token{}, fmt.Errorf("%w from the Azure CLI: not logged in; run `az login`", ErrNoToken)
		}
		first, _, _ := strings.Cut(msg, "\n")
		if errors.Is(err, exec.ErrNotFound) {
			first = "the Azure CLI (az) is not installed"
		}
		return Token{}, fmt.Errorf("%w from the Azure CLI: %v: %s", ErrNoToken, err, first)
	}
	var ans struct {
		AccessToken string          `json:"accessToken"`
		ExpiresOn   string          `json:"expiresOn"`  // local time, "2006-01-02 15:04:05.000000"
		ExpiresOnTS json.RawMessage `json:"expires_on"` // Unix seconds (CLI 2.54 and later)
	}
	if err := json.Unmarshal(out, &ans); err != nil || ans.AccessToken == "" {
		return Token{}, fmt.Errorf("%w from the Azure CLI: `az account get-access-token` printed no token", ErrNoToken)
	}
	redact.Secret(ans.AccessToken) // never printed
	t := Token{Value: ans.AccessToken}
	if n, err := strconv.ParseInt(strings.Trim(string(ans.ExpiresOnTS), `"`), 10, 64); err == nil && n > 0 {
		t.Expires = time.Unix(n, 0)
	} else if e, err := time.ParseInLocation("2006-01-02 15:04:05.999999", ans.ExpiresOn, time.Local); err == nil {
		t.Expires = e
	}
	return t, nil
}
