# git-remote-object-store — the targets the README and CI use.
GO      ?= go
BIN     ?= bin/git-remote-object-store
GOFLAGS_BUILD = -trimpath -ldflags=-buildid=

.PHONY: build test stress demo vet fmt bench clean

build:
	CGO_ENABLED=0 $(GO) build $(GOFLAGS_BUILD) -o $(BIN) .

# Starts versitygw and Azurite on 127.0.0.1, runs every test against them and fs, stops them.
test:
	scripts/test.sh

# The concurrency tests at full size: eight pushers x 50 rounds (one ref, eight refs) on
# every backend and engine, gc at its smallest grace during pushes, the store CAS checks.
# STRESS_COUNT=30 repeats them.
STRESS_COUNT ?= 1
stress:
	GROS_STRESS_ROUNDS=50 scripts/test.sh -count=$(STRESS_COUNT) -race -run 'EightPushers|CompactAndGCDuringPushes|ReadModifyWrite|CASRounds|CreateRace'

# Shows the tool's main job on the embedded default, a local directory used as a bucket.
demo: build
	scripts/demo.sh $(BIN)

vet:
	$(GO) vet ./...
	@test -z "$$(gofmt -l .)" || { gofmt -l .; exit 1; }

clean:
	rm -rf bin
