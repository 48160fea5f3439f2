package gitpack

// OnWalkDone has each walk tell f how many tree entries it stepped over (treeScan), until
// the returned func is called.
func OnWalkDone(f func(copied int)) (restore func()) {
	walkDone = f
	return func() { walkDone = nil }
}

// SlowCommitWalk has the commit walk call f as it takes each commit (the trees walked
// beside it then go on meanwhile), until the returned func is called.
func SlowCommitWalk(f func()) (restore func()) {
	commitTaken = f
	return func() { commitTaken = nil }
}
