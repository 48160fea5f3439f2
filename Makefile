# git-remote-object-store — the targets the README and CI use.
GO      ?= go
BIN     ?= bin/git-remote-object-store
# -trimpath keeps the checkout's path out of the binary and the commit is stamped from
# git (when there is a checkout): the same commit gives the same sha256 in any clean clone
# on any machine (same Go version and target), and `version` says which commit it is.
GOFLAGS_BUILD = -trimpath -buildvcs=auto -ldflags=-buildid=

.PHONY: build test cover stress demo vet fmt bench bench-compare clean release man

build:
	CGO_ENABLED=0 $(GO) build $(GOFLAGS_BUILD) -o $(BIN) .

# Starts versitygw, SeaweedFS (two S3s) and Azurite on 127.0.0.1 in a run directory of its
# own, runs every test against them and fs, stops exactly those servers, and prints the
# coverage of the binary's packages: unit tests alone, and merged with the e2e suite (its
# binary built with -cover). COVER=0 make test skips the coverage.
test:
	scripts/test.sh

# The same run; the name people look for.
cover: test

# The concurrency tests at full size: eight pushers x 50 rounds (one ref, eight refs) on
# every backend and engine, gc at its smallest grace during pushes, the store CAS checks.
# STRESS_COUNT=30 repeats them.
STRESS_COUNT ?= 1
stress:
	COVER=0 GROS_STRESS_ROUNDS=50 scripts/test.sh -count=$(STRESS_COUNT) -race -run 'EightPushers|CompactAndGCDuringPushes|ReadModifyWrite|CASRounds|CreateRace'

# Shows the tool's main job on the embedded default, a local directory used as a bucket.
demo: build
	scripts/demo.sh $(BIN)

vet:
	$(GO) vet ./...
	@test -z "$$(gofmt -l .)" || { gofmt -l .; exit 1; }

fmt:
	gofmt -w .

# The benchmarks that need no network: pack writing and indexing, ours beside git's, on
# this repository. The others need the test servers (scripts/test-servers.sh start, which
# installs them on first use) and, for two of them, a large bare repository you fetch.
bench:
	bench/gitpack.sh
	@echo
	@echo 'Not run here. On another repository (a clone or bare git dir you fetched):'
	@echo '  bench/gitpack.sh <repo-or-bare-gitdir> [rev...]'
	@echo 'Against the test servers (export GROS_SERVER_RUN=$$(scripts/test-servers.sh start)):'
	@echo '  bench/engines.sh <bare-repo> [ref]      bundle vs packchain: push, clone, fetch, cat (needs aws CLI)'
	@echo '  bench/bundle-e2e.sh <bare-repo> [ref]   bundle engine beside git clone --no-local and git bundle'
	@echo '  bench/lfs.sh [MiB]                      one LFS object up and down (needs git-lfs)'
	@echo '  SIZE_MB=1024 bench/s3stream.sh          S3 streaming, ours vs aws s3 cp (needs aws CLI)'
	@echo '  bench/large.sh big [MiB] | many [N...]  synthetic 6 GiB pack / 1 M files: push, clone, RSS'
	@echo 'e.g. git clone --bare https://github.com/git/git /tmp/git.git && bench/engines.sh /tmp/git.git'

# This project beside git itself on one repository, in one run against the test versitygw
# (started and stopped here unless GROS_SERVER_RUN names a running set): first push of each
# engine against `git bundle create`, clone against `git clone --no-local`, a one-commit
# push and fetch, a push from loose objects; prints the table with the ratios.
#   make bench-compare REPO=/tmp/git.git [REF=refs/heads/master] [LOOSE=200000]
# Without REPO it uses this checkout (small: a smoke run, not a measurement).
bench-compare:
	bench/compare.sh $(REPO) $(REF)

# A signed, reproducible release of the six targets (scripts/release): binaries, .tar.gz /
# .zip archives, a CycloneDX SBOM per binary, SHA256SUMS and its SSH signature
# (ssh-keygen -Y verify -n file, or git object-store verify). The key is an unencrypted
# OpenSSH ed25519 private key kept outside the repository; without one it refuses.
#   make release VERSION=v1.2.3 SIGNING_KEY=/media/offline/release_ed25519 [DIST=dist] [ALLOW_DIRTY=1]
DIST ?= dist
release:
	@test -n "$(VERSION)" || { echo 'usage: make release VERSION=vX.Y.Z SIGNING_KEY=<OpenSSH ed25519 private key> [DIST=dir]' >&2; exit 2; }
	@test -n "$(SIGNING_KEY)" || { echo 'make release: SIGNING_KEY=<path to an OpenSSH ed25519 private key> is required; the key is never kept in the repository' >&2; exit 2; }
	$(GO) run ./scripts/release -version '$(VERSION)' -key '$(SIGNING_KEY)' -dist '$(DIST)' $(if $(ALLOW_DIRTY),-allow-dirty)

# Man pages made from the built binary's own --help text (scripts/man), so they cannot
# drift from it: man/git-object-store.1 and man/git-object-store-<verb>.1.
#   man -l man/git-object-store-gc.1
man: build
	$(GO) run ./scripts/man -bin $(BIN) -out man

clean:
	rm -rf bin
