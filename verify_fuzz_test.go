package main

import (
	"path/filepath"
	"strings"
	"testing"
)

// FuzzParseSumLine: any line of a SHA256SUMS file. What parses is a lower-case sha256
// and a name that stays inside the release directory, and writing the pair back as a
// line in either mode parses to the same pair.
func FuzzParseSumLine(f *testing.F) {
	const sum = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
	for _, line := range []string{
		sum + "  a_linux_amd64.tar.gz",
		sum + " *a_windows_amd64.zip",
		strings.ToUpper(sum) + "  sub/dir/file",
		sum + "  ../escape",
		sum + "  /etc/passwd",
		sum + "  a/../../b",
		sum + "  a/..",
		sum + "  C:\\x",
		sum + "  ",
		sum + " x",
		sum[:63] + "g  x",
		"\\" + sum + "  back\\nslash",
		"",
	} {
		f.Add(line)
	}
	dir := filepath.Join("release", "dist")
	f.Fuzz(func(t *testing.T, line string) {
		got, name, ok := parseSumLine(line)
		if !ok {
			return
		}
		if len(got) != 64 || strings.Trim(got, "0123456789abcdef") != "" || got != strings.ToLower(line[:64]) {
			t.Fatalf("%q: sum %q", line, got)
		}
		rel, err := filepath.Rel(dir, filepath.Join(dir, filepath.FromSlash(name)))
		if err != nil || filepath.IsAbs(rel) || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
			t.Fatalf("%q: name %q leaves the directory (%q, %v)", line, name, rel, err)
		}
		for _, mode := range []string{" ", "*"} {
			s2, n2, ok := parseSumLine(got + " " + mode + name)
			if !ok || s2 != got || n2 != name {
				t.Fatalf("%q written back in mode %q parses to %q %q %v", line, mode, s2, n2, ok)
			}
		}
	})
}
