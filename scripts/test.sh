#!/usr/bin/env bash
# The project's test command (make test): start the real servers, run every Go test
# against them, stop exactly the servers this run started, exit with the tests' status.
set -uo pipefail
cd "$(dirname "$0")/.."
scripts/test-servers.sh start || exit 1
trap 'scripts/test-servers.sh stop' EXIT
eval "$(scripts/test-servers.sh env)"
# Never let a credential chain in a test reach for EC2 instance metadata (169.254.169.254).
export AWS_EC2_METADATA_DISABLED=true
go test -count=1 -timeout 25m "$@" ./...
