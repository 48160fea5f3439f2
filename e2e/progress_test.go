//go:build linux

package e2e

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"unsafe"
)

// phaseLine finds the last line of a progress phase: "<title>: 100% (N/N)…, done." or,
// for a phase without a total, "<title>: N, done.".
func phaseLine(t *testing.T, out, title string) (n int, line string) {
	t.Helper()
	re := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(title) + `: (?:100% \((\d+)/(\d+)\)|(\d+))(.*), done\.$`)
	all := re.FindAllStringSubmatch(out, -1)
	if len(all) != 1 {
		t.Fatalf("want one last line of %q, found %d in:\n%s", title, len(all), out)
	}
	m := all[0]
	if m[1] != m[2] {
		t.Fatalf("%q ended at %s of %s:\n%s", title, m[1], m[2], out)
	}
	n, _ = strconv.Atoi(m[1] + m[3])
	return n, m[0]
}

// throughput is ", <bytes> | <rate>/s" as git prints it.
var throughput = regexp.MustCompile(`, \d+(\.\d\d)? (bytes|KiB|MiB|GiB) \| \d+(\.\d\d)? (bytes|byte|KiB|MiB|GiB)/s$`)

// TestProgressPushAndClone: git push --progress and git clone --progress show git's
// phases, each ending at 100% with "done.", with throughput where bytes move; into a
// pipe (the test's stderr) only those last lines, never a "\r" update; and nothing at
// all when git does not ask for progress.
func TestProgressPushAndClone(t *testing.T) {
	for _, eng := range []string{"bundle", "packchain"} {
		t.Run("fs/"+eng, func(t *testing.T) {
			w := newWorld(t)
			url := "fs+file://" + mkdir(t, t.TempDir(), "bucket") + "/repo?engine=" + eng
			src := w.repo(30) // three files, appended to: deltas
			w.history(src, 40)
			objects := strings.Count(w.git(src, "rev-list", "--objects", "main"), "\n") + 1

			out, err := w.try(src, "push", "--progress", url, "main")
			if err != nil {
				t.Fatalf("push: %v\n%s", err, out)
			}
			if strings.Contains(out, "\r") {
				t.Fatalf("push printed \\r updates into a pipe:\n%q", out)
			}
			if n, _ := phaseLine(t, out, "Enumerating objects"); n != objects {
				t.Errorf("enumerated %d objects, want %d", n, objects)
			}
			if n, _ := phaseLine(t, out, "Counting objects"); n != objects {
				t.Errorf("counted %d objects, want %d", n, objects)
			}
			phaseLine(t, out, "Compressing objects")
			n, line := phaseLine(t, out, "Writing objects")
			if n != objects || !throughput.MatchString(strings.TrimSuffix(line, ", done.")) {
				t.Errorf("writing: %d objects, want %d; line %q lacks git's throughput", n, objects, line)
			}
			order := []string{"Enumerating objects", "Counting objects", "Compressing objects", "Writing objects"}
			if strings.Contains(out, "Uploading") {
				// Both engines stream the pack into the store as it is written: the
				// upload is the Writing phase, as in git's push, not a phase after it.
				t.Errorf("a separate upload phase:\n%s", out)
			}
			at := -1
			for _, title := range order {
				i := strings.Index(out, title+":")
				if i < at {
					t.Errorf("%q comes before the phase it follows:\n%s", title, out)
				}
				at = i
			}

			dir := filepath.Join(t.TempDir(), "clone")
			out, err = w.try(w.home, "clone", "--progress", url, dir)
			if err != nil {
				t.Fatalf("clone: %v\n%s", err, out)
			}
			if strings.Contains(out, "\r") {
				t.Fatalf("clone printed \\r updates into a pipe:\n%q", out)
			}
			n, line = phaseLine(t, out, "Receiving objects")
			if n != objects || !throughput.MatchString(strings.TrimSuffix(line, ", done.")) {
				t.Errorf("receiving: %d objects, want %d; line %q lacks git's throughput", n, objects, line)
			}
			if n, _ := phaseLine(t, out, "Resolving deltas"); n == 0 {
				t.Error("no delta resolved")
			}
			w.fsck(dir)

			// Without --progress, into a pipe, git asks for none.
			w.commit(src, "file0.txt", "quiet push\n")
			if out := w.git(src, "push", url, "main"); strings.Contains(out, "objects:") {
				t.Errorf("a push without --progress showed progress:\n%s", out)
			}
			if out := w.git(dir, "pull", "--ff-only"); strings.Contains(out, "objects:") {
				t.Errorf("a fetch without --progress showed progress:\n%s", out)
			}
		})
	}
}

// openPty allocates a pseudo-terminal with the standard library only: the master from
// /dev/ptmx, unlocked (TIOCSPTLCK), its slave found by number (TIOCGPTN).
func openPty(t *testing.T) (master, slave *os.File) {
	t.Helper()
	m, err := os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("no pseudo-terminal: %v", err)
	}
	var unlock int32
	if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, m.Fd(), syscall.TIOCSPTLCK, uintptr(unsafe.Pointer(&unlock))); e != 0 {
		m.Close()
		t.Skipf("unlock pseudo-terminal: %v", e)
	}
	var n uint32
	if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, m.Fd(), syscall.TIOCGPTN, uintptr(unsafe.Pointer(&n))); e != 0 {
		m.Close()
		t.Skipf("pseudo-terminal number: %v", e)
	}
	s, err := os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		m.Close()
		t.Skipf("open pseudo-terminal: %v", err)
	}
	return m, s
}

// toolOnPty runs a verb of the tool with its stderr on a pseudo-terminal and returns
// what the terminal received, with the terminal's "\r\n" for "\n" turned back into
// "\n", so that a "\r" left is one the tool wrote. Stdout is returned apart.
func (w *world) toolOnPty(t *testing.T, args ...string) (stdout, terminal string, err error) {
	t.Helper()
	m, s := openPty(t)
	defer m.Close()
	cmd := exec.Command(filepath.Join(binDir, "git-remote-object-store"), args...)
	var out bytes.Buffer
	cmd.Env, cmd.Stdout, cmd.Stderr = w.environ(), &out, s
	if err := cmd.Start(); err != nil {
		s.Close()
		t.Fatal(err)
	}
	s.Close() // the child holds the only slave now: reading ends when it exits
	got := make(chan []byte)
	go func() {
		b, _ := io.ReadAll(m) // ends in EIO once the slave is closed everywhere
		got <- b
	}()
	err = cmd.Wait()
	return out.String(), strings.ReplaceAll(string(<-got), "\r\n", "\n"), err
}

// TestProgressOnATerminal: a management verb shows "\r" updates when its stderr is a
// terminal, and the same verb into a pipe shows none (git's rule for its own commands:
// progress only on a terminal), nor with -q on a terminal.
func TestProgressOnATerminal(t *testing.T) {
	w := newWorld(t)
	url := "fs+file://" + mkdir(t, t.TempDir(), "bucket") + "/repo?engine=packchain"
	src := w.repo(30)
	w.history(src, 40)
	push := func() {
		w.commit(src, "file1.txt", fmt.Sprintf("more %d\n", counter.Add(1)))
		w.git(src, "push", "-q", url, "main")
	}
	push()
	push()

	stdout, term, err := w.toolOnPty(t, "compact", url)
	if err != nil || !strings.Contains(stdout, "compacted 2 packs") {
		t.Fatalf("compact on a terminal: %v\n%s\n%s", err, stdout, term)
	}
	if !strings.Contains(term, "\r") {
		t.Fatalf("no \\r update on a terminal:\n%q", term)
	}
	for _, title := range []string{"Receiving objects", "Enumerating objects", "Counting objects", "Writing objects"} {
		if !strings.Contains(term, title+": ") {
			t.Errorf("no %q on the terminal:\n%q", title, term)
		}
	}
	// Every phase shown reaches its end: the line after its last update says done.
	for _, title := range []string{"Enumerating objects", "Counting objects", "Writing objects"} {
		last := term[strings.LastIndex(term, title+": "):]
		last, _, _ = strings.Cut(last, "\n")
		if !strings.HasSuffix(strings.TrimRight(last, " "), ", done.") || strings.Contains(last, "\r") {
			t.Errorf("%q does not end in a done line: %q", title, last)
		}
	}

	push()
	push()
	out, err := w.tool("compact", url) // into a pipe
	if err != nil || !strings.Contains(out, "compacted") {
		t.Fatalf("compact into a pipe: %v\n%s", err, out)
	}
	if strings.Contains(out, "\r") || strings.Contains(out, "objects:") {
		t.Fatalf("compact into a pipe printed progress:\n%q", out)
	}

	push()
	push()
	stdout, term, err = w.toolOnPty(t, "compact", "-q", url)
	if err != nil || !strings.Contains(stdout, "compacted") {
		t.Fatalf("compact -q: %v\n%s", err, stdout)
	}
	if term != "" {
		t.Fatalf("compact -q printed on the terminal:\n%q", term)
	}
}
