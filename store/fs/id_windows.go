package fs

import (
	"fmt"
	"os"
	"syscall"
)

// fileID names the file itself (volume serial and file index), not its path.
func fileID(f *os.File, _ os.FileInfo) string {
	var d syscall.ByHandleFileInformation
	if err := syscall.GetFileInformationByHandle(syscall.Handle(f.Fd()), &d); err != nil {
		return ""
	}
	return fmt.Sprintf("%d/%d/%d", d.VolumeSerialNumber, d.FileIndexHigh, d.FileIndexLow)
}
