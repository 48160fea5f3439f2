package gitconfig

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"time"
)

// Set sets section[.subsection].key = value in the git config file at path,
// editing it in place: the last existing assignment of the key is rewritten, otherwise
// the key is added at the end of the last matching section, otherwise a new section is
// appended. Every other byte (comments, order, other sections) is kept. The file is
// replaced atomically under git's config.lock.
func Set(path, section, subsection, key, value string) error {
	return editConfig(path, section, subsection, key, &value)
}

// Unset removes every assignment of section[.subsection].key.
func Unset(path, section, subsection, key string) error {
	return editConfig(path, section, subsection, key, nil)
}

func editConfig(path, section, subsection, key string, value *string) error {
	if !validName(section) || !validName(key) || strings.ContainsAny(subsection, "\n\x00") {
		return fmt.Errorf("%w: bad name %s.%s.%s", ErrInvalid, section, subsection, key)
	}
	data, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	lines := strings.SplitAfter(string(data), "\n")
	if len(lines) > 0 && lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	// Find the lines of matching sections and of assignments to key within them.
	in := false
	lastSectionEnd, lastAssign := -1, -1
	var assigns []int
	for i, line := range lines {
		t := strings.TrimSpace(line)
		if strings.HasPrefix(t, "[") {
			sec, sub, ok := parseHeaderLine(t)
			in = ok && strings.EqualFold(sec, section) && sub == subsection
			if in {
				lastSectionEnd = i
			}
			continue
		}
		if !in {
			continue
		}
		lastSectionEnd = i
		k, _, _ := strings.Cut(t, "=")
		if k = strings.TrimSpace(k); strings.EqualFold(k, key) {
			assigns = append(assigns, i)
			lastAssign = i
		}
	}
	newLine := ""
	if value != nil {
		newLine = "\t" + key + " = " + quoteConfigValue(*value) + "\n"
	}
	switch {
	case value == nil:
		for k := len(assigns) - 1; k >= 0; k-- {
			lines = append(lines[:assigns[k]], lines[assigns[k]+1:]...)
		}
	case lastAssign >= 0:
		lines[lastAssign] = newLine
	case lastSectionEnd >= 0:
		lines = append(lines[:lastSectionEnd+1], append([]string{newLine}, lines[lastSectionEnd+1:]...)...)
	default:
		if n := len(lines); n > 0 && !strings.HasSuffix(lines[n-1], "\n") {
			lines[n-1] += "\n"
		}
		header := "[" + section + "]\n"
		if subsection != "" {
			header = "[" + section + " \"" + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(subsection) + "\"]\n"
		}
		lines = append(lines, header, newLine)
	}
	return replaceLocked(path, strings.Join(lines, ""))
}

// replaceLocked writes data to path through path.lock, created exclusively, then renamed
// over path: git's own protocol, so a concurrent git (or another of us) either waits for
// us or fails loudly instead of one edit silently losing the other. The new file keeps
// the old one's permission bits, as git's config writer gives them to its lock file: a
// 0600 config (it may hold credentials) stays 0600. A new file gets 0666 less the umask,
// as git creates it.
func replaceLocked(path, data string) error {
	lock := path + ".lock"
	var f *os.File
	var err error
	for try := 0; try < 50; try++ {
		f, err = os.OpenFile(lock, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o666)
		if !errors.Is(err, os.ErrExist) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		return fmt.Errorf("lock %s: %w", path, err)
	}
	// Stat the file only now that the lock is held: no other writer can replace it
	// between the stat and the rename.
	if st, serr := os.Stat(path); serr == nil {
		err = f.Chmod(st.Mode().Perm())
	} else if !errors.Is(serr, os.ErrNotExist) {
		err = serr
	}
	if err == nil {
		_, err = f.WriteString(data)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(lock, path)
	}
	if err != nil {
		os.Remove(lock)
	}
	return err
}

func validName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isKeyChar(s[i]) {
			return false
		}
	}
	return true
}

// parseHeaderLine reads "[section]", "[section \"sub\"]" or legacy "[section.sub]".
func parseHeaderLine(t string) (section, sub string, ok bool) {
	end := strings.LastIndex(t, "]")
	if end < 0 {
		return "", "", false
	}
	body := t[1:end]
	if name, rest, found := strings.Cut(body, " "); found {
		rest = strings.TrimSpace(rest)
		if len(rest) < 2 || rest[0] != '"' || rest[len(rest)-1] != '"' {
			return "", "", false
		}
		r := strings.NewReplacer(`\\`, `\`, `\"`, `"`)
		return name, r.Replace(rest[1 : len(rest)-1]), true
	}
	if name, legacy, found := strings.Cut(body, "."); found {
		return name, strings.ToLower(legacy), true
	}
	return body, "", true
}

// quoteConfigValue quotes a value when git would otherwise read it differently.
func quoteConfigValue(v string) string {
	needs := v != strings.TrimSpace(v) || strings.ContainsAny(v, "#;\"\\\n\t")
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`, "\t", `\t`)
	v = r.Replace(v)
	if needs {
		return `"` + v + `"`
	}
	return v
}
