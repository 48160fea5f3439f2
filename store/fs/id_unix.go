//go:build unix

package fs

import (
	"fmt"
	"os"
	"syscall"
)

// fileID names the file itself (device and inode), not its path.
func fileID(_ *os.File, fi os.FileInfo) string {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return fmt.Sprintf("%d/%d", st.Dev, st.Ino)
	}
	return ""
}

// withFd runs fn with f's descriptor, kept open for the call.
func withFd(f *os.File, fn func(fd uintptr)) error {
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	return rc.Control(fn)
}
