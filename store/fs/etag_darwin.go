package fs

import (
	"os"
	"syscall"
	"unsafe"
)

var tagName = append([]byte(etagAttr), 0)

// getTag is fgetxattr(2) (darwin's form takes a position and options, both 0 here).
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

// setTag is fsetxattr(2), best effort as on Linux.
func setTag(f *os.File, val []byte) {
	withFd(f, func(fd uintptr) {
		syscall.Syscall6(syscall.SYS_FSETXATTR, fd,
			uintptr(unsafe.Pointer(&tagName[0])), uintptr(unsafe.Pointer(&val[0])), uintptr(len(val)), 0, 0)
	})
}
