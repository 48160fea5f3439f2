package fs

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"git-remote-object-store/store"
)

func TestPortableKey(t *testing.T) {
	for _, tc := range []struct {
		key  string
		want string // a part of the reason; "" when the key is portable
	}{
		{"repo/refs/heads/main/0123abcd.bundle", ""},
		{"repo/refs/heads/feature/x-1/abc.bundle", ""},
		{"repo/refs/heads/console/abc.bundle", ""}, // a device name only as a prefix
		{"repo/refs/heads/com10/abc.bundle", ""},
		{"repo/refs/heads/lpt/abc.bundle", ""},
		{"repo/refs/tags/v1.0/abc.bundle", ""},
		{"repo/refs/heads/.hidden/abc.bundle", ""},
		{"repo/refs/heads/ü/abc.bundle", ""},
		{"x/CON", `"CON" names a Windows device (CON)`},
		{"x/con", `"con" names a Windows device (CON)`},
		{"x/Nul.txt", `names a Windows device (NUL)`},
		{"x/aux.tar.gz", `names a Windows device (AUX)`},
		{"x/prn /y", `ends in " "`},
		{"x/com1 .txt", `names a Windows device (COM1)`},
		{"COM9/y", `names a Windows device (COM9)`},
		{"x/lpt1", `names a Windows device (LPT1)`},
		{"x/LPT²", `names a Windows device (LPT²)`},
		{"x/conin$", `names a Windows device (CONIN$)`},
		{"x/a.", `"a." ends in "."`},
		{"x/a./y", `ends in "."`},
		{"x/a /y", `ends in " "`},
		{`x/a"b`, `contains "\""`},
		{"x/a<b", `contains "<"`},
		{"x/a>b", `contains ">"`},
		{"x/a|b", `contains "|"`},
		{"x/a:b", `contains ":"`},
		{"x/a*b", `contains "*"`},
		{"x/a?b", `contains "?"`},
		{"x/a\x01b", `contains "\x01"`},
		{"x/a\x1fb", `contains "\x1f"`},
		{"x/a\tb", `contains "\t"`},
		{"x/\xffb", "not valid UTF-8"},
	} {
		err := portableKey(tc.key)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("portableKey(%q) = %v, want nil", tc.key, err)
		case tc.want != "" && !errors.Is(err, ErrBadKey):
			t.Errorf("portableKey(%q) = %v, want ErrBadKey", tc.key, err)
		case tc.want != "" && !strings.Contains(err.Error(), tc.want):
			t.Errorf("portableKey(%q) = %q, want it to say %s", tc.key, err, tc.want)
		}
	}
}

// Windows' rules apply where checkWindowsNames says, and only there.
func TestWindowsNamesRefused(t *testing.T) {
	defer func(old bool) { checkWindowsNames = old }(checkWindowsNames)
	s, _ := New(t.TempDir())
	checkWindowsNames = true
	_, err := s.Put(t.Context(), "x/CON", strings.NewReader("b"), 1, store.Cond{})
	if !errors.Is(err, ErrBadKey) {
		t.Fatalf("Put of a device name with Windows rules = %v, want ErrBadKey", err)
	}
	const want = `put "x/CON": invalid key: "CON" names a Windows device (CON), which cannot be a file name (`
	if !strings.HasPrefix(err.Error(), want) {
		t.Errorf("error reads\n %s\nwant it to start\n %s", err, want)
	}
	if _, err := s.Head(t.Context(), "x/a."); !errors.Is(err, ErrBadKey) {
		t.Errorf("Head of a trailing dot with Windows rules = %v, want ErrBadKey", err)
	}
	if _, err := os.Stat(filepath.Join(s.Root(), "x")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a refused key touched the disk: %v", err)
	}
	checkWindowsNames = false
	if _, err := s.Put(t.Context(), "x/CON", strings.NewReader("b"), 1, store.Cond{}); err != nil {
		t.Fatalf("Put of a device name without Windows rules: %v", err)
	}
}

// The probe must agree with what the file system does with two spellings of one name.
func TestProbeFold(t *testing.T) {
	dir := t.TempDir()
	s, _ := New(dir)
	got, err := s.foldsCase()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "probe"), nil, 0o666); err != nil {
		t.Fatal(err)
	}
	_, err = os.Stat(filepath.Join(dir, "PROBE"))
	if want := err == nil; got != want {
		t.Fatalf("foldsCase() = %v, but stat of the other case says %v", got, want)
	}
	if left, _ := os.ReadDir(s.tmpDir()); len(left) != 0 {
		t.Fatalf("the probe left %v", left)
	}
	if !s.fold.known {
		t.Fatal("the probe's answer was not kept")
	}
}

func TestListed(t *testing.T) {
	dir := t.TempDir()
	for _, n := range []string{"Main", "other", "Ärger"} {
		if err := os.WriteFile(filepath.Join(dir, n), nil, 0o666); err != nil {
			t.Fatal(err)
		}
	}
	for name, want := range map[string]string{
		"Main": "Main", "main": "Main", "MAIN": "Main", "other": "other", "OTHER": "other",
		"ärger": "Ärger", "absent": "", "mai": "",
	} {
		e, err := listed(dir, name)
		if err != nil {
			t.Fatal(err)
		}
		got := ""
		if e != nil {
			got = e.Name()
		}
		if got != want {
			t.Errorf("listed(%q) = %q, want %q", name, got, want)
		}
	}
	// Where both spellings exist (a case-sensitive file system), each is its own.
	if err := os.WriteFile(filepath.Join(dir, "main"), nil, 0o666); err != nil {
		t.Fatal(err)
	}
	if e, _ := listed(dir, "main"); e == nil || e.Name() != "main" {
		t.Errorf("listed(main) with both spellings present = %v, want main", e)
	}
	if _, err := listed(filepath.Join(dir, "missing"), "x"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("listed in a missing directory = %v, want ErrNotExist", err)
	}
}

// With the file system taken for case-folding, a write or delete that would reach an
// existing file or directory through another spelling is refused and changes nothing.
func TestCaseCollisionRefused(t *testing.T) {
	s, _ := New(t.TempDir())
	ctx := t.Context()
	for _, k := range []string{"a/Main", "b/x/y"} {
		if _, err := s.Put(ctx, k, strings.NewReader("old"), 3, store.Cond{}); err != nil {
			t.Fatal(err)
		}
	}
	s.fold.known, s.fold.yes = true, true

	for key, want := range map[string]string{
		"a/main":     `put "a/main": "a/main" already exists as "a/Main", and this file system takes both names for one file (`,
		"A/new":      `put "A/new": "A" already exists as "a",`,
		"b/X/y":      `put "b/X/y": "b/X" already exists as "b/x",`,
		"b/x/Y":      `put "b/x/Y": "b/x/Y" already exists as "b/x/y",`,
		".GROS/lock": `put ".GROS/lock": ".GROS" already exists as ".gros",`,
	} {
		_, err := s.Put(ctx, key, strings.NewReader("new"), 3, store.Cond{})
		if !errors.Is(err, ErrCaseCollision) || !errors.Is(err, ErrBadKey) {
			t.Errorf("Put(%q) = %v, want ErrCaseCollision and ErrBadKey", key, err)
			continue
		}
		if !strings.HasPrefix(err.Error(), want) {
			t.Errorf("Put(%q) error reads\n %s\nwant it to start\n %s", key, err, want)
		}
	}
	if err := s.Delete(ctx, "a/MAIN"); !errors.Is(err, ErrCaseCollision) {
		t.Errorf("Delete(a/MAIN) = %v, want ErrCaseCollision", err)
	}
	// IfNoneMatch must not answer "exists" for another key's object.
	if _, err := s.Put(ctx, "a/main", strings.NewReader("new"), 3, store.Cond{IfNoneMatch: true}); !errors.Is(err, ErrCaseCollision) {
		t.Errorf("create-if-absent of a/main = %v, want ErrCaseCollision", err)
	}
	if b, err := os.ReadFile(filepath.Join(s.Root(), "a", "Main")); err != nil || string(b) != "old" {
		t.Errorf("a/Main after refused writes = %q, %v; want it untouched", b, err)
	}
	for _, p := range []string{"a/main", "A", "b/X", "b/x/Y"} {
		if _, err := os.Lstat(filepath.Join(s.Root(), p)); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("a refused write created %s", p)
		}
	}

	// Exact spellings, and names no other spelling of which exists, go through.
	for _, k := range []string{"a/Main", "a/other", "b/x/y", "b/x/z/w", "c/d"} {
		if _, err := s.Put(ctx, k, strings.NewReader("new"), 3, store.Cond{}); err != nil {
			t.Errorf("Put(%q): %v", k, err)
		}
	}
	if err := s.Delete(ctx, "a/Main"); err != nil {
		t.Errorf("Delete(a/Main): %v", err)
	}
	// A file where the key needs a directory is the write's own error, not a collision.
	if _, err := s.Put(ctx, "b/x/y/z", strings.NewReader("new"), 3, store.Cond{}); err == nil || errors.Is(err, ErrBadKey) {
		t.Errorf("Put below a file = %v, want the write's own error", err)
	}
}
