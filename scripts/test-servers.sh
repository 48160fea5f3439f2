#!/usr/bin/env bash
# Starts the real object-store servers the integration tests talk to: versitygw (S3) and
# Azurite (Azure Blob), both on 127.0.0.1, each with a fresh data directory.
#
#   scripts/test-servers.sh start   install if missing, start, wait until both answer
#   scripts/test-servers.sh stop    end exactly the processes "start" began (pid files)
#   scripts/test-servers.sh env     print the variables the tests read (eval-able)
#
# Servers are installed into a cache folder outside the repository, never into it.
set -euo pipefail

CACHE=${GROS_SERVER_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/git-remote-object-store/servers}
RUN=${GROS_SERVER_RUN:-${TMPDIR:-/tmp}/git-remote-object-store-servers}
VERSITYGW_VERSION=v1.8.0
AZURITE_VERSION=3.37.0
S3_PORT=${GROS_S3_PORT:-17070}
AZ_PORT=${GROS_AZ_PORT:-17071}
S3_ACCESS=gros-test-access
S3_SECRET=gros-test-secret-0123456789
AZ_ACCOUNT=devstoreaccount1
AZ_KEY='Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=='

log() { echo "test-servers: $*" >&2; }

install_versitygw() {
  local bin=$CACHE/versitygw-$VERSITYGW_VERSION/versitygw
  if [ ! -x "$bin" ]; then
    log "installing versitygw $VERSITYGW_VERSION into $CACHE"
    mkdir -p "$(dirname "$bin")"
    GOBIN=$(dirname "$bin") CGO_ENABLED=0 go install "github.com/versity/versitygw/cmd/versitygw@$VERSITYGW_VERSION"
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

wait_port() { # name port
  local i
  for i in $(seq 1 150); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$2") 2>/dev/null; then return 0; fi
    sleep 0.2
  done
  log "$1 did not answer on 127.0.0.1:$2 within 30 s; its log: $RUN/$1.log"
  tail -n 20 "$RUN/$1.log" >&2 || true
  return 1
}

start() {
  stop_quiet
  local vgw az
  vgw=$(install_versitygw)
  az=$(install_azurite)
  rm -rf "$RUN"
  mkdir -p "$RUN/s3data" "$RUN/azdata"
  "$vgw" --port "127.0.0.1:$S3_PORT" --access "$S3_ACCESS" --secret "$S3_SECRET" \
    --region us-east-1 --quiet posix "$RUN/s3data" >"$RUN/versitygw.log" 2>&1 &
  echo $! >"$RUN/versitygw.pid"
  "$az" --blobHost 127.0.0.1 --blobPort "$AZ_PORT" --location "$RUN/azdata" \
    --skipApiVersionCheck --loose --silent --disableTelemetry >"$RUN/azurite.log" 2>&1 &
  echo $! >"$RUN/azurite.pid"
  wait_port versitygw "$S3_PORT"
  wait_port azurite "$AZ_PORT"
  log "versitygw on 127.0.0.1:$S3_PORT, Azurite on 127.0.0.1:$AZ_PORT (data in $RUN)"
}

stop_quiet() {
  local f pid
  for f in "$RUN"/*.pid; do
    [ -f "$f" ] || continue
    pid=$(cat "$f")
    if kill -0 "$pid" 2>/dev/null; then
      kill "$pid" 2>/dev/null || true
      for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -9 "$pid" 2>/dev/null || true
    fi
    rm -f "$f"
  done
}

env_vars() {
  cat <<EOV
export GROS_TEST_S3_ENDPOINT=http://127.0.0.1:$S3_PORT
export GROS_TEST_S3_ACCESS_KEY=$S3_ACCESS
export GROS_TEST_S3_SECRET_KEY=$S3_SECRET
export GROS_TEST_S3_REGION=us-east-1
export GROS_TEST_AZ_ENDPOINT=http://127.0.0.1:$AZ_PORT/$AZ_ACCOUNT
export GROS_TEST_AZ_ACCOUNT=$AZ_ACCOUNT
export GROS_TEST_AZ_KEY='$AZ_KEY'
EOV
}

case "${1:-}" in
  start) start ;;
  stop) stop_quiet ;;
  env) env_vars ;;
  *) echo "usage: $0 start|stop|env" >&2; exit 2 ;;
esac
