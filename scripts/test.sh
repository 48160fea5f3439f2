#!/usr/bin/env bash
# The project's test command (make test): start the real servers in a run directory of
# this run's own, run every Go test against them, stop exactly those servers, exit with
# the tests' status. Concurrent runs on one machine do not disturb each other.
set -uo pipefail
cd "$(dirname "$0")/.."
RUN=$(scripts/test-servers.sh start) || exit 1
trap 'scripts/test-servers.sh stop "$RUN"' EXIT
eval "$(scripts/test-servers.sh env "$RUN")" || exit 1
# Never let a credential chain in a test reach for EC2 instance metadata (169.254.169.254).
export AWS_EC2_METADATA_DISABLED=true
go test -count=1 -timeout 25m "$@" ./...
