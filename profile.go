package main

import (
	"fmt"
	"io"
	"os"
	"runtime/pprof"
)

// startProfile starts a CPU profile of this process when GIT_REMOTE_OBJECT_STORE_CPUPROFILE
// names a file; the returned function stops it. Git starts the helper itself, so an
// environment variable is the only way to profile a real push or clone; each helper
// process git starts overwrites the file, so the last one (a push's or clone's only one)
// is what it holds. A failure to profile is reported and otherwise ignored: it must never
// fail the push.
func startProfile(stderr io.Writer) func() {
	path := os.Getenv("GIT_REMOTE_OBJECT_STORE_CPUPROFILE")
	if path == "" {
		return func() {}
	}
	f, err := os.Create(path)
	if err == nil {
		err = pprof.StartCPUProfile(f)
		if err != nil {
			f.Close()
		}
	}
	if err != nil {
		fmt.Fprintf(stderr, "warning: GIT_REMOTE_OBJECT_STORE_CPUPROFILE: %v\n", err)
		return func() {}
	}
	return func() {
		pprof.StopCPUProfile()
		if err := f.Close(); err != nil {
			fmt.Fprintf(stderr, "warning: GIT_REMOTE_OBJECT_STORE_CPUPROFILE: %v\n", err)
		}
	}
}
