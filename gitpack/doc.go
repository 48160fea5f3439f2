// Package gitpack is the local repository as a remote helper sees it, read and written
// without running git: object lookup (loose objects, any number of packs, alternates),
// refs, config, reachability walks, writing packs and indexing received ones.
//
// Format details live in the subpackages: object (ids, types), pack (pack and index
// formats), packer (building packs), indexer (receiving packs).
package gitpack
