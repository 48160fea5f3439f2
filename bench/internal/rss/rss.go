// Package rss reads the process's peak resident set size for the benchmark programs.
package rss

import (
	"os"
	"strings"
)

// Peak is VmHWM from /proc/self/status ("?" where there is no /proc).
func Peak() string {
	data, _ := os.ReadFile("/proc/self/status")
	for _, l := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(l, "VmHWM:") {
			return strings.TrimSpace(strings.TrimPrefix(l, "VmHWM:"))
		}
	}
	return "?"
}
