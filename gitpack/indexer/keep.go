package indexer

// Every delta is inflated as it is received (to find where its entry ends), and used
// only later, when its base is known. Inflating it again then was a quarter of the
// resolving phase on git.git (2.75 s of 11.5 s of CPU). So the deltas received are kept,
// inflated, in one mapping outside the heap, up to keepBudget bytes (git.git's 310 k
// deltas are 386 MiB inflated: about two thirds fit); the rest are read and inflated
// again as before. Only deltas are kept: a whole object is needed again only as the
// base of a delta tree, and those are few and large.

// keepBudget bounds the deltas kept: resident memory, on top of the clone's ~100 MiB,
// still well below what git index-pack needs for the same pack.
const keepBudget = 256 << 20

// maxKept is the largest delta kept (its length must fit in keptAt's low bits).
const maxKept = 1<<keptLenBits - 1

const keptLenBits = 24

// startKeeping maps the room for kept deltas, if the system allows mapping outside the
// heap (on the heap it would count twice towards the collector's target).
func (ix *indexer) startKeeping() {
	budget := ix.opt.keepBudget
	if budget == 0 {
		budget = keepBudget
	}
	if budget < 0 || ix.count == 0 {
		return
	}
	if ix.kept = mapped[byte](&ix.tab, int(budget)); ix.kept != nil {
		// Filled front to back as the pack arrives: in huge pages, a few hundred page
		// faults instead of sixty thousand.
		adviseHuge(ix.kept)
		ix.keptAt = alloc[uint64](&ix.tab, int(ix.count))
	}
}

// keepSlot returns where a delta of size bytes is to be inflated to be kept, or nil when
// there is no room for it.
func (ix *indexer) keepSlot(size int64) []byte {
	if size <= 0 || size > maxKept || int64(ix.keptN)+size > int64(len(ix.kept)) {
		return nil
	}
	return ix.kept[ix.keptN : ix.keptN+int(size)]
}

// kept1 records that entry i's delta, n bytes, was inflated into the slot keepSlot gave.
func (ix *indexer) kept1(i, n int) {
	if i >= len(ix.keptAt) {
		return
	}
	ix.keptAt[i] = uint64(ix.keptN)<<keptLenBits | uint64(n)
	ix.keptN += n
}

// keptDelta returns entry i's delta if it was kept, or nil. The bytes are shared: the
// caller must not write to them.
func (ix *indexer) keptDelta(i int) []byte {
	if i >= len(ix.keptAt) {
		return nil
	}
	at := ix.keptAt[i]
	if at == 0 {
		return nil
	}
	off, n := at>>keptLenBits, at&maxKept
	return ix.kept[off : off+n : off+n]
}
