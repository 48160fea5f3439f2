package remote

import (
	"cmp"
	"context"
	"crypto/x509"
	"fmt"
	"os"
	"strings"

	"git-remote-object-store/azauth"
	"git-remote-object-store/gitpack/gitconfig"
	"git-remote-object-store/internal/redact"
	"git-remote-object-store/store"
	"git-remote-object-store/store/azblob"
	"git-remote-object-store/store/fs"
	"git-remote-object-store/store/s3"
)

// OpenStore opens the backend a Location names, scoped to its prefix. It resolves
// credentials; callers open a store once per process and share it.
func OpenStore(ctx context.Context, loc *Location) (store.Store, error) {
	st, err := openBucket(ctx, loc)
	if err != nil {
		return nil, err
	}
	return store.Prefixed(st, loc.Prefix), nil
}

// OpenStoreURL is OpenStore for a URL (no engine detection: LFS objects live beside
// either engine's layout).
func OpenStoreURL(ctx context.Context, url string) (store.Store, error) {
	loc, err := Parse(url)
	if err != nil {
		return nil, err
	}
	return OpenStore(ctx, loc)
}

// openBucket opens the whole bucket (container, directory) a Location names.
func openBucket(ctx context.Context, loc *Location) (store.Store, error) {
	// named is the named credential; vars, when it came from AZSTORE_<NAME>_*, which
	// variable gave each of its keys, for messages.
	var named, vars map[string]string
	if loc.Credential != "" {
		var err error
		if named, vars = azstoreEnv(loc, os.Getenv); named == nil {
			if named, err = NamedCredential(loc.Credential); err != nil {
				return nil, err
			}
		}
	}
	if loc.Backend == FS {
		return fs.New(loc.Dir)
	}
	cfg, err := gitConfig()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", loc.URL, err)
	}
	switch loc.Backend {
	case S3:
		return openS3(loc, named, cfg)
	case Azure:
		return openAzure(loc, named, vars, cfg)
	}
	return nil, fmt.Errorf("%s: the %s backend is not part of this build yet", loc.URL, loc.Backend)
}

func openS3(loc *Location, named map[string]string, cfg *gitconfig.Config) (store.Store, error) {
	region := cmp.Or(loc.Region, named["region"], os.Getenv("AWS_REGION"), os.Getenv("AWS_DEFAULT_REGION"),
		s3.ProfileRegion(loc.Profile, nil), "us-east-1")
	endpoint, pathStyle := loc.Endpoint, loc.PathStyle
	if loc.AWSLabs || named["endpoint_url"] != "" {
		// awslabs URLs name no host: AWS's endpoint override variables, else AWS itself.
		var from string
		switch {
		case named["endpoint_url"] != "":
			endpoint, from = named["endpoint_url"], fmt.Sprintf("endpoint_url of named credential %q", loc.Credential)
		case os.Getenv("AWS_ENDPOINT_URL_S3") != "":
			endpoint, from = os.Getenv("AWS_ENDPOINT_URL_S3"), "AWS_ENDPOINT_URL_S3"
		case os.Getenv("AWS_ENDPOINT_URL") != "":
			endpoint, from = os.Getenv("AWS_ENDPOINT_URL"), "AWS_ENDPOINT_URL"
		default:
			endpoint = "https://s3." + region + ".amazonaws.com"
		}
		if from != "" {
			pathStyle = true // custom endpoints (MinIO, versitygw…) rarely do virtual hosts
			if err := loc.plainHTTPEndpoint(endpoint, from); err != nil {
				return nil, err
			}
		}
	}
	// The CA bundle covers the credential requests too (STS, the SSO portal): with the
	// chain, even a store reached over plain http may need it.
	roots, err := tlsRoots(loc, endpoint, pathStyle, cfg, named == nil)
	if err != nil {
		return nil, err
	}
	var creds s3.CredentialsProvider = &s3.Chain{Profile: loc.Profile, RootCAs: roots}
	if named != nil {
		creds = s3.Static{AccessKeyID: named["aws_access_key_id"], SecretAccessKey: named["aws_secret_access_key"], SessionToken: named["aws_session_token"]}
		if named["aws_access_key_id"] == "" {
			return nil, fmt.Errorf("%w %q has no aws_access_key_id; add it and aws_secret_access_key to its section in %s", ErrCredential, loc.Credential, CredentialsFile())
		}
	}
	st, err := s3.New(s3.Config{Endpoint: endpoint, Bucket: loc.Bucket, Region: region, PathStyle: pathStyle, Credentials: creds, RootCAs: roots})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", loc.URL, err)
	}
	return st, nil
}

// openAzure picks Azure credentials in the order of docs/architecture.md, "Credentials":
// a named credential, then AZURE_STORAGE_CONNECTION_STRING, then AZURE_STORAGE_ACCOUNT
// with AZURE_STORAGE_KEY or AZURE_STORAGE_SAS_TOKEN. vars names the AZSTORE_<NAME>_*
// variable each key of named came from, when it came from the environment.
func openAzure(loc *Location, named, vars map[string]string, cfg *gitconfig.Config) (store.Store, error) {
	get := func(k string) string {
		if named != nil {
			return named[strings.ToLower(k)]
		}
		return os.Getenv(strings.ToUpper(k))
	}
	// from names where a setting came from, as the user wrote it, for messages.
	from := func(k string) string {
		if v := vars[strings.ToLower(k)]; v != "" {
			return v
		}
		if named != nil {
			return fmt.Sprintf("%s of named credential %q", strings.ToLower(k), loc.Credential)
		}
		return strings.ToUpper(k)
	}
	account, key, sas, endpoint := loc.Account, get("azure_storage_key"), get("azure_storage_sas_token"), loc.Endpoint
	keyFrom := from("azure_storage_key")
	if cs := get("azure_storage_connection_string"); cs != "" {
		c, err := azauth.ParseConnectionString(cs)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", from("azure_storage_connection_string"), err)
		}
		key, sas, keyFrom = c.Key, c.SAS, from("azure_storage_connection_string")
		if c.Account != "" && c.Account != account {
			return nil, fmt.Errorf("%s is for account %q but the URL names %q; use that account's connection string", from("azure_storage_connection_string"), c.Account, account)
		}
	} else if a := get("azure_storage_account"); a != "" && a != account {
		return nil, fmt.Errorf("%s is %q but the URL names %q; make them agree, or unset it", from("azure_storage_account"), a, account)
	}
	// The CA bundle covers Entra ID's token requests too: without a key or SAS, even a
	// store reached over plain http may need it.
	roots, err := tlsRoots(loc, endpoint, true, cfg, sas == "" && key == "")
	if err != nil {
		return nil, err
	}
	var auth azblob.Authorizer
	switch {
	case sas != "":
		auth = azblob.SAS{SAS: azauth.NewSAS(sas)}
	case key != "":
		k, err := azauth.NewSharedKey(account, key)
		if err != nil {
			return nil, fmt.Errorf("%s: %w; copy the key again from the storage account's Access keys", keyFrom, err)
		}
		auth = azblob.SharedKey{SharedKey: k}
	default:
		src, ok := azauth.EntraFromEnv(get, roots)
		if !ok && named == nil {
			// Last, as Azure's DefaultAzureCredential: the developer's `az login`. Not
			// for a named credential, which names its own secrets.
			src, ok = azauth.CLIFromPath(os.Getenv("AZURE_TENANT_ID"))
		}
		if !ok {
			return nil, fmt.Errorf("%s: no Azure credentials: set AZURE_STORAGE_KEY or AZURE_STORAGE_SAS_TOKEN (or AZURE_STORAGE_CONNECTION_STRING), an Entra ID identity (AZURE_TENANT_ID + AZURE_CLIENT_ID + AZURE_CLIENT_SECRET or AZURE_FEDERATED_TOKEN_FILE, or AZURE_STORAGE_AUTH_MODE=login for a managed identity), log in with `az login` (Azure CLI), or use credential=NAME", loc.URL)
		}
		auth = azblob.Entra{Source: src}
	}
	st, err := azblob.New(azblob.Config{Endpoint: endpoint, Container: loc.Bucket, Auth: auth, RootCAs: roots})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", loc.URL, err)
	}
	return st, nil
}

// tlsRoots loads the CA bundle (caBundle) a remote's https requests trust instead of
// the system's roots: the store's own when endpoint is https, and, when forCredentials
// says its credentials may be fetched over https (STS, the SSO portal, Entra ID), those
// requests even when the store is reached over plain http. nil: the system's roots. A
// bundle that cannot be loaded is an error naming the setting that gave it.
func tlsRoots(loc *Location, endpoint string, pathStyle bool, cfg *gitconfig.Config, forCredentials bool) (*x509.CertPool, error) {
	if !strings.HasPrefix(endpoint, "https://") && !forCredentials {
		return nil, nil
	}
	path, from := caBundle(loc, requestURL(loc, endpoint, pathStyle), os.Getenv, cfg)
	if path == "" {
		return nil, nil
	}
	pool, err := store.LoadCABundle(path)
	if err != nil {
		return nil, fmt.Errorf("%s: %w (the CA bundle %s names)", loc.URL, err, from)
	}
	return pool, nil
}

// azstoreEnv is the seed's form of a named Azure credential: AZSTORE_<NAME>_KEY,
// AZSTORE_<NAME>_CONNECTION_STRING or AZSTORE_<NAME>_SAS in the environment for
// credential=NAME (NAME upper-cased, every character other than a letter or digit
// becoming '_'). When one is set it is the named credential, and the credentials file
// is not read; nil when none is (or the remote is not Azure). vars maps each key of
// named to the variable that gave it, for messages.
func azstoreEnv(loc *Location, getenv func(string) string) (named, vars map[string]string) {
	if loc.Backend != Azure || loc.Credential == "" {
		return nil, nil
	}
	prefix := "AZSTORE_" + strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z':
			return r - 'a' + 'A'
		case r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
			return r
		}
		return '_'
	}, loc.Credential) + "_"
	named, vars = map[string]string{}, map[string]string{}
	for suffix, key := range map[string]string{"KEY": "azure_storage_key", "CONNECTION_STRING": "azure_storage_connection_string", "SAS": "azure_storage_sas_token"} {
		if v := getenv(prefix + suffix); v != "" {
			redact.Named(key, v) // never printed
			named[key], vars[key] = v, prefix+suffix
		}
	}
	if len(named) == 0 {
		return nil, nil
	}
	return named, vars
}
