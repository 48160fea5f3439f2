package remote

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"git-remote-object-store/internal/redact"
)

// ErrCredential: a named credential (credential=NAME) that cannot be found or read. Its
// errors read `named credential "NAME": …`.
var ErrCredential = errors.New("named credential")

// CredentialsFile is where credential=NAME sections live:
// $GIT_REMOTE_OBJECT_STORE_CREDENTIALS_FILE, else $XDG_CONFIG_HOME (or ~/.config)
// /git-remote-object-store/credentials.
func CredentialsFile() string {
	if f := os.Getenv("GIT_REMOTE_OBJECT_STORE_CREDENTIALS_FILE"); f != "" {
		return f
	}
	dir := os.Getenv("XDG_CONFIG_HOME")
	if dir == "" {
		home, _ := os.UserHomeDir()
		dir = filepath.Join(home, ".config")
	}
	return filepath.Join(dir, "git-remote-object-store", "credentials")
}

// NamedCredential reads section name of the credentials file: keys like
// aws_access_key_id, aws_secret_access_key, aws_session_token, region, endpoint_url,
// azure_storage_account, azure_storage_key, azure_storage_sas_token,
// azure_storage_connection_string. Errors never include values.
func NamedCredential(name string) (map[string]string, error) {
	path := CredentialsFile()
	data, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("%w %q: %s does not exist; create it with a [%s] section", ErrCredential, name, path, name)
		}
		return nil, fmt.Errorf("%w %q: %w", ErrCredential, name, err)
	}
	sec, found := map[string]string{}, false
	cur := ""
	for i, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(line)
		switch {
		case line == "" || line[0] == '#' || line[0] == ';':
		case line[0] == '[' && strings.HasSuffix(line, "]"):
			cur = strings.TrimSpace(line[1 : len(line)-1])
			found = found || cur == name
		case cur == name:
			k, v, ok := strings.Cut(line, "=")
			if !ok {
				return nil, fmt.Errorf("%w %q: %s line %d is not key = value; fix that line", ErrCredential, name, path, i+1)
			}
			k, v = strings.ToLower(strings.TrimSpace(k)), strings.TrimSpace(v)
			redact.Named(k, v) // a secret it holds is never printed
			sec[k] = v
		}
	}
	if !found {
		return nil, fmt.Errorf("%w %q: %s has no [%s] section; add it, or fix credential= in the URL", ErrCredential, name, path, name)
	}
	return sec, nil
}
