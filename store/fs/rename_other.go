//go:build !windows

package fs

import "os"

// replaceFile renames from onto to, replacing to if it exists: rename(2) is atomic, and
// a reader that has the old file open keeps reading the old bytes.
func replaceFile(from, to string) error { return os.Rename(from, to) }

// openObject opens an object's file for reading.
func openObject(name string) (*os.File, error) { return os.Open(name) }
