package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// cmdLine parses one verb's command line the way git's parse-options does, on top of a
// flag.FlagSet that only stores the values: options may come before or after the
// positional arguments (`gc <url> --dry-run`), `--` ends the options, `-h`/`--help`
// anywhere prints the verb's help, and a mistake is one line ("error: unknown option
// 'bogus'") followed by the verb's usage line. The flag package's own messages ("flag
// provided but not defined", "Usage of gc:" and its option dump) are never printed: they
// name Go, not the tool, and would repeat the usage.
//
// The usage line comes from the verb's entry in verbs(), so `<verb> --help`, a usage
// error and the top-level `help` show the same text; TestVerbUsageNamesEveryOption
// checks that each option a verb defines appears in it.
type cmdLine struct {
	v              verb
	fs             *flag.FlagSet
	opts           []optionDoc // in definition order, for --help
	stdout, stderr io.Writer
}

// urlHelp explains <url> wherever a usage shows it (resolveURL).
const urlHelp = "<url> is a remote's URL, or the name of a remote of the repository you are in (like origin)."

// optionDoc is one option as --help lists it.
type optionDoc struct {
	name, value, help string // value is the placeholder ("DURATION"), "" for a switch
}

// newCmdLine starts the parser for the verb called name (an entry of verbs()).
func newCmdLine(name string, stdout, stderr io.Writer) *cmdLine {
	c := &cmdLine{fs: flag.NewFlagSet(name, flag.ContinueOnError), stdout: stdout, stderr: stderr}
	c.fs.SetOutput(io.Discard)
	for _, v := range verbs() {
		if v.name == name {
			c.v = v
		}
	}
	return c
}

// Bool defines a switch: --name (or --name=true/false, which Go's flag accepted before).
func (c *cmdLine) Bool(name, help string) *bool {
	c.opts = append(c.opts, optionDoc{name, "", help})
	return c.fs.Bool(name, false, help)
}

// String defines an option taking a value shown as placeholder in the help.
func (c *cmdLine) String(name, placeholder, def, help string) *string {
	c.opts = append(c.opts, optionDoc{name, placeholder, help})
	return c.fs.String(name, def, help)
}

// Int defines an integer option.
func (c *cmdLine) Int(name, placeholder string, def int, help string) *int {
	c.opts = append(c.opts, optionDoc{name, placeholder, help})
	return c.fs.Int(name, def, help)
}

// Duration defines a duration option (24h, 90m, 1h30m).
func (c *cmdLine) Duration(name, placeholder string, def time.Duration, help string) *time.Duration {
	c.opts = append(c.opts, optionDoc{name, placeholder, help})
	return c.fs.Duration(name, def, help)
}

// errHelp: -h or --help was given; the help is printed and the verb exits 0.
var errHelp = errors.New("help requested")

// Parse sets the options found anywhere in args and returns the other arguments in
// order, which must be exactly the ones names lists (like "<url>", "<branch>"). ok is
// false when the verb must stop at once with code: 0 after --help, 2 after a usage
// error (already printed).
func (c *cmdLine) Parse(args []string, names ...string) (positional []string, code int, ok bool) {
	positional, code, ok = c.ParseAny(args)
	if !ok {
		return nil, code, false
	}
	switch {
	case len(positional) < len(names):
		return nil, c.Fail("missing %s", names[len(positional)]), false
	case len(positional) > len(names):
		return nil, c.Fail("unexpected argument '%s'", positional[len(names)]), false
	}
	return positional, exitOK, true
}

// ParseAny is Parse for a verb that checks its positional arguments itself.
func (c *cmdLine) ParseAny(args []string) (positional []string, code int, ok bool) {
	positional, err := c.parse(args)
	if errors.Is(err, errHelp) {
		c.help()
		return nil, exitOK, false
	}
	if err != nil {
		return nil, c.Fail("%v", err), false
	}
	return positional, exitOK, true
}

func (c *cmdLine) parse(args []string) ([]string, error) {
	var positional []string
	for i := 0; i < len(args); i++ {
		arg := args[i]
		if arg == "--" {
			return append(positional, args[i+1:]...), nil
		}
		if len(arg) < 2 || arg[0] != '-' {
			positional = append(positional, arg) // "-" alone is an argument, as in git
			continue
		}
		// Go's flag package took -name and --name alike; both keep working.
		body := strings.TrimPrefix(strings.TrimPrefix(arg, "-"), "-")
		name, value, hasValue := strings.Cut(body, "=")
		if name == "h" || name == "help" {
			return nil, errHelp
		}
		f := c.fs.Lookup(name)
		if f == nil || name == "" {
			if !strings.HasPrefix(arg, "--") && len(name) == 1 {
				return nil, fmt.Errorf("unknown switch '%s'", name)
			}
			return nil, fmt.Errorf("unknown option '%s'", name)
		}
		if b, isBool := f.Value.(interface{ IsBoolFlag() bool }); isBool && b.IsBoolFlag() {
			if !hasValue {
				value = "true"
			} else if _, err := strconv.ParseBool(value); err != nil {
				return nil, fmt.Errorf("option '%s' takes no value", name)
			}
		} else if !hasValue {
			if i+1 == len(args) {
				return nil, fmt.Errorf("option '%s' requires a value", name)
			}
			i++
			value = args[i]
		}
		if err := f.Value.Set(value); err != nil {
			return nil, badValue(f, value)
		}
	}
	return positional, nil
}

// badValue says what an option expects, in place of strconv's and time's parse errors.
func badValue(f *flag.Flag, value string) error {
	switch f.Value.(flag.Getter).Get().(type) {
	case int:
		return fmt.Errorf("option '%s' expects a whole number, not '%s'", f.Name, value)
	case time.Duration:
		return fmt.Errorf("option '%s' expects a duration like 24h or 90m, not '%s'", f.Name, value)
	}
	return fmt.Errorf("option '%s' does not accept '%s'", f.Name, value)
}

// Fail prints one line saying what was wrong with the command line, then the usage line,
// and returns the usage exit code.
func (c *cmdLine) Fail(format string, a ...any) int {
	fmt.Fprintf(c.stderr, "error: %s\n", fmt.Sprintf(format, a...))
	fmt.Fprintln(c.stderr, c.usageLine())
	return exitUsage
}

func (c *cmdLine) usageLine() string {
	return strings.TrimRight("usage: git-remote-object-store "+c.v.name+" "+c.v.args, " ")
}

// help is what -h/--help prints, to stdout: the usage line, what the verb does, and its
// options.
func (c *cmdLine) help() {
	fmt.Fprintf(c.stdout, "%s\n\n%s\n", c.usageLine(), c.v.help)
	if strings.Contains(c.v.args, "<url>") {
		fmt.Fprintf(c.stdout, "\n%s\n", urlHelp)
	}
	if len(c.opts) == 0 {
		return
	}
	fmt.Fprintln(c.stdout)
	for _, o := range c.opts {
		fmt.Fprintf(c.stdout, "    %-20s %s\n", o.spelling(), o.help)
	}
}

// spelling is how the option is written on the command line: -q, --fix, --grace DURATION.
func (o optionDoc) spelling() string {
	s := "--" + o.name
	if len(o.name) == 1 {
		s = "-" + o.name
	}
	if o.value != "" {
		s += " " + o.value
	}
	return s
}
