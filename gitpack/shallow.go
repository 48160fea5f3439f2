package gitpack

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"git-remote-object-store/gitpack/indexer"
	"git-remote-object-store/gitpack/object"
	"git-remote-object-store/gitpack/pack"
	"git-remote-object-store/gitpack/packer"
)

// InfiniteDepth is the depth git asks for on --unshallow (its INFINITE_DEPTH).
const InfiniteDepth = 1<<31 - 1

// ErrNoShallowCommits: a deepen-since or deepen-not request excludes even the wanted
// commits themselves (git's upload-pack says "no commits selected for shallow requests").
var ErrNoShallowCommits = errors.New("no commits selected for shallow requests")

// ShallowError: a pack would have to hold history a shallow clone does not have (the
// parents of Commit, on its boundary), because the other side lacks them too.
type ShallowError struct {
	Commit object.Hash
}

func (e *ShallowError) Error() string {
	return fmt.Sprintf("this repository is a shallow clone and the remote lacks the history below %s, which it does not have either: run git fetch --unshallow, then push again", e.Commit)
}

// Deepen is what a shallow fetch asks for (git fetch --depth, --deepen, --shallow-since,
// --shallow-exclude, --unshallow); the zero value is an ordinary fetch.
type Deepen struct {
	Depth    int           // commits kept from each wanted tip (1: the tips alone); 0: no limit
	Relative bool          // Depth counts from the repository's current shallow boundary (--deepen)
	Since    time.Time     // keep only commits committed at or after this (zero: no limit)
	Not      []object.Hash // keep no commit reachable from these
}

// Shallow reports whether d limits history at all.
func (d Deepen) Shallow() bool { return d.Depth > 0 || !d.Since.IsZero() || len(d.Not) > 0 }

// ShallowCommits reads the repository's shallow boundary (.git/shallow): the commits
// whose parents it does not have. A complete repository has none.
func (r *Repo) ShallowCommits() ([]object.Hash, error) {
	data, err := os.ReadFile(r.shallowPath())
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read shallow: %w", err)
	}
	var out []object.Hash
	for n, line := range strings.Split(string(data), "\n") {
		if line = strings.TrimSpace(line); line == "" {
			continue
		}
		h, err := object.ParseHashFormat(line, r.format)
		if err != nil {
			return nil, fmt.Errorf("%s line %d: %w", r.shallowPath(), n+1, err)
		}
		out = append(out, h)
	}
	return out, nil
}

// IsShallow reports whether the repository is a shallow clone.
func (r *Repo) IsShallow() bool {
	st, err := os.Stat(r.shallowPath())
	return err == nil && st.Size() > 0
}

func (r *Repo) shallowPath() string { return filepath.Join(r.commonDir, "shallow") }

// writeShallow replaces .git/shallow with ids (sorted, one per line, as git writes it)
// through git's shallow.lock, or removes it when ids is empty.
func (r *Repo) writeShallow(ids []object.Hash) error {
	lock := r.shallowPath() + ".lock"
	f, err := os.OpenFile(lock, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return fmt.Errorf("update shallow: %w (another git process may be running)", err)
	}
	defer os.Remove(lock) // nothing once renamed
	lines := make([]string, len(ids))
	for i, h := range ids {
		lines[i] = h.String()
	}
	slices.Sort(lines)
	lines = slices.Compact(lines)
	var b bytes.Buffer
	for _, l := range lines {
		b.WriteString(l + "\n")
	}
	_, err = f.Write(b.Bytes())
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("update shallow: %w", err)
	}
	if len(lines) == 0 {
		if err := os.Remove(r.shallowPath()); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("update shallow: %w", err)
		}
		return nil
	}
	if err := os.Rename(lock, r.shallowPath()); err != nil {
		return fmt.Errorf("update shallow: %w", err)
	}
	return nil
}

// ObjectSource is where a shallow fetch reads objects: the repository itself together
// with what the remote offers (staged packs, or packs on the bucket read by range).
type ObjectSource interface {
	Has(h object.Hash) bool
	Read(h object.Hash) (object.Type, []byte, error)
}

// ShallowPlan is what a shallow fetch installs: the objects of the shallow history the
// repository lacks, and the commits on the boundary of that history.
type ShallowPlan struct {
	Objects  []packer.Object
	Boundary []object.Hash
	old      []object.Hash // the repository's boundary when planned
}

// PlanShallow chooses, from src, the history a shallow fetch of wants brings (see
// shallowCut) and lists the objects of it the repository lacks.
func (r *Repo) PlanShallow(src ObjectSource, wants []object.Hash, d Deepen) (ShallowPlan, error) {
	old, err := r.ShallowCommits()
	if err != nil {
		return ShallowPlan{}, err
	}
	sp := &shallowPlanner{r: r, src: src}
	cut, err := sp.cut(wants, d, old)
	if err != nil {
		return ShallowPlan{}, err
	}
	objs, err := sp.objects(wants, cut.commits)
	if err != nil {
		return ShallowPlan{}, err
	}
	return ShallowPlan{Objects: objs, Boundary: cut.boundary, old: old}, nil
}

// UpdateShallow rewrites .git/shallow once a plan's objects are installed: the new
// boundary commits, and the old ones, each only while a parent is still missing.
func (r *Repo) UpdateShallow(p ShallowPlan) error {
	var keep []object.Hash
	for _, c := range append(p.old, p.Boundary...) {
		if r.Has(c) && r.lacksParent(c) {
			keep = append(keep, c)
		}
	}
	return r.writeShallow(keep)
}

// CommitShallow is Commit for a shallow fetch: instead of the staged packs (which may
// hold the whole history) it installs one pack of just what the shallow history of wants
// needs and the repository lacks, and then updates .git/shallow.
func (in *Incoming) CommitShallow(wants []object.Hash, d Deepen) error {
	if in.fsck != nil {
		if err := in.fsck.Finish(in); err != nil {
			in.Abort()
			return err
		}
	}
	defer in.Abort()
	plan, err := in.r.PlanShallow(in, wants, d)
	if err != nil {
		return err
	}
	if len(plan.Objects) > 0 {
		if err := in.installPackOf(plan.Objects); err != nil {
			return err
		}
	}
	return in.r.UpdateShallow(plan)
}

// lacksParent reports whether commit c has a parent the repository does not have.
func (r *Repo) lacksParent(c object.Hash) bool {
	_, data, err := r.Read(c)
	if err != nil {
		return true
	}
	_, parents, err := ParseCommit(data, r.format)
	if err != nil {
		return true
	}
	for _, p := range parents {
		if !r.Has(p) {
			return true
		}
	}
	return false
}

// installPackOf writes objs (read from the repository and the staged packs) as one pack
// into the quarantine and installs it.
func (in *Incoming) installPackOf(objs []packer.Object) error {
	pr, pw := io.Pipe()
	go func() {
		_, err := packer.Write(pw, in, objs, packer.Options{Format: in.r.format})
		pw.CloseWithError(err)
	}()
	st, err := indexer.Stage(pr, in.dir, indexer.Options{Format: in.r.format, Bases: in})
	pr.CloseWithError(errors.New("shallow pack ended"))
	if err != nil {
		return fmt.Errorf("write the shallow history's pack: %w", err)
	}
	defer st.Remove() // nothing once installed
	if err := st.Install(); err != nil {
		return fmt.Errorf("install the shallow history's pack: %w", err)
	}
	in.r.allPacks(true)
	return nil
}

// Locate finds h's stored entry in a staged pack or the repository's packs, so that the
// shallow pack copies entries instead of re-compressing them.
func (in *Incoming) Locate(h object.Hash) (*pack.Pack, int, bool) {
	for _, p := range in.snapshot() {
		if i := p.Idx.Find(h); i >= 0 {
			return p, i, true
		}
	}
	return in.r.Locate(h)
}

type cutResult struct {
	commits  []object.Hash // the shallow history, wants first
	boundary []object.Hash // those of them whose parents stay out
}

// cut chooses the commits of a shallow fetch, as upload-pack does: breadth first
// from the wanted commits, each at its least depth, stopping at the depth limit, at
// commits older than Since, at commits Not reaches, at the repository's own shallow
// boundary unless d deepens it, and, in a complete repository, at commits it has.
// shallowPlanner reads commits and trees from src and asks r what is here already.
type shallowPlanner struct {
	r   *Repo
	src ObjectSource
}

func (sp *shallowPlanner) cut(wants []object.Hash, d Deepen, old []object.Hash) (cutResult, error) {
	f := sp.r.format
	oldShallow := object.NewSet(len(old))
	for _, h := range old {
		oldShallow.Add(h)
	}
	excluded, err := sp.reachableCommits(d.Not)
	if err != nil {
		return cutResult{}, err
	}
	type item struct {
		h     object.Hash
		depth int // -1: not counted yet (--deepen above the old boundary)
	}
	var queue []item
	start := 1
	if d.Relative {
		start = -1
	}
	for _, w := range wants {
		c, err := sp.peelToCommit(w)
		if err != nil {
			return cutResult{}, err
		}
		if !c.IsZero() {
			queue = append(queue, item{c, start})
		}
	}
	seen := object.NewSet(64)
	var res cutResult
	for len(queue) > 0 {
		it := queue[0]
		queue = queue[1:]
		if !seen.Add(it.h) {
			continue
		}
		if len(old) == 0 && sp.r.Has(it.h) {
			// A complete repository has the whole history of what it has. (In a
			// shallow one the walk goes on through what it has, down to its boundary.)
			continue
		}
		_, data, err := sp.src.Read(it.h)
		if err != nil {
			return cutResult{}, fmt.Errorf("shallow: %w", err)
		}
		_, parents, err := ParseCommit(data, f)
		if err != nil {
			return cutResult{}, fmt.Errorf("shallow %s: %w", it.h, err)
		}
		if excluded.Has(it.h) || !d.Since.IsZero() && committerTime(data).Before(d.Since) {
			continue // a want reached only here (the others are checked as parents)
		}
		res.commits = append(res.commits, it.h)
		depth := it.depth
		if depth < 0 && oldShallow.Has(it.h) {
			depth = 0
		}
		// A fetch that does not deepen keeps the boundary where it is.
		keep := oldShallow.Has(it.h) && !d.Shallow()
		boundary := false
		for _, p := range parents {
			switch {
			case keep, d.Depth > 0 && depth >= d.Depth, excluded.Has(p), !sp.src.Has(p):
				boundary = true
			case !d.Since.IsZero():
				_, pdata, err := sp.src.Read(p)
				if err != nil {
					return cutResult{}, fmt.Errorf("shallow: %w", err)
				}
				if committerTime(pdata).Before(d.Since) {
					boundary = true
					continue
				}
				fallthrough
			default:
				next := depth
				if next >= 0 {
					next++
				}
				queue = append(queue, item{p, next})
			}
		}
		if boundary {
			res.boundary = append(res.boundary, it.h)
		}
	}
	if len(res.commits) == 0 && len(wants) > 0 && (len(d.Not) > 0 || !d.Since.IsZero()) {
		for _, w := range wants {
			if !sp.r.Has(w) {
				return cutResult{}, ErrNoShallowCommits
			}
		}
	}
	return res, nil
}

// peelToCommit follows tags from h to a commit; zero when h ends at a tree or blob.
func (sp *shallowPlanner) peelToCommit(h object.Hash) (object.Hash, error) {
	for range 64 {
		t, data, err := sp.src.Read(h)
		if err != nil {
			return object.Hash{}, fmt.Errorf("shallow: %w", err)
		}
		switch t {
		case object.Commit:
			return h, nil
		case object.Tag:
			if h, _, err = ParseTag(data, sp.r.format); err != nil {
				return object.Hash{}, fmt.Errorf("shallow: %w", err)
			}
		default:
			return object.Hash{}, nil
		}
	}
	return object.Hash{}, fmt.Errorf("shallow %s: tag chain too long", h)
}

// reachableCommits is every commit reachable from roots among the objects at hand.
func (sp *shallowPlanner) reachableCommits(roots []object.Hash) (*object.Set, error) {
	set := object.NewSet(64)
	var stack []object.Hash
	for _, r := range roots {
		if c, err := sp.peelToCommit(r); err == nil && !c.IsZero() {
			stack = append(stack, c)
		}
	}
	for len(stack) > 0 {
		h := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if !sp.src.Has(h) || !set.Add(h) {
			continue
		}
		_, data, err := sp.src.Read(h)
		if err != nil {
			return nil, fmt.Errorf("shallow: %w", err)
		}
		_, parents, err := ParseCommit(data, sp.r.format)
		if err != nil {
			return nil, fmt.Errorf("shallow %s: %w", h, err)
		}
		stack = append(stack, parents...)
	}
	return set, nil
}

// shallowObjects lists what the repository lacks of the wanted tags and of the chosen
// commits with their trees: the objects the shallow pack holds.
func (sp *shallowPlanner) objects(wants, commits []object.Hash) ([]packer.Object, error) {
	r := sp.r
	var objs []packer.Object
	seen := object.NewSet(1024)
	add := func(h object.Hash, t object.Type, path string) bool {
		if !seen.Add(h) || r.Has(h) {
			return false
		}
		objs = append(objs, packer.Object{Hash: h, Type: t, NameHash: packer.NameHash(path)})
		return true
	}
	for _, w := range wants { // annotated tags and the tags they name
		for range 64 {
			t, data, err := sp.src.Read(w)
			if err != nil || t != object.Tag {
				break
			}
			add(w, object.Tag, "")
			if w, _, err = ParseTag(data, r.format); err != nil {
				return nil, fmt.Errorf("shallow %s: %w", w, err)
			}
		}
	}
	type pending struct {
		h    object.Hash
		path string
	}
	var trees []pending
	for _, c := range commits {
		if !add(c, object.Commit, "") {
			continue
		}
		_, data, err := sp.src.Read(c)
		if err != nil {
			return nil, fmt.Errorf("shallow: %w", err)
		}
		tree, _, err := ParseCommit(data, r.format)
		if err != nil {
			return nil, fmt.Errorf("shallow %s: %w", c, err)
		}
		trees = append(trees, pending{h: tree})
	}
	for len(trees) > 0 {
		p := trees[len(trees)-1]
		trees = trees[:len(trees)-1]
		if !add(p.h, object.Tree, p.path) {
			continue // here already, with everything below it
		}
		_, data, err := sp.src.Read(p.h)
		if err != nil {
			return nil, fmt.Errorf("shallow: %w", err)
		}
		entries, err := ParseTree(data, r.format)
		if err != nil {
			return nil, fmt.Errorf("shallow %s: %w", p.h, err)
		}
		for _, e := range entries {
			path := e.Name
			if p.path != "" {
				path = p.path + "/" + e.Name
			}
			switch e.Mode & 0o170000 {
			case 0o160000: // a submodule's commit lives in its own repository
			case 0o040000:
				trees = append(trees, pending{h: e.Hash, path: path})
			default:
				add(e.Hash, object.Blob, path)
			}
		}
	}
	return objs, nil
}
