// Command man writes the man pages of git-remote-object-store from the binary's own
// --help text, so a page cannot say anything the binary does not:
//
//	go run ./scripts/man -bin bin/git-remote-object-store -out man
//
// It runs `<bin> --help`, reads the verbs from its "verbs:" list, runs `<bin> <verb>
// --help` for each, and writes man/git-object-store.1 (the overview) and
// man/git-object-store-<verb>.1 (one per verb) as troff (man macros). Nothing is dated,
// so the same binary gives the same pages.
package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"unicode/utf8"
)

// pagePrefix names the pages after what users type: git object-store <verb>.
const pagePrefix = "git-object-store"

// verb is one entry of the top-level help's verb list.
type verb struct {
	Name, Args, Summary string
}

// help is a verb's --help text taken apart.
type help struct {
	Usage   string   // the usage line, without "usage: "
	Paras   []string // the paragraphs after it (the first is the summary)
	Options []option // the indented option lines
}

type option struct {
	Flag, Text string // "--bin-dir DIR", "directory for the links …"
}

func main() {
	bin := flag.String("bin", "bin/git-remote-object-store", "the built binary whose --help the pages are made from")
	out := flag.String("out", "man", "directory to write the pages into")
	flag.Parse()
	if flag.NArg() != 0 {
		fmt.Fprintln(os.Stderr, "usage: go run ./scripts/man [-bin BINARY] [-out DIR]")
		os.Exit(2)
	}
	files, err := generate(*bin, *out)
	if err != nil {
		fmt.Fprintf(os.Stderr, "man: %v\n", err)
		os.Exit(1)
	}
	for _, f := range files {
		fmt.Println(f)
	}
}

// generate writes every page into dir and returns their paths.
func generate(bin, dir string) ([]string, error) {
	top, err := run(bin, "--help")
	if err != nil {
		return nil, err
	}
	verbs, err := parseVerbs(top)
	if err != nil {
		return nil, err
	}
	version := "dev"
	if v, err := run(bin, "version"); err == nil {
		version = strings.TrimSpace(strings.SplitN(v, "\n", 2)[0])
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	// Pages of verbs the binary no longer has must not outlive them.
	old, _ := filepath.Glob(filepath.Join(dir, pagePrefix+"*.1"))
	for _, f := range old {
		if err := os.Remove(f); err != nil {
			return nil, err
		}
	}
	var files []string
	write := func(name, page string) error {
		path := filepath.Join(dir, name)
		files = append(files, path)
		return os.WriteFile(path, []byte(page), 0o644)
	}
	if err := write(pagePrefix+".1", topPage(top, verbs, version)); err != nil {
		return nil, err
	}
	for _, v := range verbs {
		text, err := run(bin, v.Name, "--help")
		if err != nil {
			return nil, err
		}
		h, err := parseHelp(text)
		if err != nil {
			return nil, fmt.Errorf("%s --help: %w", v.Name, err)
		}
		if err := write(pagePrefix+"-"+v.Name+".1", verbPage(v, h, verbs, version)); err != nil {
			return nil, err
		}
	}
	return files, nil
}

// run returns what bin prints on stdout for args, failing on a non-zero exit.
func run(bin string, args ...string) (string, error) {
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("%s %s: %v: %s", bin, strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return stdout.String(), nil
}

var columns = regexp.MustCompile(`\s{2,}`)

// parseVerbs reads the indented lines after "verbs:" up to the first blank line:
// "  name  [args]  summary", the columns separated by two or more spaces.
func parseVerbs(top string) ([]verb, error) {
	var verbs []verb
	in := false
	for _, line := range strings.Split(top, "\n") {
		switch {
		case strings.TrimSpace(line) == "verbs:":
			in = true
		case !in:
		case strings.TrimSpace(line) == "":
			if len(verbs) > 0 {
				return verbs, nil
			}
		case strings.HasPrefix(line, "  "):
			f := columns.Split(strings.TrimSpace(line), -1)
			switch len(f) {
			case 2:
				verbs = append(verbs, verb{Name: f[0], Summary: f[1]})
			case 3:
				verbs = append(verbs, verb{Name: f[0], Args: f[1], Summary: f[2]})
			default:
				return nil, fmt.Errorf("top-level --help: cannot read the verb line %q", line)
			}
		}
	}
	if len(verbs) == 0 {
		return nil, errors.New("top-level --help lists no verbs")
	}
	return verbs, nil
}

// parseHelp splits a verb's help into its usage line, its paragraphs and its options
// (lines indented by four spaces: the flag, two or more spaces, its description).
func parseHelp(text string) (help, error) {
	var h help
	lines := strings.Split(strings.TrimRight(text, "\n"), "\n")
	usage, ok := strings.CutPrefix(lines[0], "usage: ")
	if !ok {
		return h, fmt.Errorf("first line %q is not a usage line", lines[0])
	}
	h.Usage = usage
	var para []string
	flush := func() {
		if len(para) > 0 {
			h.Paras = append(h.Paras, strings.Join(para, " "))
			para = nil
		}
	}
	for _, line := range lines[1:] {
		switch {
		case strings.TrimSpace(line) == "":
			flush()
		case strings.HasPrefix(line, "    ") && strings.HasPrefix(strings.TrimSpace(line), "-"):
			flush()
			f := columns.Split(strings.TrimSpace(line), 2)
			o := option{Flag: f[0]}
			if len(f) == 2 {
				o.Text = f[1]
			}
			h.Options = append(h.Options, o)
		default:
			para = append(para, strings.TrimSpace(line))
		}
	}
	flush()
	return h, nil
}

// topPage is git-object-store(1): the overview and the verb list.
func topPage(top string, verbs []verb, version string) string {
	var b strings.Builder
	header(&b, pagePrefix, version)
	b.WriteString(".SH NAME\n")
	fmt.Fprintf(&b, "%s \\- push, fetch and clone git repositories on S3, Azure Blob or a directory\n", roff(pagePrefix))

	// Everything before "verbs:" is the synopsis and description; after the list, notes.
	before, after, _ := strings.Cut(top, "\nverbs:\n")
	lines := strings.Split(before, "\n")
	usage, _ := strings.CutPrefix(lines[0], "usage: ")
	b.WriteString(".SH SYNOPSIS\n.nf\n")
	b.WriteString(line(usage))
	b.WriteString(".fi\n.SH DESCRIPTION\n")
	paragraphs(&b, lines[1:])

	b.WriteString(".SH COMMANDS\n")
	for _, v := range verbs {
		b.WriteString(".TP\n")
		fmt.Fprintf(&b, "\\fB%s\\fR", roff(v.Name))
		if v.Args != "" {
			fmt.Fprintf(&b, " %s", roff(v.Args))
		}
		b.WriteString("\n")
		b.WriteString(line(v.Summary))
		fmt.Fprintf(&b, ".br\nSee \\fB%s\\fR(1).\n", roff(pagePrefix+"-"+v.Name))
	}
	// The notes after the verb list (the lines after its terminating blank line).
	if _, notes, ok := strings.Cut(after, "\n\n"); ok && strings.TrimSpace(notes) != "" {
		b.WriteString(".SH NOTES\n")
		paragraphs(&b, strings.Split(notes, "\n"))
	}
	seeAlso(&b, verbs, "")
	return b.String()
}

// verbPage is git-object-store-<verb>(1).
func verbPage(v verb, h help, verbs []verb, version string) string {
	var b strings.Builder
	name := pagePrefix + "-" + v.Name
	header(&b, name, version)
	b.WriteString(".SH NAME\n")
	fmt.Fprintf(&b, "%s \\- %s\n", roff(name), roff(v.Summary))
	b.WriteString(".SH SYNOPSIS\n.nf\n")
	b.WriteString(line(h.Usage))
	b.WriteString(".fi\n")
	if len(h.Paras) > 0 {
		b.WriteString(".SH DESCRIPTION\n")
		for i, p := range h.Paras {
			if i > 0 {
				b.WriteString(".PP\n")
			}
			b.WriteString(line(p))
		}
	}
	if len(h.Options) > 0 {
		b.WriteString(".SH OPTIONS\n")
		for _, o := range h.Options {
			b.WriteString(".TP\n")
			flag, arg, _ := strings.Cut(o.Flag, " ")
			fmt.Fprintf(&b, "\\fB%s\\fR", roff(flag))
			if arg != "" {
				fmt.Fprintf(&b, " \\fI%s\\fR", roff(arg))
			}
			b.WriteString("\n")
			b.WriteString(line(o.Text))
		}
	}
	seeAlso(&b, verbs, v.Name)
	return b.String()
}

func header(b *strings.Builder, name, version string) {
	fmt.Fprintf(b, ".\\\" Generated by scripts/man from the binary's --help; do not edit.\n")
	fmt.Fprintf(b, ".TH %s 1 \"\" \"%s\" \"Git Object Store Manual\"\n", strings.ToUpper(roff(name)), roff(version))
	// No hyphenation, ragged right: option and page names stay whole and copyable.
	b.WriteString(".nh\n.ad l\n")
}

// paragraphs writes help lines as paragraphs: blank lines separate them, and an
// indented block (a list) is kept as it is, without filling.
func paragraphs(b *strings.Builder, lines []string) {
	started := false
	var para []string
	flush := func() {
		if len(para) == 0 {
			return
		}
		if started {
			b.WriteString(".PP\n")
		}
		started = true
		if strings.HasPrefix(para[0], " ") {
			b.WriteString(".nf\n")
			for _, l := range para {
				b.WriteString(line(l))
			}
			b.WriteString(".fi\n")
		} else {
			b.WriteString(line(strings.Join(para, " ")))
		}
		para = nil
	}
	for _, l := range lines {
		if strings.TrimSpace(l) == "" {
			flush()
			continue
		}
		para = append(para, l)
	}
	flush()
}

func seeAlso(b *strings.Builder, verbs []verb, self string) {
	b.WriteString(".SH SEE ALSO\n")
	var refs []string
	if self != "" {
		refs = append(refs, "\\fB"+roff(pagePrefix)+"\\fR(1)")
	}
	for _, v := range verbs {
		if v.Name != self {
			refs = append(refs, "\\fB"+roff(pagePrefix+"-"+v.Name)+"\\fR(1)")
		}
	}
	refs = append(refs, "\\fBgit\\fR(1)", "\\fBgitremote\\-helpers\\fR(7)")
	b.WriteString(strings.Join(refs, ",\n") + "\n")
}

// line is one line of text as troff input: escaped, protected from being read as a
// request, newline-terminated.
func line(s string) string {
	s = roff(s)
	if strings.HasPrefix(s, ".") || strings.HasPrefix(s, "'") {
		s = `\&` + s
	}
	return s + "\n"
}

// roff escapes text for troff: the backslash, the minus (so options stay ASCII
// hyphen-minus when rendered) and, as \[uXXXX], every non-ASCII character.
func roff(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '\\':
			b.WriteString(`\e`)
		case r == '-':
			b.WriteString(`\-`)
		case r >= utf8.RuneSelf:
			fmt.Fprintf(&b, `\[u%04X]`, r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}
