#!/usr/bin/env bash
# Shallow clones against full ones, both engines side by side, on one large repository
# pushed to the test versitygw: seconds and bytes downloaded (summed from the request
# trace) of `git clone` and `git clone --depth 1`, with git's own depth-1 clone of the
# same repository over file:// as a yardstick.
#   bench/shallow.sh <bare-repo> [ref]        (servers: export GROS_SERVER_RUN=$(scripts/test-servers.sh start))
set -euo pipefail
src=$(cd "$1" && pwd)
ref=${2:-refs/heads/master}
source "$(dirname "$0")/lib.sh"
echo "repository: $src $ref ($(git --git-dir="$src" rev-list --count "$ref") commits)"
# timed LOG CMD…: runs CMD with the request trace in LOG and prints its seconds.
timed() {
  local log=$1 t0 t1
  shift
  t0=$(date +%s.%N)
  GIT_REMOTE_OBJECT_STORE_VERBOSE=1 "$@" > /dev/null 2> "$log"
  t1=$(date +%s.%N)
  awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }'
}
received() { grep -o ', [0-9]* received' "$1" | awk '{ s += $2 } END { printf "%d", s }'; }
requests() { grep -c '^object-store: [A-Z]* ' "$1" || true; }
printf "%-10s %-12s %9s %14s %9s %9s\n" engine clone seconds "bytes down" requests commits
t=$( { TIMEFORMAT=%R; time git clone -q --bare --depth 1 "file://$src" "$tmp/git-depth1" 2>/dev/null; } 2>&1 )
printf "%-10s %-12s %9s %14s %9s %9s\n" "git" "--depth 1" "$t" "$(du -sb "$tmp/git-depth1/objects" | cut -f1)*" - \
  "$(git --git-dir="$tmp/git-depth1" rev-list --count HEAD)"
for engine in bundle packchain; do
  bucket=$(new_bucket shallow-$engine)
  url="s3+$GROS_TEST_S3_ENDPOINT/$bucket/repo?engine=$engine"
  git --git-dir="$src" push -q "$url" "$ref:refs/heads/main"
  for how in full "--depth 1"; do
    dir=$tmp/$engine-${how// /}
    args=(clone -q --bare)
    [ "$how" = full ] || args+=($how)
    s=$(timed "$tmp/log" git "${args[@]}" "$url" "$dir")
    printf "%-10s %-12s %9s %14s %9s %9s\n" "$engine" "$how" "$s" "$(received "$tmp/log")" "$(requests "$tmp/log")" \
      "$(git --git-dir="$dir" rev-list --count main)"
    git --git-dir="$dir" fsck --connectivity-only --no-dangling
    rm -rf "$dir"
  done
done
echo "* git's row gives the size of the objects it wrote, not bytes sent over file://"
