#!/usr/bin/env bash
# Streams a 1 GiB object up and down to the test versitygw with our S3 backend and with
# `aws s3 cp`, in one run, and prints MB/s and peak RSS for both. Needs the servers from
# scripts/test-servers.sh start.
set -euo pipefail
cd "$(dirname "$0")/.."
: "${GROS_SERVER_RUN:?start the servers first: export GROS_SERVER_RUN=$(scripts/test-servers.sh start)}"
eval "$(scripts/test-servers.sh env "$GROS_SERVER_RUN")"
export AWS_ACCESS_KEY_ID=$GROS_TEST_S3_ACCESS_KEY AWS_SECRET_ACCESS_KEY=$GROS_TEST_S3_SECRET_KEY AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1
SIZE_MB=${SIZE_MB:-1024}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
head -c $((SIZE_MB << 20)) /dev/urandom > "$tmp/blob"
go build -o "$tmp/s3stream" ./bench/s3stream
"$tmp/s3stream" -endpoint "$GROS_TEST_S3_ENDPOINT" -bucket bench-stream -file "$tmp/blob"
t0=$(date +%s.%N)
/usr/bin/time -f "%M" -o "$tmp/up.rss" aws --endpoint-url "$GROS_TEST_S3_ENDPOINT" s3 cp --quiet "$tmp/blob" s3://bench-stream/bench/aws-object
t1=$(date +%s.%N)
/usr/bin/time -f "%M" -o "$tmp/down.rss" aws --endpoint-url "$GROS_TEST_S3_ENDPOINT" s3 cp --quiet s3://bench-stream/bench/aws-object "$tmp/back"
t2=$(date +%s.%N)
cmp -s "$tmp/blob" "$tmp/back" || { echo "aws download differs" >&2; exit 1; }
awk -v mb=$((SIZE_MB * 1048576 / 1000000)) -v t0="$t0" -v t1="$t1" -v t2="$t2" -v ru="$(cat "$tmp/up.rss")" -v rd="$(cat "$tmp/down.rss")" \
  'BEGIN { printf "aws cli  upload %6.1f MB/s  download %6.1f MB/s  peak RSS %d kB up, %d kB down\n", mb/(t1-t0), mb/(t2-t1), ru, rd }'
