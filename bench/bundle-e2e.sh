#!/usr/bin/env bash
# Push and clone a large repository through the helper against the test versitygw
# (bundle engine), beside `git clone --no-local` from a local bare copy and
# `git bundle create` of the same ref, in one run. Prints seconds, bytes and peak RSS.
#   bench/bundle-e2e.sh <bare-repo> [ref]        (servers: export GROS_SERVER_RUN=$(scripts/test-servers.sh start))
set -euo pipefail
src=$(cd "$1" && pwd)
ref=${2:-refs/heads/master}
source "$(dirname "$0")/lib.sh"
bucket=$(new_bucket bench)
url="s3+$GROS_TEST_S3_ENDPOINT/$bucket/repo"
echo "repository: $src $ref ($(git --git-dir="$src" rev-list --count "$ref") commits)"
t() { /usr/bin/time -f "%e s, peak RSS %M kB" "$@"; }
echo -n "ours push (bundle engine):      "; t git --git-dir="$src" push -q "$url" "$ref:refs/heads/main" 2>&1 | tail -1
echo -n "ours clone:                     "; t git clone -q "$url" "$tmp/clone" 2>&1 | tail -1
git -C "$tmp/clone" fsck --connectivity-only --no-progress
echo -n "git bundle create (same ref):   "; t git --git-dir="$src" bundle create -q "$tmp/x.bundle" "$ref" 2>&1 | tail -1
echo "  bundle size: $(stat -c %s "$tmp/x.bundle") bytes"
git init -q --bare "$tmp/plain.git"
git --git-dir="$src" push -q "$tmp/plain.git" "$ref:refs/heads/main"
echo -n "git clone --no-local (bare):    "; t git clone -q --no-local "$tmp/plain.git" "$tmp/clone2" 2>&1 | tail -1
