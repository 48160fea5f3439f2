#!/usr/bin/env bash
# Pack writing and indexing, ours beside git's, on one repository (default: this one).
#   bench/gitpack.sh [path/to/repo-or-bare-gitdir [rev...]]   (default: every ref)
#   bench/gitpack.sh /path/to/git.git $(git -C /path/to/git.git for-each-ref --format='%(refname)' | grep -v ^refs/pull/)
# Prints time, pack size and peak RSS for: a full pack of the revs (ours vs
# git pack-objects --revs --stdout), and indexing git's pack (ours vs git index-pack, same
# thread count), once with REF deltas (pack-objects' default) and once with OFS deltas
# (what fetch and bundle send). The repository is only read; nothing it holds is committed.
set -euo pipefail
cd "$(dirname "$0")/.."
src=${1:-.}
shift || true
gitdir=$(cd "$src" && if [ -d objects ] && [ -f HEAD ]; then pwd; else git rev-parse --absolute-git-dir; fi)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go build -o "$tmp/gitpack" ./bench/gitpack
threads=$(nproc)
if [ $# -eq 0 ]; then
  git --git-dir="$gitdir" for-each-ref --format='%(refname)' > "$tmp/revs"
  git --git-dir="$gitdir" symbolic-ref -q HEAD >> "$tmp/revs" || true
else
  printf '%s\n' "$@" > "$tmp/revs"
fi
mapfile -t revs < "$tmp/revs"
echo "repository: $gitdir, ${#revs[@]} revs ($(git --git-dir="$gitdir" rev-list --count --stdin < "$tmp/revs") commits), $threads threads"

pack=(git --git-dir="$gitdir" pack-objects --revs --stdout --threads="$threads" -q)
/usr/bin/time -f "git  write: %e s, peak RSS %M kB" "${pack[@]}" < "$tmp/revs" > "$tmp/git.pack"
echo "git  pack size: $(stat -c %s "$tmp/git.pack") bytes"
"$tmp/gitpack" write "$gitdir" "$tmp/ours.pack" "${revs[@]}"
"${pack[@]}" --delta-base-offset < "$tmp/revs" > "$tmp/git-ofs.pack"

for p in git git-ofs; do
  rm -rf "$tmp/dst-git" "$tmp/dst-ours"
  git init -q --bare "$tmp/dst-git"
  git init -q --bare "$tmp/dst-ours"
  /usr/bin/time -f "git  index $p.pack: %e s, peak RSS %M kB" git --git-dir="$tmp/dst-git" index-pack --threads="$threads" --stdin < "$tmp/$p.pack" > /dev/null
  echo -n "$p.pack: "
  "$tmp/gitpack" index "$tmp/dst-ours" "$tmp/$p.pack"
  cmp -s "$tmp"/dst-git/objects/pack/*.idx "$tmp"/dst-ours/objects/pack/*.idx && echo "     .idx byte-identical to git's" || echo "     .idx DIFFERS from git's"
done
