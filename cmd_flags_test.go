package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// runCLIArgs runs the CLI in-process with args after the program name.
func runCLIArgs(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var o, e bytes.Buffer
	code = run(context.Background(), append([]string{"git-remote-object-store"}, args...), strings.NewReader(""), &o, &e)
	return code, o.String(), e.String()
}

// TestVerbUsageNamesEveryOption: for every verb, -h and --help exit 0, the usage line of
// --help is the one a usage error prints, and it names each option --help lists.
func TestVerbUsageNamesEveryOption(t *testing.T) {
	t.Chdir(t.TempDir()) // no repository, no remotes
	for _, v := range verbs() {
		t.Run(v.name, func(t *testing.T) {
			prefix := []string{v.name}
			if v.name == "lfs" {
				prefix = append(prefix, "install")
			}
			code, help, stderr := runCLIArgs(t, append(prefix, "--help")...)
			if code != exitOK || stderr != "" {
				t.Fatalf("--help: exit %d, stderr %q", code, stderr)
			}
			if code, h, _ := runCLIArgs(t, append(prefix, "-h")...); code != exitOK || h != help {
				t.Fatalf("-h: exit %d, output differs from --help:\n%s", code, h)
			}
			usageLine, _, _ := strings.Cut(help, "\n")
			code, _, stderr = runCLIArgs(t, append(prefix, "--no-such-option")...)
			want := "error: unknown option 'no-such-option'\n" + usageLine + "\n"
			if code != exitUsage || stderr != want {
				t.Fatalf("bad option: exit %d, stderr\n%s\nwant exit %d, stderr\n%s", code, stderr, exitUsage, want)
			}
			for _, line := range strings.Split(help, "\n") {
				if opt, ok := strings.CutPrefix(line, "    "); ok {
					spelling, _, _ := strings.Cut(strings.TrimSpace(opt), "  ")
					// Shown as optional ([--x]), or bare when the verb requires it.
					if !strings.Contains(usageLine, "["+spelling+"]") && !strings.Contains(usageLine, " "+spelling+" ") {
						t.Errorf("usage %q does not show option %q", usageLine, spelling)
					}
				}
			}
		})
	}
}

// TestCmdLineParse: options anywhere, both -name and --name, --name=value, `--` ending
// the options, and "-" as an argument.
func TestCmdLineParse(t *testing.T) {
	cases := []struct {
		args    []string
		want    []string
		grace   time.Duration
		dry     bool
		wantErr string
	}{
		{args: []string{"u"}, want: []string{"u"}, grace: 24 * time.Hour},
		{args: []string{"u", "--dry-run"}, want: []string{"u"}, grace: 24 * time.Hour, dry: true},
		{args: []string{"--grace", "1h", "u", "-dry-run"}, want: []string{"u"}, grace: time.Hour, dry: true},
		{args: []string{"u", "--grace=2h", "v"}, want: []string{"u", "v"}, grace: 2 * time.Hour},
		{args: []string{"--dry-run=false", "u"}, want: []string{"u"}, grace: 24 * time.Hour},
		{args: []string{"u", "--", "--dry-run", "-"}, want: []string{"u", "--dry-run", "-"}, grace: 24 * time.Hour},
		{args: []string{"-", "--grace", "-1h"}, want: []string{"-"}, grace: -time.Hour},
		{args: []string{"--bogus"}, wantErr: "unknown option 'bogus'"},
		{args: []string{"-b"}, wantErr: "unknown switch 'b'"},
		{args: []string{"u", "--grace"}, wantErr: "option 'grace' requires a value"},
		{args: []string{"--grace=soon"}, wantErr: "option 'grace' expects a duration like 24h or 90m, not 'soon'"},
		{args: []string{"--dry-run=yes"}, wantErr: "option 'dry-run' takes no value"},
	}
	for _, c := range cases {
		t.Run(strings.Join(c.args, " "), func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			cl := newCmdLine("gc", &stdout, &stderr)
			grace := cl.Duration("grace", "DURATION", 24*time.Hour, "")
			dry := cl.Bool("dry-run", "")
			got, code, ok := cl.ParseAny(c.args)
			if c.wantErr != "" {
				want := "error: " + c.wantErr + "\nusage: git-remote-object-store gc " + usageArgs("gc") + "\n"
				if ok || code != exitUsage || stderr.String() != want {
					t.Fatalf("ok %v, exit %d, stderr\n%s\nwant\n%s", ok, code, stderr.String(), want)
				}
				return
			}
			if !ok {
				t.Fatalf("refused: %s", stderr.String())
			}
			if diff := cmp.Diff(c.want, got); diff != "" || *grace != c.grace || *dry != c.dry {
				t.Fatalf("args %s, grace %v, dry %v; want grace %v, dry %v", diff, *grace, *dry, c.grace, c.dry)
			}
		})
	}
}

// TestLockedBranchMessage: a branch whose lock another push holds is refused with who
// holds it and when to retry, in one line without package names or the lock's key.
func TestLockedBranchMessage(t *testing.T) {
	tmp := t.TempDir()
	isolateEnv(t, tmp)
	t.Chdir(tmp)
	bundleRemote("r", "dev", "main")(t, tmp) // main is not the default branch
	lock := filepath.Join(tmp, "r", "refs", "heads", "main", "LOCK#.lock")
	if err := os.WriteFile(lock, []byte("owner=0123 host=ci-7 pid=4242"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := runCLIArgs(t, "delete-branch", "fs+file://"+tmp+"/r", "main")
	// The lock is fresh: its 60 s lifetime, less the instant since it was written.
	want := regexp.MustCompile(`^fatal: refs/heads/main: locked by another push \(host ci-7, pid 4242\); retry in (59|60)s\n$`)
	if code != exitFail || !want.MatchString(stderr) {
		t.Fatalf("exit %d, stderr %q; want exit 1 matching %s", code, stderr, want)
	}
}

// usageArgs is the usage after a verb's name, as the verb table has it.
func usageArgs(name string) string {
	for _, v := range verbs() {
		if v.name == name {
			return v.args
		}
	}
	return ""
}
