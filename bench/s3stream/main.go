// Command s3stream streams one large object up to and down from an S3 endpoint through
// the project's S3 backend and reports throughput and peak RSS. bench/s3stream.sh runs it
// beside `aws s3 cp` of the same data. A benchmark, not a test.
package main

import (
	"context"
	"crypto/sha256"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"git-remote-object-store/bench/internal/rss"
	"git-remote-object-store/store"
	"git-remote-object-store/store/s3"
)

func main() {
	endpoint := flag.String("endpoint", "http://127.0.0.1:17070", "S3 endpoint")
	bucket := flag.String("bucket", "bench", "bucket (created if missing)")
	file := flag.String("file", "", "file to upload")
	part := flag.Int64("part", 16<<20, "part size")
	conc := flag.Int("concurrency", 4, "parts in flight")
	flag.Parse()
	st, err := s3.New(s3.Config{Endpoint: *endpoint, Bucket: *bucket, PathStyle: true, Region: os.Getenv("AWS_REGION"),
		Credentials: &s3.Chain{}, PartSize: *part, Concurrency: *conc})
	check(err)
	ctx := context.Background()
	check(st.CreateBucket(ctx))
	f, err := os.Open(*file)
	check(err)
	fi, _ := f.Stat()
	t0 := time.Now()
	// size -1: the unknown-size path, as the engines use it for a bundle being generated.
	_, err = st.Put(ctx, "bench/object", f, -1, store.Cond{})
	check(err)
	up := time.Since(t0)
	f.Close()
	t0 = time.Now()
	rc, _, err := st.Get(ctx, "bench/object", nil)
	check(err)
	h := sha256.New()
	n, err := io.Copy(h, rc)
	check(err)
	rc.Close()
	down := time.Since(t0)
	mb := float64(fi.Size()) / 1e6
	fmt.Printf("ours     upload %6.1f MB/s  download %6.1f MB/s  (%d bytes, part %d MiB × %d)  peak RSS %s\n",
		mb/up.Seconds(), mb/down.Seconds(), n, *part>>20, *conc, rss.Peak())
}

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "s3stream:", err)
		os.Exit(1)
	}
}
