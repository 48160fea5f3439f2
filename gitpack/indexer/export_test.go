package indexer

import "io"

// Work is what resolving the deltas of a pack cost.
type Work struct {
	Applied int64 // delta applications, rebuilds of bases let go included
	Bytes   int64 // bytes those applications produced
	// Entries read again after receiving: inflated from the pack, or copied from the
	// deltas kept.
	Inflated, Kept int64
	Ahead          int64 // deltas resolved while receiving (ahead.go)
	WholeAhead     int64 // whole objects hashed beside the receiver
}

// IndexCounting is Index, also reporting the resolver's work.
func IndexCounting(r io.Reader, dir string, opt Options) (Result, Work, error) {
	return IndexKeeping(r, dir, opt, 0)
}

// IndexKeeping is IndexCounting with keep standing in for keepBudget (< 0: keep none).
func IndexKeeping(r io.Reader, dir string, opt Options, keep int64) (Result, Work, error) {
	opt.keepBudget = keep
	return indexCounting(r, dir, opt)
}

// IndexAhead is IndexCounting with cache standing in for aheadCache (< 0: nothing is
// resolved while receiving); with sync, the receiver lets ahead resolve all it can
// before resolving the rest, so what ahead does not depend on timing.
func IndexAhead(r io.Reader, dir string, opt Options, cache int64, sync bool) (Result, Work, error) {
	opt.ahead, opt.aheadSync = cache, sync
	return indexCounting(r, dir, opt)
}

func indexCounting(r io.Reader, dir string, opt Options) (Result, Work, error) {
	opt.work = &work{}
	res, err := Index(r, dir, opt)
	w := opt.work
	return res, Work{w.applied.Load(), w.bytes.Load(), w.inflations.Load(), w.keptReads.Load(), w.ahead.Load(), w.wholeAhead.Load()}, err
}
