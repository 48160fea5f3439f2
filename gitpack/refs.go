package gitpack

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"git-remote-object-store/gitpack/object"
)

// ErrBadRefName: a name git's check-ref-format would refuse.
var ErrBadRefName = errors.New("invalid ref name")

// CheckRefName applies git check-ref-format's rules to a full ref name (at least two
// components, like "refs/heads/main"); "HEAD" is also accepted.
func CheckRefName(name string) error {
	if name == "HEAD" {
		return nil
	}
	if err := checkRefFormat(name); err != nil {
		return err
	}
	if !strings.Contains(name, "/") {
		return fmt.Errorf("%w: %q has one component", ErrBadRefName, name)
	}
	return nil
}

// checkRefFormat is `git check-ref-format --allow-onelevel`.
func checkRefFormat(name string) error {
	bad := func(why string) error { return fmt.Errorf("%w: %q %s", ErrBadRefName, name, why) }
	if name == "" {
		return bad("is empty")
	}
	if name == "@" {
		return bad("is @")
	}
	if strings.HasSuffix(name, ".") {
		return bad("ends with .")
	}
	if strings.HasSuffix(name, "/") || strings.HasPrefix(name, "/") {
		return bad("begins or ends with /")
	}
	for _, comp := range strings.Split(name, "/") {
		switch {
		case comp == "":
			return bad("has an empty component")
		case strings.HasPrefix(comp, "."):
			return bad("has a component beginning with .")
		case strings.HasSuffix(comp, ".lock"):
			return bad("has a component ending with .lock")
		}
	}
	if strings.Contains(name, "..") || strings.Contains(name, "@{") {
		return bad("contains .. or @{")
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if c < 0x20 || c == 0x7f || strings.IndexByte(" ~^:?*[\\", c) >= 0 {
			return bad(fmt.Sprintf("contains %q", c))
		}
	}
	return nil
}

// Resolve returns what name points at, following symbolic refs. name may be a full ref,
// HEAD, a short name git would expand (heads, tags, remotes), or, when no ref has that
// name, an object id abbreviated to 4 or more hex digits (or git describe's output) that
// one object of the repository starts with.
func (r *Repo) Resolve(name string) (object.Hash, error) { return r.resolve(name, hintNone) }

// resolve is Resolve with a hint for an ambiguous abbreviation, in git's order: a full
// id, then refs, then describe output, then an abbreviated id.
func (r *Repo) resolve(name string, h hint) (object.Hash, error) {
	if h, err := object.ParseHashFormat(name, r.format); err == nil {
		return h, nil
	}
	id, err := r.resolveRef(name)
	if err == nil || !errors.Is(err, ErrNotFound) {
		return id, err
	}
	if hex, ok := describeName(name); ok {
		if id, found, derr := r.resolveShort(hex, hintCommit); found && derr == nil {
			return id, nil
		}
	}
	if id, found, serr := r.resolveShort(name, h); serr != nil || found {
		return id, serr
	}
	return object.Hash{}, err
}

// resolveRef resolves name as a ref (full, HEAD, or a short name git would expand).
func (r *Repo) resolveRef(name string) (object.Hash, error) {
	candidates := []string{name}
	if !strings.HasPrefix(name, "refs/") && name != "HEAD" {
		candidates = append(candidates, "refs/"+name, "refs/tags/"+name, "refs/heads/"+name, "refs/remotes/"+name)
	}
	for _, c := range candidates {
		h, err := r.resolveFull(c, 0)
		if err == nil {
			return h, nil
		}
		if !errors.Is(err, ErrNotFound) {
			return object.Hash{}, err
		}
	}
	return object.Hash{}, fmt.Errorf("%w: ref %s", ErrNotFound, name)
}

func (r *Repo) resolveFull(name string, depth int) (object.Hash, error) {
	if depth > 5 {
		return object.Hash{}, fmt.Errorf("ref %s: symbolic refs nested too deep", name)
	}
	if name != "HEAD" && CheckRefName(name) != nil {
		return object.Hash{}, fmt.Errorf("%w: ref %s", ErrNotFound, name)
	}
	dir := r.commonDir
	if name == "HEAD" || !strings.HasPrefix(name, "refs/") {
		dir = r.gitDir // per-worktree refs
	}
	if b, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(name))); err == nil {
		s := strings.TrimSpace(string(b))
		if target, ok := strings.CutPrefix(s, "ref: "); ok {
			return r.resolveFull(strings.TrimSpace(target), depth+1)
		}
		h, err := object.ParseHashFormat(s, r.format)
		if err != nil {
			return object.Hash{}, fmt.Errorf("ref %s: %w", name, err)
		}
		return h, nil
	}
	refs, err := r.packedRefs()
	if err != nil {
		return object.Hash{}, err
	}
	if h, ok := refs[name]; ok {
		return h, nil
	}
	return object.Hash{}, fmt.Errorf("%w: ref %s", ErrNotFound, name)
}

// packedRefs parses packed-refs, once per change of the file (a repository with
// thousands of refs must not be re-read for each one resolved).
func (r *Repo) packedRefs() (map[string]object.Hash, error) {
	path := filepath.Join(r.commonDir, "packed-refs")
	fi, err := os.Stat(path)
	if errors.Is(err, os.ErrNotExist) {
		return map[string]object.Hash{}, nil
	}
	if err != nil {
		return nil, err
	}
	r.mu.Lock()
	if r.packed != nil && r.packedStamp == fmt.Sprint(fi.Size(), fi.ModTime().UnixNano()) {
		m := r.packed
		r.mu.Unlock()
		return m, nil
	}
	r.mu.Unlock()
	out := map[string]object.Hash{}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' || line[0] == '^' {
			continue
		}
		hex, name, ok := strings.Cut(line, " ")
		h, err := object.ParseHashFormat(hex, r.format)
		if !ok || err != nil {
			return nil, fmt.Errorf("packed-refs: bad line %q", line)
		}
		out[name] = h
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	r.mu.Lock()
	r.packed, r.packedStamp = out, fmt.Sprint(fi.Size(), fi.ModTime().UnixNano())
	r.mu.Unlock()
	return out, nil
}
