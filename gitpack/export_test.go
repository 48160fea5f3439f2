package gitpack

// OnWalkDone has each walk tell f how many tree entries it stepped over (treeScan), until
// the returned func is called.
func OnWalkDone(f func(copied int)) (restore func()) {
	walkDone = f
	return func() { walkDone = nil }
}
