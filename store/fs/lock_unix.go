//go:build unix

package fs

import (
	"os"
	"syscall"
)

// lockFile takes an exclusive flock(2) on f. The kernel drops it when the holder dies,
// so a crash never leaves the bucket locked.
func lockFile(f *os.File) error {
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX)
		if err != syscall.EINTR {
			return err
		}
	}
}

func unlockFile(f *os.File) { syscall.Flock(int(f.Fd()), syscall.LOCK_UN) }
