package gitpack

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"git-remote-object-store/gitpack/object"
)

// ErrAmbiguous: an abbreviated object id that more than one object of the repository
// starts with (git's "short object ID … is ambiguous").
var ErrAmbiguous = errors.New("ambiguous object name")

// minAbbrev is the shortest abbreviation git accepts (MINIMUM_ABBREV).
const minAbbrev = 4

// hint narrows the candidates of an ambiguous abbreviation, as git's disambiguation
// hints do: a name followed by "~N" or "^N" must be a commit-ish, a describe name
// ("v1.0-3-gabc1234") names a commit.
type hint uint8

const (
	hintNone hint = iota
	hintCommittish
	hintCommit
)

// resolveShort resolves an abbreviated object id (4 or more hex digits, either case),
// as git's get_short_oid does: the objects whose ids start with it are looked up among
// the loose objects and in the pack indexes of every object directory. One candidate is
// the answer whatever its type; of several, the one the hint accepts, if exactly one
// does; otherwise the abbreviation is ambiguous. found is false when the text is not an
// abbreviation at all, or no object starts with it.
func (r *Repo) resolveShort(name string, h hint) (id object.Hash, found bool, err error) {
	hexLen := r.format.HexSize()
	if len(name) < minAbbrev || len(name) > hexLen {
		return object.Hash{}, false, nil
	}
	pfx := strings.ToLower(name)
	raw := make([]byte, (len(pfx)+1)/2)
	for i := 0; i < len(pfx); i++ {
		c := pfx[i]
		var v byte
		switch {
		case c >= '0' && c <= '9':
			v = c - '0'
		case c >= 'a' && c <= 'f':
			v = c - 'a' + 10
		default:
			return object.Hash{}, false, nil
		}
		if i%2 == 0 {
			v <<= 4
		}
		raw[i/2] |= v
	}
	cands := r.findPrefix(pfx, raw, false)
	if len(cands) == 0 {
		cands = r.findPrefix(pfx, raw, true) // packs added since the last scan
	}
	switch len(cands) {
	case 0:
		return object.Hash{}, false, nil
	case 1:
		return cands[0], true, nil
	}
	if h != hintNone {
		var ok []object.Hash
		for _, c := range cands {
			if r.satisfies(c, h) {
				ok = append(ok, c)
			}
		}
		if len(ok) == 1 {
			return ok[0], true, nil
		}
	}
	var list []string
	for i, c := range cands {
		if i == 10 {
			list = append(list, fmt.Sprintf("and %d more", len(cands)-i))
			break
		}
		t, _, err := r.Stat(c)
		desc := "unreadable"
		if err == nil {
			desc = t.String()
		}
		list = append(list, c.String()+" "+desc)
	}
	return object.Hash{}, false, fmt.Errorf("%w: short object ID %s is ambiguous (the candidates are %s); give more digits",
		ErrAmbiguous, pfx, strings.Join(list, ", "))
}

// findPrefix lists, sorted and without repeats, the ids starting with the hex digits
// pfx (raw: the same digits as bytes, the last one in the high nibble when odd), loose or
// packed; with rescan it picks up new packs first.
func (r *Repo) findPrefix(pfx string, raw []byte, rescan bool) []object.Hash {
	var out []object.Hash
	for _, d := range r.objDirs {
		names, _ := readDirNames(filepath.Join(d, pfx[:2]))
		for _, n := range names {
			if len(n) != r.format.HexSize()-2 || !strings.HasPrefix(n, pfx[2:]) {
				continue
			}
			if h, err := object.ParseHashFormat(pfx[:2]+n, r.format); err == nil {
				out = append(out, h)
			}
		}
	}
	for _, p := range r.allPacks(rescan) {
		p.Idx.FindPrefix(raw, len(pfx), func(i int) bool {
			out = append(out, p.Idx.Hash(i))
			return len(out) < 1<<16 // a prefix of 4 digits in a huge repository: enough to say ambiguous
		})
	}
	slices.SortFunc(out, object.Hash.Compare)
	return slices.Compact(out)
}

func readDirNames(dir string) ([]string, error) {
	f, err := os.Open(dir)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return f.Readdirnames(-1)
}

// satisfies reports whether the object h is what the hint asks for: a commit, or for a
// commit-ish also a tag that peels to one.
func (r *Repo) satisfies(h object.Hash, want hint) bool {
	t, _, err := r.Stat(h)
	if err != nil {
		return false
	}
	if t == object.Commit {
		return true
	}
	if want != hintCommittish {
		return false
	}
	for depth := 0; t == object.Tag && depth < 64; depth++ {
		_, data, err := r.Read(h)
		if err != nil {
			return false
		}
		if h, t, err = ParseTag(data, r.format); err != nil {
			return false
		}
	}
	return t == object.Commit
}

// describeName finds the abbreviated id in git describe's output ("v1.0-3-gabc1234"):
// the hex digits after the last "-g".
func describeName(name string) (string, bool) {
	i := len(name)
	for i > 0 && isHex(name[i-1]) {
		i--
	}
	if i < 3 || i == len(name) || name[i-1] != 'g' || name[i-2] != '-' {
		return "", false
	}
	return name[i:], true
}

func isHex(c byte) bool { return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' }
