package fsck

// The names that are ".git", ".gitmodules" and friends on some file system: HFS+
// ignores certain Unicode code points and folds case, NTFS trims trailing spaces and
// periods, reads "name:stream" as name, and has 8.3 short names (git's utf8.c and path.c).

// nextHFSChar is git's next_hfs_char: the next code point of name from *i, skipping
// the ones HFS+ ignores; 0 at the end of name or at malformed UTF-8 (git then knows it
// cannot be a dot name).
func nextHFSChar(name []byte, i *int) rune {
	for {
		r, n := pickUTF8(name, *i)
		if n <= 0 {
			*i = len(name) + 1
			return 0
		}
		*i += n
		switch r {
		case 0x200c, 0x200d, 0x200e, 0x200f, 0x202a, 0x202b, 0x202c, 0x202d, 0x202e,
			0x206a, 0x206b, 0x206c, 0x206d, 0x206e, 0x206f, 0xfeff:
			continue
		}
		return r
	}
}

// pickUTF8 is git's pick_one_utf8_char on a NUL-terminated string: the code point at
// name[i] and its length, n = 0 for malformed input (the NUL at the end is a code point
// 0 of length 1).
func pickUTF8(name []byte, i int) (rune, int) {
	s0 := at(name, i)
	s := func(k int) byte { return at(name, i+k) }
	switch {
	case s0 < 0x80:
		return rune(s0), 1
	case s0&0xe0 == 0xc0:
		if s(1)&0xc0 != 0x80 || s0&0xfe == 0xc0 {
			return 0, 0
		}
		return rune(s0&0x1f)<<6 | rune(s(1)&0x3f), 2
	case s0&0xf0 == 0xe0:
		if s(1)&0xc0 != 0x80 || s(2)&0xc0 != 0x80 ||
			(s0 == 0xe0 && s(1)&0xe0 == 0x80) || // overlong
			(s0 == 0xed && s(1)&0xe0 == 0xa0) || // surrogate
			(s0 == 0xef && s(1) == 0xbf && s(2)&0xfe == 0xbe) { // U+FFFE, U+FFFF
			return 0, 0
		}
		return rune(s0&0x0f)<<12 | rune(s(1)&0x3f)<<6 | rune(s(2)&0x3f), 3
	case s0&0xf8 == 0xf0:
		if s(1)&0xc0 != 0x80 || s(2)&0xc0 != 0x80 || s(3)&0xc0 != 0x80 ||
			(s0 == 0xf0 && s(1)&0xf0 == 0x80) || // overlong
			(s0 == 0xf4 && s(1) > 0x8f) || s0 > 0xf4 { // past U+10FFFF
			return 0, 0
		}
		return rune(s0&0x07)<<18 | rune(s(1)&0x3f)<<12 | rune(s(2)&0x3f)<<6 | rune(s(3)&0x3f), 4
	}
	return 0, 0
}

// isHFSDot is git's is_hfs_dot_generic: name is "." followed by needle (ASCII, lower
// case) as HFS+ would read it.
func isHFSDot(name []byte, needle string) bool {
	i := 0
	if nextHFSChar(name, &i) != '.' {
		return false
	}
	for k := 0; k < len(needle); k++ {
		c := nextHFSChar(name, &i)
		if c > 127 {
			return false
		}
		if lower(byte(c)) != needle[k] {
			return false
		}
	}
	c := nextHFSChar(name, &i)
	return c == 0 || c == '/'
}

func isHFSDotGit(name []byte) bool { return isHFSDot(name, "git") }

func lower(c byte) byte {
	if c >= 'A' && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

func isXplatformDirSep(c byte) bool { return c == '/' || c == '\\' }

// isNTFSDotGit is git's is_ntfs_dotgit: ".git" or "git~1", followed only by spaces and
// periods up to the end, a directory separator or a ':'.
func isNTFSDotGit(name []byte) bool {
	i := 0
	c := at(name, i)
	i++
	switch {
	case c == '.':
		if lower(at(name, 1)) != 'g' || lower(at(name, 2)) != 'i' || lower(at(name, 3)) != 't' {
			return false
		}
		i = 4
	case c == 'g' || c == 'G':
		if lower(at(name, 1)) != 'i' || lower(at(name, 2)) != 't' || at(name, 3) != '~' || at(name, 4) != '1' {
			return false
		}
		i = 5
	default:
		return false
	}
	for {
		c := at(name, i)
		i++
		if c == 0 || isXplatformDirSep(c) || c == ':' {
			return true
		}
		if c != '.' && c != ' ' {
			return false
		}
	}
}

// isNTFSDotGeneric is git's is_ntfs_dot_generic: "." + dotName in any case, its 6-letter
// short name "~1" to "~4", or its fall-back short name (shortPrefix then "~<digit>"),
// each followed only by spaces and periods up to the end or a ':'.
func isNTFSDotGeneric(name []byte, dotName, shortPrefix string) bool {
	onlySpacesAndPeriods := func(i int) bool {
		for {
			c := at(name, i)
			i++
			if c == 0 || c == ':' {
				return true
			}
			if c != ' ' && c != '.' {
				return false
			}
		}
	}
	n := len(dotName)
	if at(name, 0) == '.' && equalFoldPrefix(name, 1, dotName, n) {
		return onlySpacesAndPeriods(n + 1)
	}
	if equalFoldPrefix(name, 0, dotName, 6) && at(name, 6) == '~' && at(name, 7) >= '1' && at(name, 7) <= '4' {
		return onlySpacesAndPeriods(8)
	}
	sawTilde := false
	i := 0
	for ; i < 8; i++ {
		c := at(name, i)
		switch {
		case c == 0:
			return false
		case sawTilde:
			if c < '0' || c > '9' {
				return false
			}
		case c == '~':
			i++
			if c := at(name, i); c < '1' || c > '9' {
				return false
			}
			sawTilde = true
		case i >= 6:
			return false
		case c&0x80 != 0:
			return false
		case lower(c) != shortPrefix[i]:
			return false
		}
	}
	return onlySpacesAndPeriods(i) // 8, or 9 after a "~<digit>" at 7
}

// equalFoldPrefix is strncasecmp(name+off, s, n) == 0 on a NUL-terminated name.
func equalFoldPrefix(name []byte, off int, s string, n int) bool {
	for k := 0; k < n; k++ {
		a, b := lower(at(name, off+k)), lower(at([]byte(s), k))
		if a != b {
			return false
		}
		if a == 0 {
			return true
		}
	}
	return true
}
