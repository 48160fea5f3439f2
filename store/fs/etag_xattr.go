//go:build linux || darwin

package fs

import (
	"os"
	"syscall"
	"unsafe"
)

var tagName = append([]byte(etagAttr), 0)

// getTag is fgetxattr(2): the package syscall offers only the path form (and on darwin
// not even that). The trailing arguments are 0: flags on Linux, position and options on
// darwin.
func getTag(f *os.File, buf []byte) (int, error) {
	var n uintptr
	var errno syscall.Errno
	err := withFd(f, func(fd uintptr) {
		n, _, errno = syscall.Syscall6(syscall.SYS_FGETXATTR, fd,
			uintptr(unsafe.Pointer(&tagName[0])), uintptr(unsafe.Pointer(&buf[0])), uintptr(len(buf)), 0, 0)
	})
	if err != nil {
		return 0, err
	}
	if errno != 0 {
		return 0, errno
	}
	return int(n), nil
}

// setTag is fsetxattr(2). Best effort: without user xattrs the ETag falls back to the
// file's identity.
func setTag(f *os.File, val []byte) {
	withFd(f, func(fd uintptr) {
		syscall.Syscall6(syscall.SYS_FSETXATTR, fd,
			uintptr(unsafe.Pointer(&tagName[0])), uintptr(unsafe.Pointer(&val[0])), uintptr(len(val)), 0, 0)
	})
}
