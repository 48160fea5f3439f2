// Package bundle reads and writes git bundles and implements the bundle storage engine.
//
// A bundle (git's Documentation/gitformat-bundle.txt) is a text header followed by a pack:
//
//	# v2 git bundle\n                      or "# v3 git bundle\n"
//	@object-format=sha256\n                 v3 only: capabilities, one per line
//	-<oid>[ <comment>]\n                    prerequisites: objects the pack may build on
//	<oid> <refname>\n                       the refs the bundle carries
//	\n                                      end of the header
//	PACK…                                   a pack (thin when there are prerequisites)
//
// The header is parsed with hard limits (line length, number of lines) because a bundle
// on a bucket is outside input; the pack is left in the reader and streamed, never held.
//
// The engine (engine*.go) stores one full-history bundle per ref, byte-compatible with
// awslabs/git-remote-s3's bucket layout (docs/architecture.md, "Bucket layout: bundle
// engine").
package bundle
