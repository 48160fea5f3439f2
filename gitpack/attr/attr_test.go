package attr

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"git-remote-object-store/internal/testenv"
)

// TestMatchesCheckAttr asks the real git which of many paths each pattern matches
// (git check-attr, one attribute per pattern) and compares with Stack.Get.
func TestMatchesCheckAttr(t *testing.T) {
	patterns := []string{
		"*.c", "a/*.c", "/top", "a/**/z", "**/gen", "**/gen/**", "a/**", "x**y", "*", "?",
		"[abc]*", "[!a]*", "[^a]*", "[a-c]?", "[]]x", "[[:digit:]]*", "[[:upper:]]*", "[[:alpha:]x]",
		"\\*lit", "a/b", "b", "d/", "a*/*", "**", "**/*.c", "a/**/", "foo\\", "[z-a]", "[a-]x", "[[:bogus:]]",
		"[[:alpha:]", "a?c", "*/x", "**/**/x", "\"q w\"",
	}
	paths := []string{
		"a.c", "a/b.c", "a/b/c.c", "top", "a/top", "a/z", "a/b/z", "a/b/c/z", "gen", "x/gen", "x/gen/y",
		"a", "a/b", "b", "xy", "x/y", "xaay", "]x", "1a", "Ab", "ab", "bc", "x", "*lit", "lit", "d", "d/e",
		"ac", "abc", "a-c", "-x", "q w", "[x",
	}
	dir := t.TempDir()
	testenv.RunGit(t, dir, "init", "-q", ".")
	var lines []string
	for i, p := range patterns {
		lines = append(lines, fmt.Sprintf("%s a%d", p, i))
	}
	attrs := strings.Join(lines, "\n") + "\n"
	os.WriteFile(filepath.Join(dir, ".gitattributes"), []byte(attrs), 0o644)
	out := testenv.RunGitInput(t, dir, []byte(strings.Join(paths, "\n")+"\n"), "check-attr", "--stdin", "-a")
	want := map[string]bool{}
	for _, line := range strings.Split(out, "\n") {
		if f := strings.Split(line, ": "); len(f) == 3 && f[2] == "set" {
			want[f[0]+" "+f[1]] = true
		}
	}
	st := Stack{Files: []*File{Parse("", []byte(attrs))}}
	for _, p := range paths {
		for i, pat := range patterns {
			got := st.Get(p, false, fmt.Sprint("a", i)).Kind == Set
			if w := want[fmt.Sprintf("%s a%d", p, i)]; got != w {
				t.Errorf("pattern %q on %q: got %v, git check-attr says %v", pat, p, got, w)
			}
		}
	}
}

func TestParseLine(t *testing.T) {
	for _, c := range []struct {
		line string
		want string // "" when the line is dropped
	}{
		{"*.c export-ignore", `*.c [export-ignore:1]`},
		{"  \t*.c\t-diff !eol text=auto  \r", `*.c [diff:2 eol:0 text:3=auto]`},
		{"# comment", ""},
		{"   ", ""},
		{"!neg x", ""},
		{"ok x b@d", ""},
		{"ok -", ""},
		{"ok --x", ""},
		{"[attr]mac x", ""},
		{"[attr] x", `[attr] [x:1]`},
		{`"a b" x`, `a b [x:1]`},
		{`"a\tb\101"x`, "a\tbA [x:1]"},
		{`"a\qb" x`, `"a\qb" [x:1]`},
		{`"unclosed x`, `"unclosed [x:1]`},
		{`"a\000b" x`, `a [x:1]`},
		{"dir/ x", `dir/ [x:1]`},
		{"nothing", `nothing []`},
		{strings.Repeat("a", 2046) + " x", ""},
		{strings.Repeat("a", 2045) + " x", strings.Repeat("a", 2045) + " [x:1]"},
	} {
		l, ok := ParseLine(c.line)
		got := ""
		if ok {
			var as []string
			for _, a := range l.Assigns {
				s := fmt.Sprintf("%s:%d", a.Name, a.State.Kind)
				if a.State.Kind == Value {
					s += "=" + a.State.Value
				}
				as = append(as, s)
			}
			dirMark := ""
			if l.MustBeDir {
				dirMark = "/"
			}
			got = fmt.Sprintf("%s%s [%s]", l.Pattern, dirMark, strings.Join(as, " "))
		}
		if got != c.want {
			t.Errorf("ParseLine(%q) = %q, want %q", c.line, got, c.want)
		}
	}
}

// FuzzParseLine: any bytes from a pushed .gitattributes parse without panicking, into
// lines git would also accept, and matching with what they hold terminates.
func FuzzParseLine(f *testing.F) {
	for _, s := range []string{
		"*.c export-ignore", `"a\tb\101" -x !y z=1`, "[attr]binary -diff", "a/**/b/ x",
		"[[:alpha:]-z]\\ x", "!x y", "**/*[!/]? export-subst", "\xef\xbb\xbfa x\r",
	} {
		f.Add(s, "a/b/c.txt")
	}
	f.Fuzz(func(t *testing.T, line, path string) {
		l, ok := ParseLine(line)
		if !ok {
			return
		}
		if strings.ContainsRune(l.Pattern, 0) || strings.HasPrefix(l.Pattern, "!") {
			t.Fatalf("pattern %q kept what git strips", l.Pattern)
		}
		for _, a := range l.Assigns {
			if !validName(a.Name) {
				t.Fatalf("invalid attribute name %q accepted", a.Name)
			}
		}
		if len(path) > 64 {
			path = path[:64]
		}
		st := Stack{Files: []*File{{Dir: "a", Lines: []Line{l}}, {Lines: []Line{l}}}, IgnoreCase: len(path)%2 == 0}
		for _, a := range l.Assigns {
			st.Get(path, len(path)%3 == 0, a.Name)
		}
	})
}
