#!/usr/bin/env bash
# The two engines side by side on one large repository, against the test versitygw:
# (a) first push, (b) clone, (c) one-commit push, (d) fetch of that one commit, and for
# packchain (e) cat of one file without cloning —
# seconds and bytes stored on the bucket after each step.
#   bench/engines.sh <bare-repo> [ref]        (servers: export GROS_SERVER_RUN=$(scripts/test-servers.sh start))
set -euo pipefail
src=$(cd "$1" && pwd)
ref=${2:-refs/heads/master}
source "$(dirname "$0")/lib.sh"
export GIT_AUTHOR_NAME=b GIT_AUTHOR_EMAIL=b@example.com GIT_COMMITTER_NAME=b GIT_COMMITTER_EMAIL=b@example.com
echo "repository: $src $ref ($(git --git-dir="$src" rev-list --count "$ref") commits)"
stored() { aws --endpoint-url "$GROS_TEST_S3_ENDPOINT" s3 ls --recursive --summarize "s3://$1" | awk '/Total Size/ {print $3}'; }
secs() { local t0 t1; t0=$(date +%s.%N); "$@" > /dev/null 2>&1; t1=$(date +%s.%N); awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }'; }
for engine in bundle packchain; do
  bucket=$(new_bucket bench-$engine)
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
  if [ "$engine" = packchain ]; then
    for f in README.md Makefile; do  # in the one-commit pack; in the first push's pack
      e=$(secs git-remote-object-store cat "$url" "main:$f")
      git-remote-object-store cat "$url" "main:$f" | cmp - "$tmp/$engine-a/$f"
      echo "packchain (e) cat main:$f without cloning ${e}s"
    done
  fi
  rm -rf "$tmp/$engine-a" "$tmp/$engine-b"
done
