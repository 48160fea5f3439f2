package indexer

import "io"

// Work is what resolving the deltas of a pack cost.
type Work struct {
	Applied int64 // delta applications, rebuilds of bases let go included
	Bytes   int64 // bytes those applications produced
}

// IndexCounting is Index, also reporting the resolver's work.
func IndexCounting(r io.Reader, dir string, opt Options) (Result, Work, error) {
	opt.work = &work{}
	res, err := Index(r, dir, opt)
	return res, Work{opt.work.applied.Load(), opt.work.bytes.Load()}, err
}
