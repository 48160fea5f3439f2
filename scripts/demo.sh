#!/usr/bin/env bash
# make demo: the tool doing its main job on the embedded default backend, a local
# directory used as a bucket. Everything happens under a fresh temporary directory.
set -euo pipefail
BIN=$(cd "$(dirname "${1:?usage: demo.sh path/to/git-remote-object-store}")" && pwd)/$(basename "$1")
ENGINE=${ENGINE:-bundle}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/gros-demo.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
run() { printf '$ %s\n' "$*"; "$@"; }

export HOME=$WORK/home GIT_CONFIG_NOSYSTEM=1
mkdir -p "$HOME"
git config --global user.name "Demo User"
git config --global user.email demo@example.com
git config --global init.defaultBranch main

step "install the helper links into a private bin dir"
run "$BIN" install --bin-dir "$WORK/bin"
export PATH=$WORK/bin:$PATH

mkdir -p "$WORK/bucket"   # the remote directory itself is made by the first push
URL="fs+file://$WORK/bucket/demo-repo?engine=$ENGINE"
step "create a sample repository and push it to $URL"
git init -q "$WORK/src" && cd "$WORK/src"
printf 'hello\n' > README && git add README && git commit -qm "first commit"
mkdir -p src && printf 'package main\n' > src/main.go && git add src && git commit -qm "add code"
run git remote add origin "$URL"
run git push -u origin main

step "what landed in the bucket directory"
(cd "$WORK/bucket" && find . -type f -not -path '*/.gros/*' | sort)

step "clone it back"
run git clone "$URL" "$WORK/clone"
run git -C "$WORK/clone" log --oneline

step "push another commit from the first repository"
printf 'more\n' >> README && git commit -qam "second change"
run git push origin main

step "fetch it into the clone"
run git -C "$WORK/clone" pull --ff-only
run git -C "$WORK/clone" log --oneline
test "$(git -C "$WORK/clone" rev-parse HEAD)" = "$(git rev-parse HEAD)"
step "the clone has exactly what was pushed: demo finished"
