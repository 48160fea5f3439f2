#!/usr/bin/env bash
# Upload and download of one LFS object through git-lfs and our agent against the test
# versitygw; prints seconds and MB/s each way.
#   bench/lfs.sh [MiB]        (servers: export GROS_SERVER_RUN=$(scripts/test-servers.sh start); default 100)
set -euo pipefail
mib=${1:-100}
source "$(dirname "$0")/lib.sh"
bucket=$(new_bucket bench-lfs)
export HOME=$tmp/home GIT_CONFIG_NOSYSTEM=1
mkdir -p "$HOME"
git config --global user.name bench; git config --global user.email b@example.com
git config --global init.defaultBranch main
git lfs install --skip-repo > /dev/null
url="s3+$GROS_TEST_S3_ENDPOINT/$bucket/repo"
git init -q "$tmp/src" && cd "$tmp/src"
git lfs track '*.bin' > /dev/null
head -c $((mib << 20)) /dev/urandom > big.bin
git add -A && git commit -q -m big
git remote add origin "$url"
"$tmp/bin/git-remote-object-store" lfs install --remote origin > /dev/null
GIT_LFS_SKIP_PUSH=1 git push -q origin main 2>/dev/null || git push -q --no-verify origin main
rate() { awk -v s="$1" -v m="$mib" 'BEGIN { printf "%.2f s, %.1f MB/s\n", s, m * 1.048576 / s }'; }
secs() { local a b; a=$(date +%s.%N); "$@" > /dev/null 2>&1; b=$(date +%s.%N); awk -v a="$a" -v b="$b" 'BEGIN { print b - a }'; }
echo "object: $mib MiB, versitygw at $GROS_TEST_S3_ENDPOINT"
echo -n "upload   (git lfs push --all origin): "; rate "$(secs git lfs push --all origin)"
GIT_LFS_SKIP_SMUDGE=1 git clone -q "$url" "$tmp/dst" 2>/dev/null
cd "$tmp/dst"
echo -n "download (git lfs fetch origin):      "; rate "$(secs git lfs fetch origin)"
cmp <(git lfs ls-files --long | cut -c1-64) <(cd "$tmp/src" && git lfs ls-files --long | cut -c1-64)
test "$(sha256sum < .git/lfs/objects/*/*/* | cut -c1-64)" = "$(sha256sum < "$tmp/src/big.bin" | cut -c1-64)" && echo "download verified"
