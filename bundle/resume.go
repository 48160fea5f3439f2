package bundle

import "git-remote-object-store/engine"

// resumeOptions makes a bundle upload resumable (engine.PutResumable) with its record in
// the local repository, when there is one.
func (e *Engine) resumeOptions() engine.ResumeOptions {
	if e.repo == nil {
		return engine.ResumeOptions{}
	}
	return engine.ResumeOptions{GitDir: e.repo.CommonDir(), Log: e.cfg.Warn}
}
