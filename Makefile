# git-remote-object-store — the targets the README and CI use.
GO      ?= go
BIN     ?= bin/git-remote-object-store
GOFLAGS_BUILD = -trimpath -ldflags=-buildid=

.PHONY: build test demo vet fmt bench clean

build:
	CGO_ENABLED=0 $(GO) build $(GOFLAGS_BUILD) -o $(BIN) .

# Starts versitygw and Azurite on 127.0.0.1, runs every test against them and fs, stops them.
test:
	scripts/test.sh

# Shows the tool's main job on the embedded default, a local directory used as a bucket.
demo: build
	scripts/demo.sh $(BIN)

vet:
	$(GO) vet ./...
	@test -z "$$(gofmt -l .)" || { gofmt -l .; exit 1; }

clean:
	rm -rf bin
