#!/usr/bin/env bash
# The two engines side by side on one large repository, against the test versitygw:
# (a) first push, (b) clone, (c) one-commit push, (d) fetch of that one commit —
# seconds and bytes stored on the bucket after each step.
#   bench/engines.sh <bare-repo> [ref]        (servers from scripts/test-servers.sh start)
set -euo pipefail
cd "$(dirname "$0")/.."
src=$(cd "$1" && pwd)
ref=${2:-refs/heads/master}
eval "$(scripts/test-servers.sh env)"
export AWS_ACCESS_KEY_ID=$GROS_TEST_S3_ACCESS_KEY AWS_SECRET_ACCESS_KEY=$GROS_TEST_S3_SECRET_KEY AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1 AWS_EC2_METADATA_DISABLED=true
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go build -o "$tmp/bin/git-remote-object-store" .
"$tmp/bin/git-remote-object-store" install --bin-dir "$tmp/bin" > /dev/null
export PATH=$tmp/bin:$PATH GIT_AUTHOR_NAME=b GIT_AUTHOR_EMAIL=b@example.com GIT_COMMITTER_NAME=b GIT_COMMITTER_EMAIL=b@example.com
echo "repository: $src $ref ($(git --git-dir="$src" rev-list --count "$ref") commits)"
stored() { aws --endpoint-url "$GROS_TEST_S3_ENDPOINT" s3 ls --recursive --summarize "s3://$1" | awk '/Total Size/ {print $3}'; }
secs() { local t0 t1; t0=$(date +%s.%N); "$@" > /dev/null 2>&1; t1=$(date +%s.%N); awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }'; }
for engine in bundle packchain; do
  bucket=bench-$engine-$(date +%s)
  go run ./bench/mkbucket "$GROS_TEST_S3_ENDPOINT" "$bucket"
  url="s3+$GROS_TEST_S3_ENDPOINT/$bucket/repo?engine=$engine"
  a=$(secs git --git-dir="$src" push -q "$url" "$ref:refs/heads/main"); sa=$(stored "$bucket")
  b=$(secs git clone -q "$url" "$tmp/$engine-a")
  git clone -q --no-local "$tmp/$engine-a" "$tmp/$engine-b"
  git -C "$tmp/$engine-b" remote set-url origin "$url"
  echo change >> "$tmp/$engine-a/README.md"; git -C "$tmp/$engine-a" commit -qam "one more commit"
  c=$(secs git -C "$tmp/$engine-a" push -q origin main); sc=$(stored "$bucket")
  d=$(secs git -C "$tmp/$engine-b" fetch -q origin)
  test "$(git -C "$tmp/$engine-b" rev-parse origin/main)" = "$(git -C "$tmp/$engine-a" rev-parse HEAD)"
  printf "%-9s (a) first push %6ss, %s bytes stored  (b) clone %6ss  (c) one-commit push %6ss, +%s bytes  (d) fetch one commit %6ss\n" \
    "$engine" "$a" "$sa" "$b" "$c" "$((sc - sa))" "$d"
  rm -rf "$tmp/$engine-a" "$tmp/$engine-b"
done
