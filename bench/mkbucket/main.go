// Command mkbucket creates an S3 bucket with the environment's credentials (for the
// benchmark scripts).
package main

import (
	"context"
	"fmt"
	"os"

	"git-remote-object-store/store/s3"
)

func main() {
	st, err := s3.New(s3.Config{Endpoint: os.Args[1], Bucket: os.Args[2], PathStyle: true, Credentials: &s3.Chain{}})
	if err == nil {
		err = st.CreateBucket(context.Background())
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "mkbucket:", err)
		os.Exit(1)
	}
}
