//go:build !linux

package indexer

// mapAnon is only done on Linux; elsewhere the tables are ordinary heap slices.
func mapAnon(size int) []byte { return nil }

func unmap(b []byte) {}

func adviseHuge(b []byte) {}
