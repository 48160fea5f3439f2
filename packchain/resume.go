package packchain

import "git-remote-object-store/engine"

// resumeOptions makes a pack upload resumable (engine.PutResumable) with its record in
// the local repository, when there is one. An S3 object is dated from the start of its
// multipart upload, which may be an earlier, killed push: an upload older than a quarter
// of the push window is started over, so the pack is never older than window.go's
// argument allows (a CAS that lands by 3/4 window after this push's upload began is still
// within one window of the pack's date).
func (e *Engine) resumeOptions() engine.ResumeOptions {
	if e.repo == nil {
		return engine.ResumeOptions{}
	}
	return engine.ResumeOptions{GitDir: e.repo.CommonDir(), MaxAge: PushWindow() / 4, Log: e.warn}
}
