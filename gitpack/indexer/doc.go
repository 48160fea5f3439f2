// Package indexer receives a pack the way git's index-pack does: it streams the pack
// into a temporary file while parsing it, hashes every object (resolving deltas as a
// tree from each base, so one chain of inflated bases is alive at a time), verifies the
// trailer, completes thin packs from the local repository, writes the version-2 index,
// and only then renames pack and index into place. Any failure removes both temporaries:
// a damaged or hostile pack never leaves a file behind.
package indexer
