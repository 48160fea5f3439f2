#!/usr/bin/env bash
# This project against git itself, side by side in one run on one repository, against the
# test versitygw on loopback: prints the table of issue 16 with the ratios for this machine.
#
#   bench/compare.sh [bare-repo] [ref]     (make bench-compare REPO=<bare-repo> [REF=<ref>])
#
# Without a repository it uses this checkout's own (small: the figures then say little);
# the figures worth reading come from a large one, e.g. git.git:
#   git clone --bare https://github.com/git/git /tmp/git.git && make bench-compare REPO=/tmp/git.git
# It starts its own servers unless GROS_SERVER_RUN names a running set. LOOSE=N (default
# 200000, 0 skips it) also times a first push from a copy of the repository whose newest
# N objects are loose and the rest spread over several packs, beside `git bundle create`
# on that copy. Every step is timed with /usr/bin/time: seconds of wall time, and the peak
# RSS of the largest process of the command's tree (git, or the helper it starts).
set -euo pipefail
src=$(cd "${1:-$(git rev-parse --git-common-dir)}" && pwd)
ref=${2:-$(git --git-dir="$src" symbolic-ref -q HEAD || echo HEAD)}
LOOSE=${LOOSE:-200000}
started=
if [ -z "${GROS_SERVER_RUN:-}" ]; then
  GROS_SERVER_RUN=$("$(dirname "$0")/../scripts/test-servers.sh" start)
  export GROS_SERVER_RUN
  started=1
fi
source "$(dirname "$0")/lib.sh"
trap '[ -z "$started" ] || scripts/test-servers.sh stop "$GROS_SERVER_RUN"; rm -rf "$tmp"' EXIT
export GIT_AUTHOR_NAME=b GIT_AUTHOR_EMAIL=b@example.com GIT_COMMITTER_NAME=b GIT_COMMITTER_EMAIL=b@example.com
objects=$(git --git-dir="$src" rev-list --objects "$ref" | wc -l)
echo "repository: $src $ref: $(git --git-dir="$src" rev-list --count "$ref") commits, $objects objects; $(nproc) cores; $(git --version)"

# measure NAME CMD…: runs CMD (output discarded) after a sync, sets NAME_s (seconds) and
# NAME_m (peak RSS, MiB); a failure stops the bench.
measure() {
  local name=$1 out
  shift
  # Each step starts with the disk quiet: the step before may have left hundreds of MiB
  # of dirty pages (the server's copy of a pack, a clone), whose writeback would land on
  # whichever step runs next.
  sync
  out=$(/usr/bin/time -f '%e %M' -o "$tmp/time" "$@" > /dev/null 2> "$tmp/err" && cat "$tmp/time") ||
    { echo "bench: $* failed:" >&2; cat "$tmp/err" "$tmp/time" >&2; exit 1; }
  read -r s k <<< "$out"
  printf -v "${name}_s" '%s' "$s"
  printf -v "${name}_m" '%d' $((k / 1024))
}

# git's yardsticks: a bundle of the ref written to a local file, and a --no-local clone of
# a local bare repository holding just that ref (so both sides move the same objects).
git init -q --bare "$tmp/plain.git"
git --git-dir="$src" push -q "$tmp/plain.git" "$ref:refs/heads/main"
git --git-dir="$tmp/plain.git" symbolic-ref HEAD refs/heads/main
measure gitbundle git --git-dir="$src" bundle create -q "$tmp/x.bundle" "$ref"
rm -f "$tmp/x.bundle"
measure gitclone git clone -q --bare --no-local "$tmp/plain.git" "$tmp/gitclone.git"
rm -rf "$tmp/gitclone.git"

# The two engines' first pushes one after the other, so that they meet the same
# conditions (before, packchain's push came after the bundle engine's clone and fsck).
declare -A url
for engine in bundle packchain; do
  bucket=$(new_bucket cmp-$engine)
  url[$engine]="s3+$GROS_TEST_S3_ENDPOINT/$bucket/repo?engine=$engine"
  measure "push_$engine" git --git-dir="$src" push -q "${url[$engine]}" "$ref:refs/heads/main"
done
for engine in bundle packchain; do
  measure "clone_$engine" git clone -q --bare "${url[$engine]}" "$tmp/$engine.git"
  git --git-dir="$tmp/$engine.git" fsck --connectivity-only --no-progress
  test "$(git --git-dir="$tmp/$engine.git" rev-parse main)" = "$(git --git-dir="$src" rev-parse "$ref")"
  if [ "$engine" = packchain ]; then
    git clone -q --no-local "$tmp/plain.git" "$tmp/work"
    git -C "$tmp/work" remote add store "${url[$engine]}"
    git -C "$tmp/work" fetch -q store
    echo change >> "$tmp/work/one-more-file"
    git -C "$tmp/work" add one-more-file && git -C "$tmp/work" commit -qm "one more commit"
    measure onepush git -C "$tmp/work" push -q store HEAD:main
    measure onefetch git --git-dir="$tmp/$engine.git" fetch -q origin main:main
    test "$(git --git-dir="$tmp/$engine.git" rev-parse main)" = "$(git -C "$tmp/work" rev-parse HEAD)"
    rm -rf "$tmp/work"
  fi
  rm -rf "$tmp/$engine.git"
done

if [ "$LOOSE" -gt 0 ]; then
  # The newest LOOSE objects loose, the older ones in four packs, as a repository whose
  # owner never repacks looks: nothing for a pack writer to copy as it stands but deltas
  # inside each small pack.
  git init -q --bare "$tmp/loose.git"
  git --git-dir="$src" rev-list --objects "$ref" | cut -d' ' -f1 > "$tmp/all"
  total=$(wc -l < "$tmp/all")
  keep=$((total > LOOSE ? total - LOOSE : 0))
  # rev-list lists newest first: the last $keep lines are the oldest objects.
  tail -n "$keep" "$tmp/all" > "$tmp/old"
  split -n l/4 "$tmp/old" "$tmp/old."
  for f in "$tmp"/old.*; do
    git --git-dir="$src" pack-objects -q "$tmp/loose.git/objects/pack/pack" < "$f" > /dev/null
  done
  head -n $((total - keep)) "$tmp/all" | git --git-dir="$src" pack-objects -q --stdout |
    git --git-dir="$tmp/loose.git" unpack-objects -q
  git --git-dir="$tmp/loose.git" update-ref refs/heads/main "$(git --git-dir="$src" rev-parse "$ref")"
  git --git-dir="$tmp/loose.git" config gc.auto 0
  counts=$(git --git-dir="$tmp/loose.git" count-objects -v | awk '/^count:/ {c=$2} /^packs:/ {p=$2} END {print c " loose objects, " p " packs"}')
  measure loosegit git --git-dir="$tmp/loose.git" bundle create -q "$tmp/y.bundle" main
  rm -f "$tmp/y.bundle"
  bucket=$(new_bucket cmp-loose)
  measure loosepush git --git-dir="$tmp/loose.git" push -q "s3+$GROS_TEST_S3_ENDPOINT/$bucket/repo?engine=bundle" main
fi

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else printf "-" }'; }
row() { printf '%-46s %10s %10s %7s   %s\n' "$@"; }
echo
row operation "this" "git" ratio "target: against"
row "first push, bundle engine (s)" "$push_bundle_s" "$gitbundle_s" "$(ratio "$push_bundle_s" "$gitbundle_s")" "<= 1.10: git bundle create to a file"
row "first push, packchain (s)" "$push_packchain_s" "-" "$(ratio "$push_packchain_s" "$push_bundle_s")" "<= 1.05: the bundle engine's first push"
for engine in bundle packchain; do
  s=clone_${engine}_s m=clone_${engine}_m
  row "clone, $engine (s)" "${!s}" "$gitclone_s" "$(ratio "${!s}" "$gitclone_s")" "<= 0.40: git clone --bare --no-local"
  row "clone, $engine (peak RSS MiB)" "${!m}" "$gitclone_m" "$(ratio "${!m}" "$gitclone_m")" "<= 1.00: the same"
done
row "one-commit push, packchain (s)" "$onepush_s" - - ""
row "fetch one commit, packchain (s)" "$onefetch_s" - - ""
row "first push, bundle engine (peak RSS MiB)" "$push_bundle_m" "$gitbundle_m" "$(ratio "$push_bundle_m" "$gitbundle_m")" "(git bundle create)"
if [ "$LOOSE" -gt 0 ]; then
  row "first push, $counts (s)" "$loosepush_s" "$loosegit_s" "$(ratio "$loosepush_s" "$loosegit_s")" "<= 1.30: git bundle create on that copy"
fi
