#!/usr/bin/env bash
# Pack writing and indexing, ours beside git's, on one repository (default: this one).
#   bench/gitpack.sh [path/to/repo-or-bare-gitdir [ref]]   (default ref: every ref)
# Prints time, pack size and peak RSS for: a full pack of every ref (ours vs
# git pack-objects --all --stdout), and indexing that pack (ours vs git index-pack,
# same thread count). The repository is only read; nothing it holds is committed.
set -euo pipefail
cd "$(dirname "$0")/.."
src=${1:-.}
ref=${2:-}
gitdir=$(cd "$src" && if [ -d objects ] && [ -f HEAD ]; then pwd; else git rev-parse --absolute-git-dir; fi)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go build -o "$tmp/gitpack" ./bench/gitpack
threads=$(nproc)
revs=${ref:---all}
echo "repository: $gitdir, $revs ($(git --git-dir="$gitdir" rev-list --count $revs --) commits), $threads threads"

if [ -n "$ref" ]; then
  /usr/bin/time -f "git  write: %e s, peak RSS %M kB" git --git-dir="$gitdir" pack-objects --revs --stdout --threads="$threads" -q <<< "$ref" > "$tmp/git.pack"
else
  /usr/bin/time -f "git  write: %e s, peak RSS %M kB" git --git-dir="$gitdir" pack-objects --all --stdout --threads="$threads" -q < /dev/null > "$tmp/git.pack"
fi
echo "git  pack size: $(stat -c %s "$tmp/git.pack") bytes"
"$tmp/gitpack" write "$gitdir" "$tmp/ours.pack" $ref

git init -q --bare "$tmp/dst-git"
git init -q --bare "$tmp/dst-ours"
/usr/bin/time -f "git  index: %e s, peak RSS %M kB" git --git-dir="$tmp/dst-git" index-pack --threads="$threads" --stdin < "$tmp/git.pack" > /dev/null
"$tmp/gitpack" index "$tmp/dst-ours" "$tmp/git.pack"
