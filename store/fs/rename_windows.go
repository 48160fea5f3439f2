package fs

import (
	"errors"
	"os"
	"syscall"
	"time"
)

// Windows errors a rename meets while another process holds the target open.
const (
	errorAccessDenied     = syscall.Errno(5)
	errorSharingViolation = syscall.Errno(32)
)

// replaceFile renames from onto to, replacing to if it exists. os.Rename is
// MoveFileEx(MOVEFILE_REPLACE_EXISTING), atomic on NTFS. Readers open objects with
// FILE_SHARE_DELETE (openObject), which lets the replace go through while they read;
// a process that is not ours (an antivirus scan, an indexer) may still hold the file
// without it for a moment, so the rename is retried for a bounded time, as git for
// Windows does, rather than failed at once.
func replaceFile(from, to string) error {
	delay := 5 * time.Millisecond
	deadline := time.Now().Add(3 * time.Second)
	for {
		err := os.Rename(from, to)
		if err == nil || !(errors.Is(err, errorAccessDenied) || errors.Is(err, errorSharingViolation)) || time.Now().After(deadline) {
			return err
		}
		time.Sleep(delay)
		delay = min(2*delay, 200*time.Millisecond)
	}
}

// openObject opens an object's file for reading with FILE_SHARE_DELETE, which os.Open
// does not ask for: without it a writer could not rename a new version over an object
// someone is reading, where on Unix the reader simply keeps the old bytes.
// FILE_FLAG_BACKUP_SEMANTICS lets it open a directory too, so that a prefix opened as a
// key is told apart (by its mode) from a denied open.
func openObject(name string) (*os.File, error) {
	p, err := syscall.UTF16PtrFromString(name)
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: name, Err: err}
	}
	h, err := syscall.CreateFile(p, syscall.GENERIC_READ,
		syscall.FILE_SHARE_READ|syscall.FILE_SHARE_WRITE|syscall.FILE_SHARE_DELETE,
		nil, syscall.OPEN_EXISTING, syscall.FILE_ATTRIBUTE_NORMAL|syscall.FILE_FLAG_BACKUP_SEMANTICS, 0)
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: name, Err: err}
	}
	return os.NewFile(uintptr(h), name), nil
}
