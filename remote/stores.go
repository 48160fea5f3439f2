package remote

import (
	"cmp"
	"context"
	"fmt"
	"os"
	"strings"

	"git-remote-object-store/azauth"
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
	var named map[string]string
	if loc.Credential != "" {
		var err error
		if named, err = NamedCredential(loc.Credential); err != nil {
			return nil, err
		}
	}
	switch loc.Backend {
	case FS:
		return fs.New(loc.Dir)
	case S3:
		return openS3(loc, named)
	case Azure:
		return openAzure(loc, named)
	}
	return nil, fmt.Errorf("%s: the %s backend is not part of this build yet", loc.URL, loc.Backend)
}

func openS3(loc *Location, named map[string]string) (store.Store, error) {
	region := cmp.Or(loc.Region, named["region"], os.Getenv("AWS_REGION"), os.Getenv("AWS_DEFAULT_REGION"),
		s3.ProfileRegion(loc.Profile, nil), "us-east-1")
	endpoint, pathStyle := loc.Endpoint, loc.PathStyle
	if loc.AWSLabs || named["endpoint_url"] != "" {
		// awslabs URLs name no host: AWS's endpoint override variables, else AWS itself.
		endpoint = cmp.Or(named["endpoint_url"], os.Getenv("AWS_ENDPOINT_URL_S3"), os.Getenv("AWS_ENDPOINT_URL"))
		if endpoint == "" {
			endpoint = "https://s3." + region + ".amazonaws.com"
		} else {
			pathStyle = true // custom endpoints (MinIO, versitygw…) rarely do virtual hosts
		}
	}
	var creds s3.CredentialsProvider = &s3.Chain{Profile: loc.Profile}
	if named != nil {
		creds = s3.Static{AccessKeyID: named["aws_access_key_id"], SecretAccessKey: named["aws_secret_access_key"], SessionToken: named["aws_session_token"]}
		if named["aws_access_key_id"] == "" {
			return nil, fmt.Errorf("%w %q has no aws_access_key_id; add it and aws_secret_access_key to its section in %s", ErrCredential, loc.Credential, CredentialsFile())
		}
	}
	st, err := s3.New(s3.Config{Endpoint: endpoint, Bucket: loc.Bucket, Region: region, PathStyle: pathStyle, Credentials: creds})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", loc.URL, err)
	}
	return st, nil
}

// openAzure picks Azure credentials in the order of docs/architecture.md, "Credentials":
// a named credential, then AZURE_STORAGE_CONNECTION_STRING, then AZURE_STORAGE_ACCOUNT
// with AZURE_STORAGE_KEY or AZURE_STORAGE_SAS_TOKEN.
func openAzure(loc *Location, named map[string]string) (store.Store, error) {
	get := func(k string) string {
		if named != nil {
			return named[strings.ToLower(k)]
		}
		return os.Getenv(strings.ToUpper(k))
	}
	// from names where a setting came from, as the user wrote it, for messages.
	from := func(k string) string {
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
		src, ok := azauth.EntraFromEnv(get)
		if !ok {
			return nil, fmt.Errorf("%s: no Azure credentials: set AZURE_STORAGE_KEY or AZURE_STORAGE_SAS_TOKEN (or AZURE_STORAGE_CONNECTION_STRING), an Entra ID identity (AZURE_TENANT_ID + AZURE_CLIENT_ID + AZURE_CLIENT_SECRET or AZURE_FEDERATED_TOKEN_FILE, or AZURE_STORAGE_AUTH_MODE=login for a managed identity), or use credential=NAME", loc.URL)
		}
		auth = azblob.Entra{Source: src}
	}
	st, err := azblob.New(azblob.Config{Endpoint: endpoint, Container: loc.Bucket, Auth: auth})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", loc.URL, err)
	}
	return st, nil
}
