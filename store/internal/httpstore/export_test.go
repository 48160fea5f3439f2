package httpstore

import (
	"testing"
	"time"
)

// SetTimeouts shortens the attempt watch's timeouts and the resume bound for t.
func SetTimeouts(t testing.TB, idle, answer time.Duration, resumes int) {
	oi, oa, or := readIdleTimeout, answerTimeout, maxResumes
	readIdleTimeout, answerTimeout, maxResumes = idle, answer, resumes
	t.Cleanup(func() { readIdleTimeout, answerTimeout, maxResumes = oi, oa, or })
}
