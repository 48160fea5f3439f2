// Package packer writes version-2 packs, streaming to an io.Writer: the entries of
// the objects it is given, then the trailer hash. It depends only on a Source of
// objects, not on where they are stored.
package packer
