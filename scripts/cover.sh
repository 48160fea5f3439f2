#!/usr/bin/env bash
# make cover: the coverage of the packages the binary is built from, by the unit tests
# alone and by the unit tests and the end-to-end suite together. Like scripts/test.sh it
# starts the real servers in a run directory of its own and stops exactly those.
#
# The unit tests write raw counters with -test.gocoverdir; the e2e suite builds the binary
# with -cover (e2e/harness_test.go, asked by GROS_COVERDIR), so every helper process git
# starts writes its counters to GOCOVERDIR. `go tool covdata` merges the two directories.
#
#   scripts/cover.sh [go test flags]   e.g. scripts/cover.sh -short
#
# Output: COVER_DIR (default bin/cover) holds unit/ and e2e/ (raw counters), unit.txt and
# merged.txt (text profiles for `go tool cover -func=` or `-html=`). Exits with the tests'
# status; the figures are printed either way.
set -uo pipefail
cd "$(dirname "$0")/.."
OUT=$(mkdir -p "${COVER_DIR:-bin/cover}" && cd "${COVER_DIR:-bin/cover}" && pwd) || exit 1
rm -rf "$OUT/unit" "$OUT/e2e" && mkdir -p "$OUT/unit" "$OUT/e2e" || exit 1

RUN=$(scripts/test-servers.sh start) || exit 1
trap 'scripts/test-servers.sh stop "$RUN"' EXIT
eval "$(scripts/test-servers.sh env "$RUN")" || exit 1
# Never let a credential chain in a test reach for EC2 instance metadata (169.254.169.254).
export AWS_EC2_METADATA_DISABLED=true

# The packages measured: the module's packages the binary is built from (not the test
# helpers, not the benchmarks), the same set the e2e binary is instrumented for.
mod=$(go list -m) || exit 1
pkgs=$(go list -deps . | grep -E "^$mod(/|\$)" | paste -sd, -)
units=$(go list ./... | grep -v -x "$mod/e2e")

# Both runs at once, as `go test ./...` would run them; each result line drops the list
# of measured packages go test appends to its figure.
short() { sed -u 's/ of statements in .*/ of statements (of the measured packages)/'; }
(go test -count=1 -timeout 25m -cover -coverpkg="$pkgs" "$@" $units -args -test.gocoverdir="$OUT/unit" 2>&1 | short) &
unit=$!
(GROS_COVERDIR="$OUT/e2e" go test -count=1 -timeout 25m -cover -coverpkg="$pkgs" "$@" ./e2e -args -test.gocoverdir="$OUT/e2e" 2>&1 | short) &
e2e=$!
status=0
wait "$unit" || status=1
wait "$e2e" || status=1

total() { go tool cover -func="$1" | awk '$1 == "total:" { print $NF }'; }
go tool covdata textfmt -i="$OUT/unit" -o "$OUT/unit.txt" || exit 1
go tool covdata textfmt -i="$OUT/unit,$OUT/e2e" -o "$OUT/merged.txt" || exit 1
echo
echo "coverage, unit tests alone | unit + e2e:"
join -t $'\t' -a 2 -e - -o 0,1.2,2.2 \
  <(go tool covdata percent -i="$OUT/unit" | awk '{ print $1 "\t" $3 }' | sort) \
  <(go tool covdata percent -i="$OUT/unit,$OUT/e2e" | awk '{ print $1 "\t" $3 }' | sort) |
  awk -F'\t' -v m="$mod" '{ p = $1; sub("^" m "/?", "", p); if (p == "") p = "(main)"; printf "  %-22s %7s  %7s\n", p, $2, $3 }'
printf "  %-22s %7s  %7s\n" total "$(total "$OUT/unit.txt")" "$(total "$OUT/merged.txt")"
echo "profiles: $OUT/unit.txt, $OUT/merged.txt (go tool cover -html=...)"
exit $status
