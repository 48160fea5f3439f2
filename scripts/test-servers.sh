#!/usr/bin/env bash
# Starts the real object-store servers the integration tests talk to: versitygw (S3),
# SeaweedFS's S3 gateway (a second, independent S3) and Azurite (Azure Blob). Every
# listener is on 127.0.0.1, on free ports picked at start; all state lives in a fresh run
# directory, so two test runs on one machine never see or stop each other's servers.
#
#   RUN=$(scripts/test-servers.sh start)  install what is missing, start the three servers
#                                        in a new run directory, wait until they answer,
#                                        print that directory (and only it) on stdout
#   scripts/test-servers.sh env  [RUN]    print the variables the tests read (eval-able)
#   scripts/test-servers.sh stop [RUN]    end exactly the processes that RUN's start began
#                                        (pid files, checked against each command line),
#                                        then delete RUN
#
# RUN defaults to $GROS_SERVER_RUN; env and stop refuse to guess it. By hand:
#   export GROS_SERVER_RUN=$(scripts/test-servers.sh start)
#   eval "$(scripts/test-servers.sh env)"; go test ./...; scripts/test-servers.sh stop
#
# Servers are installed into a cache folder outside the repository, never into it:
# $GROS_SERVER_CACHE, else ~/.cache/git-remote-object-store/servers. SeaweedFS cannot be
# `go install`ed (its go.mod has a replace directive): the first start builds it from its
# module folder, which takes a few minutes. Run directories are made under $TMPDIR (/tmp).
#
# Both S3 servers accept the same key pair (one AWS_* environment serves both in the
# end-to-end tests) and check every request's SigV4 signature against it.
set -euo pipefail

CACHE=${GROS_SERVER_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/git-remote-object-store/servers}
VERSITYGW_VERSION=v1.8.0
AZURITE_VERSION=3.37.0
# SeaweedFS tags (e.g. "4.00") are not semver, so the module proxy serves commits as
# pseudo-versions; this is master of 2026-11-09 (`weed version`: 4.53).
SEAWEEDFS_VERSION=v0.0.0-20261109003541-7506e5f91cd6
S3_ACCESS=gros-test-access
S3_SECRET=gros-test-secret-0123456789
AZ_ACCOUNT=devstoreaccount1
AZ_KEY='Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=='
MARK=.git-remote-object-store-test-servers # marks a directory as a run directory of ours

log() { echo "test-servers: $*" >&2; }

install_versitygw() {
  local bin=$CACHE/versitygw-$VERSITYGW_VERSION/versitygw
  if [ ! -x "$bin" ]; then
    log "installing versitygw $VERSITYGW_VERSION into $CACHE"
    mkdir -p "$(dirname "$bin")"
    GOBIN=$(dirname "$bin") CGO_ENABLED=0 go install "github.com/versity/versitygw/cmd/versitygw@$VERSITYGW_VERSION" >&2
  fi
  echo "$bin"
}

install_azurite() {
  local dir=$CACHE/azurite-$AZURITE_VERSION
  if [ ! -x "$dir/node_modules/.bin/azurite-blob" ]; then
    log "installing Azurite $AZURITE_VERSION into $CACHE"
    mkdir -p "$dir"
    npm install --silent --no-audit --no-fund --prefix "$dir" "azurite@$AZURITE_VERSION" >&2
  fi
  echo "$dir/node_modules/.bin/azurite-blob"
}

install_seaweedfs() {
  local bin=$CACHE/seaweedfs-$SEAWEEDFS_VERSION/weed src
  if [ ! -x "$bin" ]; then
    log "building SeaweedFS $SEAWEEDFS_VERSION into $CACHE (a few minutes, once)"
    mkdir -p "$(dirname "$bin")"
    src=$(cd "$(dirname "$bin")" && go mod download -json "github.com/seaweedfs/seaweedfs@$SEAWEEDFS_VERSION" |
      sed -n 's/^[[:space:]]*"Dir": "\(.*\)",*$/\1/p')
    if [ -z "$src" ]; then log "cannot download github.com/seaweedfs/seaweedfs@$SEAWEEDFS_VERSION"; return 1; fi
    # -mod=mod lets go add any go.sum line the (read-only) module folder lacks.
    (cd "$src" && CGO_ENABLED=0 GOFLAGS=-mod=mod go build -ldflags="-s -w" -o "$bin.$$" ./weed) >&2
    mv -f "$bin.$$" "$bin" # atomic: a concurrent start sees no half-written binary
  fi
  echo "$bin"
}

# free_port sets PORT to a port nothing listens on at 127.0.0.1, below Linux's ephemeral
# range (so our own outgoing connections cannot take it) and distinct from those already
# handed out in this start. Random, so concurrent starts do not race for the same one.
TAKEN=" "
free_port() {
  local p
  for _ in $(seq 1 500); do
    p=$((20000 + (RANDOM * 32768 + RANDOM) % 12000))
    case $TAKEN in *" $p "*) continue ;; esac
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
      TAKEN="$TAKEN$p "
      PORT=$p
      return 0
    fi
  done
  log "no free port found"
  return 1
}

# ours PID: the process runs and its command line names RUN (so it is one we started,
# not a process that got a recycled pid).
ours() {
  local args
  kill -0 "$1" 2>/dev/null && args=$(ps -o args= -p "$1" 2>/dev/null) && case $args in *"$RUN"*) true ;; *) false ;; esac
}

# alive NAME: the process started as NAME is still running.
alive() {
  local pid
  pid=$(cat "$RUN/$1.pid" 2>/dev/null) && ours "$pid"
}

fail_start() { # name
  log "$1 exited, or did not answer within 60 s; the end of its log ($RUN/$1.log):"
  tail -n 30 "$RUN/$1.log" >&2 || true
  return 1
}

wait_port() { # name port
  for _ in $(seq 1 300); do
    alive "$1" || fail_start "$1"
    if (exec 3<>"/dev/tcp/127.0.0.1/$2") 2>/dev/null; then return 0; fi
    sleep 0.2
  done
  fail_start "$1"
}

# wait_seaweedfs: the S3 gateway answers an unsigned request with 403 AccessDenied (so it
# is up and checks signatures) and the master has a volume server to put data on.
wait_seaweedfs() { # s3port masterport
  local s3 vol
  for _ in $(seq 1 300); do
    alive seaweedfs || fail_start seaweedfs
    s3=$(curl -s "http://127.0.0.1:$1/" 2>/dev/null || true)
    vol=$(curl -s "http://127.0.0.1:$2/dir/status" 2>/dev/null || true)
    case $s3 in *AccessDenied*) case $vol in *'"DataNodes":[{'*) return 0 ;; esac ;; esac
    sleep 0.2
  done
  fail_start seaweedfs
}

start_seaweedfs() { # bin s3port
  local weed=$1 s3=$2 m mg v vg f fg sg
  free_port; m=$PORT
  free_port; mg=$PORT
  free_port; v=$PORT
  free_port; vg=$PORT
  free_port; f=$PORT
  free_port; fg=$PORT
  free_port; sg=$PORT
  mkdir -p "$RUN/seaweedfs"
  cat >"$RUN/seaweedfs/s3.json" <<EOJ
{"identities": [{"name": "gros-test",
  "credentials": [{"accessKey": "$S3_ACCESS", "secretKey": "$S3_SECRET"}],
  "actions": ["Admin", "Read", "Write", "List", "Tagging"]}]}
EOJ
  # Its processes talk gRPC over these sockets, always made in /tmp; stop removes them.
  echo "/tmp/seaweedfs-master-grpc-$mg.sock /tmp/seaweedfs-volume-grpc-$vg.sock" \
    "/tmp/seaweedfs-filer-grpc-$fg.sock /tmp/seaweedfs-s3-grpc-$sg.sock" >"$RUN/seaweedfs.sockets"
  # Every bucket is its own collection; grow one volume at a time (the default is 7) and
  # keep volumes small so the hundreds of test buckets fit. Logs to stderr only (not to
  # files in /tmp), toml config only from the run dir, no telemetry, no Iceberg or Lance
  # catalogs, no 10 s pause at stop; the gRPC ports are given so none is port+10000.
  (cd "$RUN/seaweedfs" && WEED_MASTER_VOLUME_GROWTH_COPY_1=1 exec "$weed" -logtostderr \
    -config_dir="$RUN/seaweedfs" server -ip=127.0.0.1 -ip.bind=127.0.0.1 -dir="$RUN/seaweedfs" \
    -master.port="$m" -master.port.grpc="$mg" -master.telemetry=false -master.volumeSizeLimitMB=64 \
    -volume.port="$v" -volume.port.grpc="$vg" -volume.max=0 -volume.preStopSeconds=0 \
    -filer.port="$f" -filer.port.grpc="$fg" -filer.localSocket="$RUN/seaweedfs/filer.sock" \
    -s3 -s3.port="$s3" -s3.port.grpc="$sg" -s3.port.iceberg=0 -s3.port.lance=0 \
    -s3.config="$RUN/seaweedfs/s3.json" -s3.localSocket="$RUN/seaweedfs/s3.sock") \
    >"$RUN/seaweedfs.log" 2>&1 &
  echo $! >"$RUN/seaweedfs.pid"
  SEAWEEDFS_MASTER=$m
}

start() {
  local vgw az weed s3 s3b azp
  command -v curl >/dev/null || { log "curl is needed to see that SeaweedFS is ready"; exit 1; }
  vgw=$(install_versitygw)
  az=$(install_azurite)
  weed=$(install_seaweedfs)
  RUN=$(mktemp -d "${TMPDIR:-/tmp}/gros-servers.XXXXXX")
  echo "$RUN" >"$RUN/$MARK" # the exact path the servers' command lines hold
  trap 'log "start failed; stopping what it began"; stop_run' EXIT
  mkdir -p "$RUN/s3data" "$RUN/azdata"
  free_port; s3=$PORT
  free_port; s3b=$PORT
  free_port; azp=$PORT
  "$vgw" --port "127.0.0.1:$s3" --access "$S3_ACCESS" --secret "$S3_SECRET" \
    --region us-east-1 --quiet posix "$RUN/s3data" >"$RUN/versitygw.log" 2>&1 &
  echo $! >"$RUN/versitygw.pid"
  "$az" --blobHost 127.0.0.1 --blobPort "$azp" --location "$RUN/azdata" \
    --skipApiVersionCheck --loose --silent --disableTelemetry >"$RUN/azurite.log" 2>&1 &
  echo $! >"$RUN/azurite.pid"
  start_seaweedfs "$weed" "$s3b"
  wait_port versitygw "$s3"
  wait_port azurite "$azp"
  wait_seaweedfs "$s3b" "$SEAWEEDFS_MASTER"
  cat >"$RUN/env" <<EOV
export GROS_TEST_S3_ENDPOINT=http://127.0.0.1:$s3
export GROS_TEST_S3_ACCESS_KEY=$S3_ACCESS
export GROS_TEST_S3_SECRET_KEY=$S3_SECRET
export GROS_TEST_S3_REGION=us-east-1
export GROS_TEST_S3B_ENDPOINT=http://127.0.0.1:$s3b
export GROS_TEST_S3B_ACCESS_KEY=$S3_ACCESS
export GROS_TEST_S3B_SECRET_KEY=$S3_SECRET
export GROS_TEST_S3B_REGION=us-east-1
export GROS_TEST_AZ_ENDPOINT=http://127.0.0.1:$azp/$AZ_ACCOUNT
export GROS_TEST_AZ_ACCOUNT=$AZ_ACCOUNT
export GROS_TEST_AZ_KEY='$AZ_KEY'
EOV
  trap - EXIT
  log "versitygw on 127.0.0.1:$s3, SeaweedFS S3 on 127.0.0.1:$s3b, Azurite on 127.0.0.1:$azp; run dir $RUN"
  echo "$RUN"
}

# stop_run ends the processes RUN's start began, then deletes RUN. A pid is signalled
# only while its command line still names RUN, so a recycled pid is never hit. The data
# is thrown away, so nobody gets long to shut down cleanly (SeaweedFS would take ~15 s).
stop_run() {
  local f pid left pids=""
  for f in "$RUN"/*.pid; do
    [ -f "$f" ] || continue
    pids="$pids $(cat "$f")"
  done
  for pid in $pids; do
    if ours "$pid"; then kill "$pid" 2>/dev/null || true; fi
  done
  for _ in $(seq 1 30); do # 3 s
    left=no
    for pid in $pids; do
      if ours "$pid"; then left=yes; fi
    done
    if [ $left = no ]; then break; fi
    sleep 0.1
  done
  for pid in $pids; do
    if ours "$pid"; then kill -9 "$pid" 2>/dev/null || true; fi
  done
  rm -f "$RUN"/*.pid
  if [ -f "$RUN/seaweedfs.sockets" ]; then
    # shellcheck disable=SC2046 # a list of paths without spaces
    rm -f $(cat "$RUN/seaweedfs.sockets")
  fi
  rm -rf "$RUN"
}

run_dir() { # [dir]: the run directory env/stop act on
  RUN=${1:-${GROS_SERVER_RUN:-}}
  if [ -z "$RUN" ]; then
    log "which servers? pass the directory \`start\` printed, or set GROS_SERVER_RUN to it"
    exit 2
  fi
  if [ ! -f "$RUN/$MARK" ]; then
    log "$RUN is not a run directory made by \`$0 start\` (or it was stopped already)"
    exit 1
  fi
  RUN=$(cat "$RUN/$MARK")
  if [ -z "$RUN" ]; then log "${1:-$GROS_SERVER_RUN}/$MARK is empty"; exit 1; fi
}

case "${1:-}" in
  start) start ;;
  stop) run_dir "${2:-}"; stop_run ;;
  env) run_dir "${2:-}"; cat "$RUN/env" ;;
  *) echo "usage: $0 start | env [RUN] | stop [RUN]" >&2; exit 2 ;;
esac
