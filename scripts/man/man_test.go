package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// buildBinary builds the module's binary (the one `make man` reads) into a temporary
// directory.
func buildBinary(t *testing.T) string {
	t.Helper()
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go tool on PATH to build the binary with")
	}
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(t.TempDir(), "git-remote-object-store")
	cmd := exec.Command(goTool, "build", "-o", bin, ".")
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// Every verb's page holds that verb's usage line exactly as `<verb> --help` prints it,
// and the overview lists every verb.
func TestPagesCarryEachUsageLine(t *testing.T) {
	bin := buildBinary(t)
	dir := t.TempDir()
	files, err := generate(bin, dir)
	if err != nil {
		t.Fatal(err)
	}
	top, err := run(bin, "--help")
	if err != nil {
		t.Fatal(err)
	}
	verbs, err := parseVerbs(top)
	if err != nil {
		t.Fatal(err)
	}
	if len(verbs) < 10 {
		t.Fatalf("only %d verbs read from --help: %v", len(verbs), verbs)
	}
	if len(files) != len(verbs)+1 {
		t.Errorf("%d pages written for %d verbs: %v", len(files), len(verbs), files)
	}
	overview := readPage(t, filepath.Join(dir, "git-object-store.1"))
	for _, v := range verbs {
		text, err := run(bin, v.Name, "--help")
		if err != nil {
			t.Fatal(err)
		}
		usage, ok := strings.CutPrefix(strings.SplitN(text, "\n", 2)[0], "usage: ")
		if !ok {
			t.Fatalf("%s --help does not start with a usage line:\n%s", v.Name, text)
		}
		page := readPage(t, filepath.Join(dir, "git-object-store-"+v.Name+".1"))
		if !strings.Contains(page, "\n"+roff(usage)+"\n") {
			t.Errorf("git-object-store-%s.1 lacks the usage line %q:\n%s", v.Name, usage, page)
		}
		// Read back as plain text (the only escape a usage line gets is \-), the
		// page says exactly what --help says.
		if !strings.Contains(strings.ReplaceAll(page, `\-`, "-"), "\n"+usage+"\n") {
			t.Errorf("git-object-store-%s.1: usage line %q does not read back", v.Name, usage)
		}
		if !strings.Contains(overview, `\fB`+roff(v.Name)+`\fR`) {
			t.Errorf("git-object-store.1 does not list %s", v.Name)
		}
		if !strings.HasPrefix(page, `.\"`) || !strings.Contains(page, "\n.TH GIT\\-OBJECT\\-STORE\\-") {
			t.Errorf("git-object-store-%s.1 has no man page header:\n%s", v.Name, page)
		}
	}
}

func readPage(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestParseHelp(t *testing.T) {
	h, err := parseHelp("usage: x gc [--grace DURATION] <url>\n\nfirst\nparagraph\n\nsecond\n\n    --grace DURATION     how long\n    -q                   quiet\n")
	if err != nil {
		t.Fatal(err)
	}
	if h.Usage != "x gc [--grace DURATION] <url>" {
		t.Errorf("usage %q", h.Usage)
	}
	if len(h.Paras) != 2 || h.Paras[0] != "first paragraph" || h.Paras[1] != "second" {
		t.Errorf("paragraphs %q", h.Paras)
	}
	if len(h.Options) != 2 || h.Options[0] != (option{"--grace DURATION", "how long"}) || h.Options[1] != (option{"-q", "quiet"}) {
		t.Errorf("options %+v", h.Options)
	}
	if _, err := parseHelp("no usage here\n"); err == nil {
		t.Error("a help text without a usage line was accepted")
	}
}

func TestRoffEscapes(t *testing.T) {
	for in, want := range map[string]string{
		`--dry-run`:       `\-\-dry\-run`,
		`a\b`:             `a\eb`,
		"AAAA…":           `AAAA\[u2026]`,
		"plain <url> [x]": "plain <url> [x]",
	} {
		if got := roff(in); got != want {
			t.Errorf("roff(%q) = %q, want %q", in, got, want)
		}
	}
	if got := line(".hidden"); got != "\\&.hidden\n" {
		t.Errorf("line(.hidden) = %q", got)
	}
}
