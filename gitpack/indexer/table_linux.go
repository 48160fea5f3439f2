package indexer

import "syscall"

// mapAnon maps size zeroed bytes of private memory, or returns nil. MAP_NORESERVE: a
// table is sized by the object count the pack announces, and pages never touched must
// cost nothing, not even commit charge.
func mapAnon(size int) []byte {
	b, err := syscall.Mmap(-1, 0, size, syscall.PROT_READ|syscall.PROT_WRITE,
		syscall.MAP_PRIVATE|syscall.MAP_ANON|syscall.MAP_NORESERVE)
	if err != nil {
		return nil
	}
	return b
}

func unmap(b []byte) { syscall.Munmap(b) }

// adviseHuge asks for b, a mapping filled front to back, to be backed by huge pages
// (where the system has them on request): a clone of git.git took a third of the page
// faults.
func adviseHuge(b []byte) { syscall.Madvise(b, syscall.MADV_HUGEPAGE) }
