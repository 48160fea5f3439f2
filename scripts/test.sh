#!/usr/bin/env bash
# The project's test command (make test, and so CI): start the real servers in a run
# directory of this run's own, run every Go test against them, stop exactly those servers,
# print the coverage, exit with the tests' status. Concurrent runs on one machine do not
# disturb each other.
#
# Coverage costs one instrumented build, so it is always measured (COVER=0 skips it, as
# make stress does). The unit tests write raw counters with -test.gocoverdir; the e2e
# suite builds the binary with -cover (e2e/harness_test.go, asked by GROS_COVERDIR), so
# every helper process git starts writes its counters too. `go tool covdata` merges them:
# the table shows, per package the binary is built from, the unit tests alone and the unit
# tests with the end-to-end suite.
#
#   scripts/test.sh [go test flags]   e.g. scripts/test.sh -run TestCLIGolden
#
# COVER_DIR (default bin/cover) keeps unit/ and e2e/ (raw counters) and unit.txt and
# merged.txt (profiles for `go tool cover -func=` or `-html=`).
set -uo pipefail
cd "$(dirname "$0")/.."
RUN=$(scripts/test-servers.sh start) || exit 1
trap 'scripts/test-servers.sh stop "$RUN"' EXIT
eval "$(scripts/test-servers.sh env "$RUN")" || exit 1
# Never let a credential chain in a test reach for EC2 instance metadata (169.254.169.254).
export AWS_EC2_METADATA_DISABLED=true

if [ "${COVER:-1}" = 0 ]; then
  exec go test -count=1 -timeout 25m "$@" ./...
fi

OUT=$(mkdir -p "${COVER_DIR:-bin/cover}" && cd "${COVER_DIR:-bin/cover}" && pwd) || exit 1
rm -rf "$OUT/unit" "$OUT/e2e" && mkdir -p "$OUT/unit" "$OUT/e2e" || exit 1
# The packages measured: the module's packages the binary is built from (not the test
# helpers, not the benchmarks), the same set the e2e binary is instrumented for. Each
# result line drops the list of measured packages go test appends to its figure.
mod=$(go list -m) || exit 1
pkgs=$(go list -deps . | grep -E "^$mod(/|\$)" | paste -sd, -)
GROS_COVERDIR="$OUT/e2e" go test -count=1 -timeout 25m -cover -coverpkg="$pkgs" "$@" ./... \
  -args -test.gocoverdir="$OUT/unit" 2>&1 |
  sed -u 's/ of statements in .*/ of statements (of the measured packages)/'
status=${PIPESTATUS[0]}

total() { go tool cover -func="$1" | awk '$1 == "total:" { print $NF }'; }
go tool covdata textfmt -i="$OUT/unit" -o "$OUT/unit.txt" || exit 1
go tool covdata textfmt -i="$OUT/unit,$OUT/e2e" -o "$OUT/merged.txt" || exit 1
echo
echo "coverage of the binary's packages, unit tests alone | unit + e2e:"
join -t $'\t' -a 2 -e - -o 0,1.2,2.2 \
  <(go tool covdata percent -i="$OUT/unit" | awk '{ print $1 "\t" $3 }' | sort) \
  <(go tool covdata percent -i="$OUT/unit,$OUT/e2e" | awk '{ print $1 "\t" $3 }' | sort) |
  awk -F'\t' -v m="$mod" '{ p = $1; sub("^" m "/?", "", p); if (p == "") p = "(main)"; printf "  %-26s %7s  %7s\n", p, $2, $3 }'
printf "  %-26s %7s  %7s\n" total "$(total "$OUT/unit.txt")" "$(total "$OUT/merged.txt")"
echo "profiles: $OUT/unit.txt, $OUT/merged.txt (go tool cover -html=...)"
exit "$status"
