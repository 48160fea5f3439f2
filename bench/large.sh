#!/usr/bin/env bash
# Scale: synthetic repositories too large to commit, generated on the fly (bench/large/synth)
# and pushed and cloned through the helper against the test servers.
#
#   bench/large.sh big [SIZE_MB]     incompressible blobs, SIZE_MB in all (default 6400, a
#                                    pack past S3's 5 GiB single-PUT limit), both engines on
#                                    versitygw and Azurite, beside git bundle create and
#                                    git clone --no-local --bare of the same repository
#   bench/large.sh many [FILES...]   FILES small text files each (default 100000 250000
#                                    500000 1000000), both engines on versitygw; prints
#                                    microseconds per object, which should stay flat
#
# (servers: export GROS_SERVER_RUN=$(scripts/test-servers.sh start).) BLOB_MB sets big's
# blob size (default 100). Peak RSS is the helper's own, from a wrapper that runs it under
# /usr/bin/time: time's %M on git itself is the largest of git's processes, which need not
# be the helper. Each bucket and clone is deleted after use; the default big run still
# needs about 4 x SIZE_MB of free disk (repository, one remote copy, one clone, Azurite's
# deleted blocks until its own gc). Wall time of the default big run: tens of minutes.
set -euo pipefail
mode=${1:-}
case $mode in
big | many) shift ;;
*)
  sed -n '2,18p' "$0" >&2
  exit 2
  ;;
esac
source "$(dirname "$0")/lib.sh"
export AZURE_STORAGE_ACCOUNT=$GROS_TEST_AZ_ACCOUNT AZURE_STORAGE_KEY=$GROS_TEST_AZ_KEY
go build -o "$tmp/tools/synth" ./bench/large/synth
go build -o "$tmp/tools/bucket" ./bench/large/bucket

# The wrapper is what git finds first on PATH as git-remote-<scheme>; it runs the real
# link (the binary picks its role from its name) and appends that process's own peak RSS
# in KiB to $LARGE_HELPER_RSS, one line per helper process git starts.
mkdir -p "$tmp/wrap"
for scheme in s3+http az+http; do
  printf '#!/bin/sh\nexec /usr/bin/time -a -o "$LARGE_HELPER_RSS" -f %%M %q "$@"\n' \
    "$tmp/bin/git-remote-$scheme" > "$tmp/wrap/git-remote-$scheme"
  chmod +x "$tmp/wrap/git-remote-$scheme"
done
export PATH=$tmp/wrap:$PATH LARGE_HELPER_RSS=$tmp/helper.rss

# A bucket left behind by a failed run would keep gigabytes on the servers until they stop.
current=()
trap '[ ${#current[@]} -eq 0 ] || "$tmp/tools/bucket" "${current[@]}" || true; rm -rf "$tmp"' EXIT

# measure CMD...: runs CMD with the request trace on; sets secs, tree_mib (the largest
# single process of CMD's tree, helper included), helper_mib (0 when no helper ran) and
# traffic (requests, retries, the largest request body, bytes sent and received).
measure() {
  : > "$tmp/helper.rss"
  if ! GIT_REMOTE_OBJECT_STORE_VERBOSE=1 /usr/bin/time -o "$tmp/time.out" -f '%e %M' "$@" 2> "$tmp/trace"; then
    echo "failed: $*" >&2
    tail -n 20 "$tmp/trace" >&2
    exit 1
  fi
  read -r secs tree_kib < <(tail -n 1 "$tmp/time.out")
  tree_mib=$((tree_kib / 1024))
  helper_mib=$(awk '/^[0-9]+$/ && $1 > m { m = $1 } END { print int(m / 1024) }' "$tmp/helper.rss")
  traffic=$(awk '
    /^object-store: [A-Z]+ .* -> / {
      n++
      if (match($0, /, [0-9]+ bytes sent/)) { s = substr($0, RSTART + 2) + 0; sent += s; if (s > big) big = s }
      if (match($0, /, [0-9]+ received/)) recv += substr($0, RSTART + 2) + 0
      if ($0 ~ /, retry [0-9]+$/) r++
    }
    END { printf "%d requests (%d retried), largest %.1f MiB, %.1f MiB sent, %.1f MiB received", n, r, big / 1048576, sent / 1048576, recv / 1048576 }' "$tmp/trace")
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }'; }

url_for() { # backend bucket engine
  case $1 in
  versitygw) echo "s3+$GROS_TEST_S3_ENDPOINT/$2/repo?engine=$3" ;;
  azurite) echo "az+$GROS_TEST_AZ_ENDPOINT/$2/repo?engine=$3" ;;
  esac
}
kind_for() { case $1 in versitygw) echo s3 ;; azurite) echo az ;; esac; }

# make_repo DIR SYNTH-ARGS...: a bare repository on main from the generator's stream.
# unpackLimit 0 keeps fast-import's pack even when it holds few objects (the default would
# explode a 60-blob pack into loose objects); bigFileThreshold 1m streams each blob into
# the pack without the delta search, hopeless on random bytes and slow on 100 MiB ones.
# The trim threshold: fast-import's zlib state (~270 KiB) is freed at the top of the heap
# after every object, so glibc hands it back and faults it in again: 50 k files took 87 s
# instead of 3 on the test machine. Only this generating step runs with it.
make_repo() {
  local dir=$1 t0
  shift
  git init -q --bare -b main "$dir"
  git --git-dir="$dir" config fastimport.unpackLimit 0
  t0=$(date +%s.%N)
  "$tmp/tools/synth" "$@" |
    GLIBC_TUNABLES=glibc.malloc.trim_threshold=268435456 git --git-dir="$dir" -c core.bigFileThreshold=1m fast-import --quiet
  gen_secs=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
  objects=$(git --git-dir="$dir" count-objects -v | awk '$1 == "in-pack:" { print $2 }')
  pack_bytes=$(find "$dir/objects/pack" -name '*.pack' -printf '%s\n' | awk '{ s += $1 } END { print s }')
}

# ours BACKEND ENGINE SRC: push SRC's main to a fresh bucket, clone it back bare and
# check the clone; sets push_* and clone_* (seconds, helper and tree RSS, traffic).
ours() {
  local backend=$1 engine=$2 src=$3 kind bucket url
  kind=$(kind_for "$backend")
  bucket=large-$engine-$(date +%s%N)
  current=("$kind" empty "$bucket")
  "$tmp/tools/bucket" "$kind" mk "$bucket"
  url=$(url_for "$backend" "$bucket" "$engine")
  measure git --git-dir="$src" push -q "$url" refs/heads/main:refs/heads/main
  push_secs=$secs push_helper=$helper_mib push_tree=$tree_mib push_traffic=$traffic
  measure git clone -q --bare "$url" "$tmp/clone.git"
  clone_secs=$secs clone_helper=$helper_mib clone_tree=$tree_mib clone_traffic=$traffic
  git --git-dir="$tmp/clone.git" fsck --connectivity-only --no-progress
  test "$(git --git-dir="$tmp/clone.git" rev-parse main)" = "$(git --git-dir="$src" rev-parse main)"
  rm -rf "$tmp/clone.git"
  "$tmp/tools/bucket" "$kind" empty "$bucket"
  current=()
}

# yardsticks SRC: git's own work on the same repository, with no network: the bundle a
# bundle-engine push uploads, and the clone a fetch amounts to.
yardsticks() {
  local src=$1
  measure git --git-dir="$src" bundle create -q "$tmp/x.bundle" main
  git_bundle_secs=$secs git_bundle_rss=$tree_mib
  bundle_bytes=$(stat -c %s "$tmp/x.bundle")
  rm -f "$tmp/x.bundle"
  measure git clone -q --no-local --bare "$src" "$tmp/yard.git"
  git_clone_secs=$secs git_clone_rss=$tree_mib
  rm -rf "$tmp/yard.git"
}

row() { printf '%-22s %-9s %-10s %9s %11s %10s %8s  %s\n' "$@"; }
over() { if [ "$1" -ge 512 ]; then echo "$1 OVER"; else echo "$1"; fi; }

if [ "$mode" = big ]; then
  size_mb=${1:-6400}
  blob_mb=${BLOB_MB:-100}
  make_repo "$tmp/src.git" -mode big -size-mb "$size_mb" -blob-mb "$blob_mb"
  echo "repository: $size_mb MiB of random blobs of $blob_mb MiB, $objects objects, pack $pack_bytes bytes" \
    "($(awk -v b="$pack_bytes" 'BEGIN { printf "%.2f", b / 2^30 }') GiB), generated in ${gen_secs}s"
  yardsticks "$tmp/src.git"
  echo "bundle: $bundle_bytes bytes"
  echo
  row step engine backend seconds "helper MiB" "tree MiB" "x git" "requests (largest request body shows multipart)"
  row "git bundle create" git local "$git_bundle_secs" - "$git_bundle_rss" 1.00 ""
  row "git clone --no-local" git local "$git_clone_secs" - "$git_clone_rss" 1.00 ""
  for backend in versitygw azurite; do
    for engine in bundle packchain; do
      ours "$backend" "$engine" "$tmp/src.git"
      row "first push" "$engine" "$backend" "$push_secs" "$(over "$push_helper")" "$push_tree" \
        "$(ratio "$push_secs" "$git_bundle_secs")" "$push_traffic"
      row "clone --bare" "$engine" "$backend" "$clone_secs" "$(over "$clone_helper")" "$clone_tree" \
        "$(ratio "$clone_secs" "$git_clone_secs")" "$clone_traffic"
    done
  done
  echo "x git: seconds over git bundle create (push) or git clone --no-local --bare (clone);"
  echo "helper MiB: the helper process's own peak RSS (budget 512); tree MiB: largest process of the command"
  exit 0
fi

# many: one repository per size, generated, measured and deleted in turn (1 M files of a
# few hundred bytes make a pack of ~150 MiB, so disk is not the limit; time is).
[ $# -gt 0 ] || set -- 100000 250000 500000 1000000
many_row() { # step seconds helper tree, for the current $files and $objects
  printf '%8s %9s  %-22s %9s %9s %11s %9s\n' "$files" "$objects" "$1" "$2" \
    "$(awk -v s="$2" -v n="$objects" 'BEGIN { printf "%.1f", s * 1e6 / n }')" "$3" "$4"
}
printf '%8s %9s  %-22s %9s %9s %11s %9s\n' files objects step seconds "us/object" "helper MiB" "tree MiB"
for files in "$@"; do
  make_repo "$tmp/src.git" -mode many -files "$files"
  many_row "fast-import (generate)" "$gen_secs" - -
  yardsticks "$tmp/src.git"
  many_row "git bundle create" "$git_bundle_secs" - "$git_bundle_rss"
  many_row "git clone --no-local" "$git_clone_secs" - "$git_clone_rss"
  for engine in bundle packchain; do
    ours versitygw "$engine" "$tmp/src.git"
    many_row "push $engine" "$push_secs" "$(over "$push_helper")" "$push_tree"
    many_row "clone --bare $engine" "$clone_secs" "$(over "$clone_helper")" "$clone_tree"
  done
  rm -rf "$tmp/src.git"
done
echo "us/object: seconds per object of the repository (git count-objects); flat down a column of"
echo "one step means the step scales linearly. helper MiB: the helper's own peak RSS (budget 512)"
