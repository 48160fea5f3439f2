// Command bucket makes and empties buckets on the test servers for bench/large.sh. The
// multi-GiB runs would fill the disk if every push's copy stayed on the servers, and
// neither the aws CLI nor an Azure one can be assumed for Azurite, so this drives the
// project's own backends.
//
//	bucket s3|az mk NAME       create the bucket (S3, on $GROS_TEST_S3_ENDPOINT with the
//	                           AWS_* credentials) or container (Azure, on $GROS_TEST_AZ_*)
//	bucket s3|az empty NAME    delete every object and unfinished upload in it
package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"git-remote-object-store/azauth"
	"git-remote-object-store/store"
	"git-remote-object-store/store/azblob"
	"git-remote-object-store/store/s3"
)

// janitor is the part of both backends that sees the uploads a killed push left behind,
// which List does not show but which still hold disk on the server.
type janitor interface {
	store.Store
	ListGarbage(ctx context.Context, prefix string, olderThan time.Time, fn func(store.Garbage) error) error
	RemoveGarbage(ctx context.Context, g store.Garbage) error
}

func main() {
	if len(os.Args) != 4 {
		fmt.Fprintln(os.Stderr, "usage: bucket s3|az mk|empty NAME")
		os.Exit(2)
	}
	if err := run(context.Background(), os.Args[1], os.Args[2], os.Args[3]); err != nil {
		fmt.Fprintln(os.Stderr, "bucket:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, kind, verb, name string) error {
	var st janitor
	var create func(context.Context) error
	switch kind {
	case "s3":
		s, err := s3.New(s3.Config{Endpoint: os.Getenv("GROS_TEST_S3_ENDPOINT"), Bucket: name, PathStyle: true, Credentials: &s3.Chain{}})
		if err != nil {
			return err
		}
		st, create = s, s.CreateBucket
	case "az":
		key, err := azauth.NewSharedKey(os.Getenv("GROS_TEST_AZ_ACCOUNT"), os.Getenv("GROS_TEST_AZ_KEY"))
		if err != nil {
			return err
		}
		s, err := azblob.New(azblob.Config{Endpoint: os.Getenv("GROS_TEST_AZ_ENDPOINT"), Container: name, Auth: azblob.SharedKey{SharedKey: key}})
		if err != nil {
			return err
		}
		st, create = s, s.CreateContainer
	default:
		return fmt.Errorf("unknown kind %q (s3 or az)", kind)
	}
	switch verb {
	case "mk":
		return create(ctx)
	case "empty":
		// Keys are collected first: deleting while a listing pages through the same keys
		// could make the server skip some.
		var keys []string
		if err := st.List(ctx, "", func(i store.Info) error { keys = append(keys, i.Key); return nil }); err != nil {
			return err
		}
		for _, k := range keys {
			if err := st.Delete(ctx, k); err != nil {
				return err
			}
		}
		var junk []store.Garbage
		if err := st.ListGarbage(ctx, "", time.Now().Add(time.Hour), func(g store.Garbage) error { junk = append(junk, g); return nil }); err != nil {
			return err
		}
		for _, g := range junk {
			if err := st.RemoveGarbage(ctx, g); err != nil {
				return err
			}
		}
		return nil
	}
	return fmt.Errorf("unknown verb %q (mk or empty)", verb)
}
