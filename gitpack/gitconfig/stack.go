package gitconfig

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// ReadAll reads the configuration git itself would see in a repository whose own config
// file is local, in git's order, later entries winning: the system file
// ($GIT_CONFIG_SYSTEM, else /etc/gitconfig; none under GIT_CONFIG_NOSYSTEM), the global
// files ($GIT_CONFIG_GLOBAL, else $XDG_CONFIG_HOME/git/config and ~/.gitconfig), local,
// then what `git -c` passed down to us (GIT_CONFIG_COUNT with GIT_CONFIG_KEY_<n> and
// GIT_CONFIG_VALUE_<n>, then GIT_CONFIG_PARAMETERS). Missing files are empty.
//
// Settings a user sets once for all repositories (transfer.fsckObjects) or for one
// command (git -c fetch.fsckObjects=true fetch) are read from here; what only a
// repository's own file may say (core.repositoryformatversion, extensions.*) is not.
func ReadAll(local string) (*Config, error) {
	c := &Config{}
	var files []string
	if b, _ := strconv.ParseBool(os.Getenv("GIT_CONFIG_NOSYSTEM")); !b {
		sys := os.Getenv("GIT_CONFIG_SYSTEM")
		if sys == "" {
			sys = "/etc/gitconfig"
		}
		files = append(files, sys)
	}
	if g, ok := os.LookupEnv("GIT_CONFIG_GLOBAL"); ok {
		if g != "" {
			files = append(files, g)
		}
	} else {
		home := os.Getenv("HOME")
		xdg := os.Getenv("XDG_CONFIG_HOME")
		if xdg == "" && home != "" {
			xdg = filepath.Join(home, ".config")
		}
		if xdg != "" {
			files = append(files, filepath.Join(xdg, "git", "config"))
		}
		if home != "" {
			files = append(files, filepath.Join(home, ".gitconfig"))
		}
	}
	if local != "" {
		files = append(files, local)
	}
	for _, f := range files {
		if err := c.readFile(f, 0); err != nil && !errors.Is(err, os.ErrNotExist) {
			return nil, err
		}
	}
	if err := c.fromEnvironment(); err != nil {
		return nil, err
	}
	return c, nil
}

// fromEnvironment adds what `git -c` and GIT_CONFIG_COUNT pass to child processes.
func (c *Config) fromEnvironment() error {
	if s := os.Getenv("GIT_CONFIG_COUNT"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 {
			return fmt.Errorf("%w: bogus count in GIT_CONFIG_COUNT", ErrInvalid)
		}
		for i := 0; i < n; i++ {
			key, ok := os.LookupEnv(fmt.Sprintf("GIT_CONFIG_KEY_%d", i))
			if !ok {
				return fmt.Errorf("%w: missing config key GIT_CONFIG_KEY_%d", ErrInvalid, i)
			}
			value, ok := os.LookupEnv(fmt.Sprintf("GIT_CONFIG_VALUE_%d", i))
			if !ok {
				return fmt.Errorf("%w: missing config value GIT_CONFIG_VALUE_%d", ErrInvalid, i)
			}
			if err := c.addPair(key, &value); err != nil {
				return err
			}
		}
	}
	return c.parseParameters(os.Getenv("GIT_CONFIG_PARAMETERS"))
}

// parseParameters reads GIT_CONFIG_PARAMETERS: shell-quoted 'key'='value' pairs (or the
// older 'key=value'), separated by whitespace.
func (c *Config) parseParameters(env string) error {
	bogus := fmt.Errorf("%w: bogus format in GIT_CONFIG_PARAMETERS", ErrInvalid)
	cur, more := env, true
	for more && cur != "" {
		var key string
		var ok bool
		if key, cur, more, ok = sqDequoteStep(cur); !ok {
			return bogus
		}
		switch {
		case !more || isSpace(cur[0]):
			k, v, found := strings.Cut(key, "=")
			var value *string
			if found {
				value = &v
			}
			if err := c.addPair(strings.TrimSpace(k), value); err != nil {
				return err
			}
		case cur[0] == '=':
			cur = cur[1:]
			var value *string
			switch {
			case strings.HasPrefix(cur, "'"):
				var v string
				if v, cur, more, ok = sqDequoteStep(cur); !ok || (more && !isSpace(cur[0])) {
					return bogus
				}
				value = &v
			case cur == "" || isSpace(cur[0]):
			default:
				return bogus
			}
			if err := c.addPair(key, value); err != nil {
				return err
			}
		default:
			return bogus
		}
		cur = strings.TrimLeft(cur, " \t\n\v\f\r")
	}
	return nil
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r'
}

// sqDequoteStep is git's sq_dequote_step: the single-quoted word at the start of s (a
// quote or '!' may be escaped between two quoted parts as backslash-quote and
// backslash-bang), and what follows it; more is false when the word ended the string.
func sqDequoteStep(s string) (word, rest string, more, ok bool) {
	if !strings.HasPrefix(s, "'") {
		return "", "", false, false
	}
	var b strings.Builder
	i := 1
	for {
		if i >= len(s) {
			return "", "", false, false
		}
		c := s[i]
		i++
		if c != '\'' {
			b.WriteByte(c)
			continue
		}
		if i >= len(s) {
			return b.String(), "", false, true
		}
		if s[i] == '\\' && i+2 < len(s) && (s[i+1] == '\'' || s[i+1] == '!') && s[i+2] == '\'' {
			b.WriteByte(s[i+1])
			i += 3
			continue
		}
		return b.String(), s[i:], true, true
	}
}

// addPair adds "section[.subsection].key" = value (nil: a key without a value).
func (c *Config) addPair(name string, value *string) error {
	first, last := strings.IndexByte(name, '.'), strings.LastIndexByte(name, '.')
	if first <= 0 || last == len(name)-1 {
		return fmt.Errorf("%w: invalid config key %q", ErrInvalid, name)
	}
	e := Entry{Section: strings.ToLower(name[:first]), Key: strings.ToLower(name[last+1:])}
	if first < last {
		e.Subsection = name[first+1 : last]
	}
	if value == nil {
		e.NoValue = true
	} else {
		e.Value = *value
	}
	c.Entries = append(c.Entries, e)
	return nil
}

// Bool reads a boolean as git does: true, yes, on, a non-zero number, or a key without
// a value are true; false, no, off, 0 and the empty string are false.
func Bool(v string, noValue bool) (bool, error) {
	if noValue {
		return true, nil
	}
	switch strings.ToLower(v) {
	case "true", "yes", "on":
		return true, nil
	case "false", "no", "off", "":
		return false, nil
	}
	if n, err := strconv.ParseInt(v, 0, 64); err == nil {
		return n != 0, nil
	}
	return false, fmt.Errorf("%w: bad boolean config value '%s'", ErrInvalid, v)
}

// LookupEntry is Lookup that also tells a key without a value from an empty one.
func (c *Config) LookupEntry(section, subsection, key string) (Entry, bool) {
	section, key = strings.ToLower(section), strings.ToLower(key)
	for i := len(c.Entries) - 1; i >= 0; i-- {
		if e := c.Entries[i]; e.Section == section && e.Subsection == subsection && e.Key == key {
			return e, true
		}
	}
	return Entry{}, false
}
