// Package e2e is the end-to-end suite: the real git drives the built binary as its
// remote helper against every backend (the local directory always; S3 on versitygw and
// Azure on Azurite when `make test` started them), for every engine.
package e2e
