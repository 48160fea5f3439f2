// Package packchain is the incremental storage engine: every push uploads one
// self-contained pack of only the new objects, and one small JSON manifest, replaced by
// compare-and-swap on its ETag, names every ref and every live pack.
//
// Layout under the remote's prefix (docs/architecture.md, "Bucket layout: packchain
// engine"):
//
//	FORMAT                               "packchain-v2"
//	packchain/manifest.json              the only mutable object (If-None-Match create, If-Match replace)
//	packchain/packs/pack-<hash>.pack     immutable, content-addressed, never thin
//	packchain/packs/pack-<hash>.idx      its index, for range reads of single objects
//
// <hash> is the pack's set name, the hash of its sorted object ids (pack.SetName), known
// before the pack is written, so a push streams it into the store; or its trailer, for a
// pack whose set name was taken (push.go says when).
//
// manifest.json:
//
//	{"version":1, "object_format":"sha1", "head":"refs/heads/main",
//	 "refs":{"refs/heads/main":"<oid>"}, "protected":["refs/heads/main"],
//	 "packs":[{"name":"pack-<hash>", "size":N, "objects":N,
//	           "tips":["<commit new in this pack>"], "prereqs":["<commit it builds on>"],
//	           "created":"2026-11-25T03:00:00Z"}]}   // newest first
//
// Because every pack is self-contained and the manifest lists packs newest first with
// the commits each one introduces (tips) and builds on (prereqs), a fetch walks the list
// and downloads only the packs that hold commits the local repository lacks.
package packchain
