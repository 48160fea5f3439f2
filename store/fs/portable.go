package fs

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"unicode/utf8"

	"git-remote-object-store/store"
)

// ErrCaseCollision: the key differs only in case (or in another way the file system
// ignores) from a file or directory already in the bucket, on a file system that would
// store both under one name. It is an ErrBadKey.
var ErrCaseCollision = fmt.Errorf("%w: another key differs from it only in case", ErrBadKey)

// checkWindowsNames is whether keys that cannot be Windows file names are refused. Only
// on Windows: elsewhere such keys have always been stored, and refusing them now would
// strand objects already in existing buckets. A variable so tests on any OS can set it.
var checkWindowsNames = runtime.GOOS == "windows"

// windowsDevices are names Windows resolves to a device in every directory, whatever
// the extension ("nul.txt" is NUL). The superscript digits are devices too.
var windowsDevices = []string{
	"CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$",
	"COM0", "COM1", "COM2", "COM3", "COM4", "COM5", "COM6", "COM7", "COM8", "COM9", "COM¹", "COM²", "COM³",
	"LPT0", "LPT1", "LPT2", "LPT3", "LPT4", "LPT5", "LPT6", "LPT7", "LPT8", "LPT9", "LPT¹", "LPT²", "LPT³",
}

// portableKey reports why key, valid by CheckKey, cannot be a path on Windows. Git allows
// all of these in ref names, and each is worse than a failed write: Win32 strips a
// trailing dot or space so "a." is the file "a", a device name opens the device, "a:b"
// writes a hidden stream of the file "a", and bytes that are not UTF-8 become U+FFFD so
// two keys share one file.
func portableKey(key string) error {
	if !utf8.ValidString(key) {
		return fmt.Errorf("%w: not valid UTF-8, which Windows file names must be", ErrBadKey)
	}
	for seg := range strings.SplitSeq(key, "/") {
		if i := strings.IndexFunc(seg, func(r rune) bool { return r < 0x20 || strings.ContainsRune(`"<>|:*?`, r) }); i >= 0 {
			return fmt.Errorf("%w: %q contains %q, which Windows does not allow in file names", ErrBadKey, seg, seg[i:i+1])
		}
		if strings.HasSuffix(seg, ".") || strings.HasSuffix(seg, " ") {
			return fmt.Errorf("%w: %q ends in %q, which Windows drops from file names, so it would name another file", ErrBadKey, seg, seg[len(seg)-1:])
		}
		// Windows ignores the extension and spaces before it when it looks for a device.
		base, _, _ := strings.Cut(seg, ".")
		base = strings.TrimRight(base, " ")
		for _, d := range windowsDevices {
			if strings.EqualFold(base, d) {
				return fmt.Errorf("%w: %q names a Windows device (%s), which cannot be a file name", ErrBadKey, seg, d)
			}
		}
	}
	return nil
}

// foldsCase reports whether the bucket's file system takes names that differ only in
// case for one (the default on macOS and Windows), probing it at the first call: two
// keys would then share one file, and a write to one would silently replace the other.
// A failed probe is not remembered, so the next write tries again.
func (s *Store) foldsCase() (bool, error) {
	s.fold.mu.Lock()
	defer s.fold.mu.Unlock()
	if !s.fold.known {
		yes, err := s.probeFold()
		if err != nil {
			return false, fmt.Errorf("probe whether file names are case-sensitive: %w", err)
		}
		s.fold.known, s.fold.yes = true, yes
	}
	return s.fold.yes, nil
}

// probeFold creates a temporary file and looks it up under its upper-case name. It uses
// createTemp's names, so one left by a crash is garbage the Janitor knows.
func (s *Store) probeFold() (bool, error) {
	if err := os.MkdirAll(s.tmpDir(), 0o777); err != nil {
		return false, err
	}
	f, err := s.createTemp()
	if err != nil {
		return false, err
	}
	name := f.Name()
	defer os.Remove(name)
	fi, err := f.Stat()
	f.Close()
	if err != nil {
		return false, err
	}
	// tempPrefix has letters, so the upper-case name is another name.
	other, err := os.Lstat(filepath.Join(filepath.Dir(name), strings.ToUpper(filepath.Base(name))))
	if errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return os.SameFile(fi, other), nil
}

// checkCase refuses key when the file system folds case and part of key's path already
// exists under another spelling. It runs under the bucket lock, so no write or delete
// can change the answer before the caller acts on it.
func (s *Store) checkCase(op, key string) error {
	fold, err := s.foldsCase()
	if err != nil {
		return &store.Error{Op: op, Key: key, Err: err}
	}
	if !fold {
		return nil
	}
	part, onDisk, err := s.caseConflict(key)
	if err != nil {
		return &store.Error{Op: op, Key: key, Err: err}
	}
	if part == "" {
		return nil
	}
	msg := fmt.Sprintf("%q already exists as %q, and this file system takes both names for one file", part, onDisk)
	if onDisk == "" {
		msg = fmt.Sprintf("%q already exists under another spelling, and this file system takes both names for one file", part)
	}
	return &store.Error{Op: op, Key: key, Err: ErrCaseCollision, Message: msg,
		Hint: "rename one of the two refs, or keep this remote on a case-sensitive file system"}
}

// caseConflict returns the first leading part of key that exists on disk under another
// spelling, and that spelling ("" when no name in the directory differs from it only in
// case, as with a Windows 8.3 short name or another Unicode normalisation). Parts not on
// disk yet are created as key spells them, so the walk stops at the first one, and at a
// file where key needs a directory, which the write itself reports.
func (s *Store) caseConflict(key string) (part, onDisk string, err error) {
	segs := strings.Split(key, "/")
	dir := s.root
	for i, seg := range segs {
		e, err := listed(dir, seg)
		if errors.Is(err, os.ErrNotExist) {
			return "", "", nil
		}
		if err != nil {
			return "", "", err
		}
		p := filepath.Join(dir, seg)
		if e == nil {
			// Not listed, not even folded: absent, unless the file system finds it by a
			// rule of its own.
			_, err := os.Lstat(p)
			if errors.Is(err, os.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) {
				return "", "", nil
			}
			if err != nil {
				return "", "", err
			}
		}
		if e == nil || e.Name() != seg {
			part = strings.Join(segs[:i+1], "/")
			if e != nil {
				onDisk = strings.Join(append(segs[:i:i], e.Name()), "/")
			}
			return part, onDisk, nil
		}
		if !e.IsDir() {
			return "", "", nil
		}
		dir = p
	}
	return "", "", nil
}

// listed returns the entry under which directory dir holds name: name itself when dir
// lists it exactly, else the first entry equal to it but for case, else nil. Names are
// compared as listed, not looked up, because a lookup on a case-folding file system
// finds the other spelling and cannot tell.
func listed(dir, name string) (os.DirEntry, error) {
	d, err := os.Open(dir)
	if err != nil {
		return nil, err
	}
	defer d.Close()
	var folded os.DirEntry
	for {
		entries, err := d.ReadDir(256)
		for _, e := range entries {
			if e.Name() == name {
				return e, nil
			}
			if folded == nil && strings.EqualFold(e.Name(), name) {
				folded = e
			}
		}
		if err == io.EOF {
			return folded, nil
		}
		if err != nil {
			return nil, err
		}
	}
}
