package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"
)

// releaseTargets are the platforms every change must build for: what scripts/release
// ships.
var releaseTargets = []string{"linux/amd64", "linux/arm64", "darwin/amd64", "darwin/arm64", "windows/amd64", "windows/arm64"}

// TestCrossBuild builds every package, and vets every package with its tests, for each
// release target with CGO_ENABLED=0: platform code (xattrs, flock, mmap, symlinks) must
// sit behind build tags with a fallback everywhere. It only compiles, so it runs with
// the ordinary `go test ./...` (make test, CI); -short skips it.
func TestCrossBuild(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: no cross-compilation")
	}
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go toolchain on PATH")
	}
	for _, target := range releaseTargets {
		goos, goarch, _ := strings.Cut(target, "/")
		t.Run(goos+"-"+goarch, func(t *testing.T) {
			for _, args := range [][]string{{"build", "./..."}, {"vet", "./..."}} {
				cmd := exec.Command(gobin, args...)
				cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS="+goos, "GOARCH="+goarch)
				if out, err := cmd.CombinedOutput(); err != nil {
					t.Errorf("GOOS=%s GOARCH=%s go %s: %v\n%s", goos, goarch, strings.Join(args, " "), err, out)
				}
			}
		})
	}
}

func TestFormatVersion(t *testing.T) {
	vcs := func(kv ...string) *debug.BuildInfo {
		bi := &debug.BuildInfo{Main: debug.Module{Path: "git-remote-object-store", Version: "(devel)"}}
		for i := 0; i+1 < len(kv); i += 2 {
			bi.Settings = append(bi.Settings, debug.BuildSetting{Key: kv[i], Value: kv[i+1]})
		}
		return bi
	}
	for _, c := range []struct {
		name, release string
		bi            *debug.BuildInfo
		want          string // the first three lines
	}{
		{"nothing", "", nil, "git-remote-object-store dev\ncommit: unknown\nbuilt:  unknown\n"},
		{"devel", "", vcs(), "git-remote-object-store dev\ncommit: unknown\nbuilt:  unknown\n"},
		{"release", "v1.2.3", vcs("vcs.revision", "abc123", "vcs.time", "2025-01-02T03:04:05Z", "vcs.modified", "false"),
			"git-remote-object-store v1.2.3\ncommit: abc123\nbuilt:  2025-01-02T03:04:05Z\n"},
		{"dirty", "", vcs("vcs.revision", "abc123", "vcs.modified", "true"),
			"git-remote-object-store dev\ncommit: abc123-dirty\nbuilt:  unknown\n"},
		{"module version", "", &debug.BuildInfo{Main: debug.Module{Version: "v0.0.0-20250102030405-abc123abc123+dirty"}},
			"git-remote-object-store v0.0.0-20250102030405-abc123abc123+dirty\ncommit: unknown\nbuilt:  unknown\n"},
	} {
		got := formatVersion(c.release, c.bi)
		if !strings.HasPrefix(got, c.want) || !strings.Contains(got, "\ngo:     go") {
			t.Errorf("%s: got\n%s\nwant it to start\n%s", c.name, got, c.want)
		}
	}
}

// On Windows install makes <name>.exe hard links (or copies) instead of symlinks; the
// function runs on every OS, so it is tested here.
func TestLinkExe(t *testing.T) {
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	p := filepath.Join(dir, "git-remote-s3+https.exe")
	if msg, err := linkExe(self, p, true); err != nil || !strings.HasPrefix(msg, "would") {
		t.Fatalf("dry run: %q, %v", msg, err)
	}
	if _, err := os.Lstat(p); !os.IsNotExist(err) {
		t.Fatalf("dry run made %s", p)
	}
	if msg, err := linkExe(self, p, false); err != nil || !strings.HasPrefix(msg, "= ") {
		t.Fatalf("first install: %q, %v", msg, err)
	}
	if ok, err := sameContent(self, p); !ok || err != nil {
		t.Fatalf("installed file differs from the binary: %v", err)
	}
	if msg, err := linkExe(self, p, false); err != nil || !strings.HasPrefix(msg, "already installed") {
		t.Fatalf("second install: %q, %v", msg, err)
	}
	// A copy (not a link) of us is recognised too.
	cp := filepath.Join(dir, "git-object-store.exe")
	if err := copyFile(self, cp); err != nil {
		t.Fatal(err)
	}
	if msg, err := linkExe(self, cp, false); err != nil || msg != "already installed (a copy)" {
		t.Fatalf("copy: %q, %v", msg, err)
	}
	// Somebody else's program is left alone.
	other := filepath.Join(dir, "git-remote-s3.exe")
	os.WriteFile(other, []byte("MZ not ours"), 0o755)
	if msg, err := linkExe(self, other, false); err != nil || !strings.HasPrefix(msg, "left alone") {
		t.Fatalf("foreign file: %q, %v", msg, err)
	}
	if b, _ := os.ReadFile(other); string(b) != "MZ not ours" {
		t.Fatal("foreign file changed")
	}
}
