package bundle

import (
	"bytes"
	"compress/zlib"
	"context"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"git-remote-object-store/engine"
	"git-remote-object-store/gitpack"
	"git-remote-object-store/gitpack/object"
	"git-remote-object-store/gitpack/pack"
	"git-remote-object-store/gitpack/packer"
	"git-remote-object-store/internal/testenv"
	"git-remote-object-store/store"
	"git-remote-object-store/store/fs"
)

// dupRepo is a source repository with named commits made by the real git.
type dupRepo struct {
	dir  string
	tree string
	sha  map[string]string
}

// dupCommit is one commit of a test history: a root when parent is "".
type dupCommit struct{ name, parent string }

// makeDupRepo makes the commits in order, retrying each with another message until every
// lower pair {x, y} holds (x's id sorts below y's), so a case controls which of two
// commits a lexical tie-break would pick.
func makeDupRepo(t *testing.T, commits []dupCommit, lower [][2]string) *dupRepo {
	t.Helper()
	dir := t.TempDir()
	testenv.RunGit(t, dir, "init", "-q", "-b", "main", ".")
	os.WriteFile(filepath.Join(dir, "f.txt"), []byte("content\n"), 0o644)
	testenv.RunGit(t, dir, "add", ".")
	r := &dupRepo{dir: dir, tree: testenv.RunGit(t, dir, "write-tree"), sha: map[string]string{}}
	holds := func() bool {
		for _, p := range lower {
			x, okx := r.sha[p[0]]
			y, oky := r.sha[p[1]]
			if okx && oky && x >= y {
				return false
			}
		}
		return true
	}
	for _, c := range commits {
		args := []string{"commit-tree", r.tree}
		if c.parent != "" {
			args = append(args, "-p", r.sha[c.parent])
		}
		for try := 0; ; try++ {
			if try == 200 {
				t.Fatalf("could not make %s sort as %v", c.name, lower)
			}
			r.sha[c.name] = testenv.RunGit(t, dir, append(args, "-m", fmt.Sprintf("%s %d", c.name, try))...)
			if holds() {
				break
			}
		}
		testenv.RunGit(t, dir, "update-ref", "refs/heads/c-"+c.name, r.sha[c.name])
	}
	return r
}

// bundleOf returns a full-history bundle of the named commit as ref, written by the real
// git (as awslabs/git-remote-s3 does) or by this engine.
func (r *dupRepo) bundleOf(t *testing.T, writer, name, ref string) []byte {
	t.Helper()
	switch writer {
	case "git":
		testenv.RunGit(t, r.dir, "update-ref", ref, r.sha[name])
		p := filepath.Join(t.TempDir(), "b.bundle")
		testenv.RunGit(t, r.dir, "bundle", "create", "-q", p, ref)
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		return data
	case "engine":
		repo, err := gitpack.Open(filepath.Join(r.dir, ".git"))
		if err != nil {
			t.Fatal(err)
		}
		defer repo.Close()
		var b bytes.Buffer
		if err := New(engine.Config{Repo: repo}).writeBundle(&b, ref, mustHash(t, r.sha[name])); err != nil {
			t.Fatal(err)
		}
		return b.Bytes()
	}
	t.Fatalf("unknown writer %q", writer)
	return nil
}

func mustHash(t *testing.T, s string) object.Hash {
	t.Helper()
	h, err := object.ParseHash(s)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// dupBundle is one bundle of refs/heads/main on the bucket; age is how many seconds
// before the others' time its Last-Modified is (0: the same second).
type dupBundle struct {
	of  string
	age int
}

var dupTime = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// putDupBundles writes the bundles to a fresh local-directory store and gives their files
// the Last-Modified the case asks for (the fs store reports a file's mtime; S3 would
// report the same second for uploads that close together).
func putDupBundles(t *testing.T, data map[string][]byte, r *dupRepo, bundles []dupBundle) store.Store {
	t.Helper()
	root := t.TempDir()
	st, err := fs.New(root)
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	if _, err := st.Put(ctx, HeadKey, strings.NewReader("refs/heads/main"), -1, store.Cond{}); err != nil {
		t.Fatal(err)
	}
	for _, b := range bundles {
		key := "refs/heads/main/" + r.sha[b.of] + bundleSuffix
		if _, err := st.Put(ctx, key, bytes.NewReader(data[b.of]), int64(len(data[b.of])), store.Cond{}); err != nil {
			t.Fatal(err)
		}
		mt := dupTime.Add(-time.Duration(b.age) * time.Second)
		if err := os.Chtimes(filepath.Join(root, filepath.FromSlash(key)), mt, mt); err != nil {
			t.Fatal(err)
		}
		info, err := st.Head(ctx, key)
		if err != nil {
			t.Fatal(err)
		}
		if !info.LastModified.Equal(mt) {
			t.Fatalf("%s: Last-Modified %v, want %v (the fs store no longer reports mtime?)", key, info.LastModified, mt)
		}
	}
	return st
}

// TestDuplicateBundlesDescendantWins: a ref with several bundles of the same
// Last-Modified (or with the ancestor uploaded later) is read as its descendant, whatever
// the ids' lexical order and whether or not the local repository holds the commits; only
// when ancestry does not decide do the clock and then the id. doctor --fix keeps the
// same bundle and moves the others aside.
func TestDuplicateBundlesDescendantWins(t *testing.T) {
	cases := []struct {
		name    string
		commits []dupCommit
		lower   [][2]string
		bundles []dupBundle
		want    string
	}{
		{
			name:    "same second, descendant sorts lower",
			commits: []dupCommit{{"a", ""}, {"b", "a"}, {"c", "b"}},
			lower:   [][2]string{{"c", "a"}},
			bundles: []dupBundle{{"a", 0}, {"c", 0}},
			want:    "c",
		},
		{
			name:    "same second, descendant sorts higher",
			commits: []dupCommit{{"a", ""}, {"b", "a"}, {"c", "b"}},
			lower:   [][2]string{{"a", "c"}},
			bundles: []dupBundle{{"a", 0}, {"c", 0}},
			want:    "c",
		},
		{
			name:    "three in a chain, same second",
			commits: []dupCommit{{"a", ""}, {"b", "a"}, {"c", "b"}},
			lower:   [][2]string{{"c", "b"}, {"b", "a"}},
			bundles: []dupBundle{{"a", 0}, {"b", 0}, {"c", 0}},
			want:    "c",
		},
		{
			// S3 dates a multipart upload by its start: clock alone never overrules ancestry.
			name:    "ancestor with the later Last-Modified",
			commits: []dupCommit{{"a", ""}, {"b", "a"}},
			bundles: []dupBundle{{"a", 0}, {"b", 5}},
			want:    "b",
		},
		{
			name:    "diverged: the later upload",
			commits: []dupCommit{{"base", ""}, {"x", "base"}, {"y", "base"}},
			lower:   [][2]string{{"x", "y"}},
			bundles: []dupBundle{{"x", 3}, {"y", 0}},
			want:    "y",
		},
		{
			name:    "diverged, same second: the lowest id",
			commits: []dupCommit{{"base", ""}, {"x", "base"}, {"y", "base"}},
			lower:   [][2]string{{"x", "y"}},
			bundles: []dupBundle{{"x", 0}, {"y", 0}},
			want:    "x",
		},
		{
			name:    "diverged pair over a shared ancestor: the ancestor never wins",
			commits: []dupCommit{{"base", ""}, {"x", "base"}, {"y", "base"}},
			lower:   [][2]string{{"base", "y"}, {"y", "x"}},
			bundles: []dupBundle{{"base", 0}, {"x", 1}, {"y", 2}},
			want:    "x",
		},
	}
	// Where ancestry can come from: the helper's repository holding everything, holding
	// only the oldest commit (a fetch that lacks the new one), or nothing (a clone); and
	// doctor, which has no repository at all.
	views := []string{"helper, all commits local", "helper, oldest commit local", "helper, empty repository", "doctor, no repository"}
	for _, writer := range []string{"git", "engine"} {
		for _, c := range cases {
			t.Run(writer+"/"+c.name, func(t *testing.T) {
				t.Parallel()
				r := makeDupRepo(t, c.commits, c.lower)
				data := map[string][]byte{}
				for _, b := range c.bundles {
					data[b.of] = r.bundleOf(t, writer, b.of, "refs/heads/main")
				}
				want := r.sha[c.want]
				for _, view := range views {
					t.Run(view, func(t *testing.T) {
						ctx := t.Context()
						st := putDupBundles(t, data, r, c.bundles)
						var repo *gitpack.Repo
						switch view {
						case "helper, all commits local":
							repo = openRepo(t, filepath.Join(r.dir, ".git"))
						case "helper, oldest commit local":
							dir := t.TempDir()
							testenv.RunGit(t, dir, "init", "-q", "--bare", ".")
							testenv.RunGit(t, dir, "fetch", "-q", r.dir, "refs/heads/c-"+c.commits[0].name+":refs/heads/old")
							repo = openRepo(t, dir)
						case "helper, empty repository":
							dir := t.TempDir()
							testenv.RunGit(t, dir, "init", "-q", "--bare", ".")
							repo = openRepo(t, dir)
						}
						if repo != nil {
							checkHelperView(t, ctx, st, repo, len(c.bundles), want)
							return
						}
						checkDoctorView(t, ctx, st, r, c.bundles, want)
					})
				}
			})
		}
	}
}

func openRepo(t *testing.T, dir string) *gitpack.Repo {
	t.Helper()
	repo, err := gitpack.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { repo.Close() })
	return repo
}

// checkHelperView lists the remote as the helper does, then fetches what it advertised.
func checkHelperView(t *testing.T, ctx context.Context, st store.Store, repo *gitpack.Repo, n int, want string) {
	var warn bytes.Buffer
	e := New(engine.Config{Store: st, Repo: repo, Warn: &warn})
	refs, err := e.List(ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	got := ""
	for _, ref := range refs {
		if ref.Name == "refs/heads/main" {
			got = ref.Hash.String()
		}
	}
	if got != want {
		t.Fatalf("advertised refs/heads/main %s, want the descendant %s\nwarnings: %s", got, want, warn.String())
	}
	if w := warn.String(); !strings.Contains(w, fmt.Sprintf("has %d bundles", n)) || !strings.Contains(w, want) {
		t.Fatalf("want a warning naming the duplicates and the chosen %s, got %q", want, w)
	}
	if err := e.Fetch(ctx, []engine.Ref{{Name: "refs/heads/main", Hash: mustHash(t, want)}}, engine.Options{}); err != nil {
		t.Fatal(err)
	}
	if !repo.Has(mustHash(t, want)) {
		t.Fatalf("%s missing after the fetch", want)
	}
}

// checkDoctorView runs doctor with no local repository, then --fix, and checks that only
// the descendant is left under the ref and the others were moved aside.
func checkDoctorView(t *testing.T, ctx context.Context, st store.Store, r *dupRepo, bundles []dupBundle, want string) {
	e := New(engine.Config{Store: st, LockTTL: time.Minute})
	d, err := e.Doctor(ctx, engine.DoctorOptions{Now: dupTime})
	findings := d.Findings
	if err != nil {
		t.Fatal(err)
	}
	var dups []engine.Finding
	for _, f := range findings {
		if strings.Contains(f.What, "bundles;") {
			dups = append(dups, f)
		}
	}
	if len(dups) != len(bundles)-1 {
		t.Fatalf("want %d duplicate findings, got %d: %+v", len(bundles)-1, len(dups), findings)
	}
	for _, f := range dups {
		if !strings.Contains(f.What, "("+want+") is used") || strings.Contains(f.What, "main/"+want+bundleSuffix+" would move") {
			t.Fatalf("doctor would not keep the descendant %s: %s", want, f.What)
		}
		if err := f.Fix(ctx); err != nil {
			t.Fatal(err)
		}
	}
	var left, moved []string
	err = st.List(ctx, "refs/", func(in store.Info) error {
		if strings.HasPrefix(in.Key, "refs/heads/main/") {
			left = append(left, in.Key)
		} else if strings.HasPrefix(in.Key, "refs/heads/main-doctor-") {
			moved = append(moved, bundleHex(in.Key))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(left, []string{"refs/heads/main/" + want + bundleSuffix}) {
		t.Fatalf("after --fix refs/heads/main holds %v, want only %s", left, want)
	}
	var wantMoved []string
	for _, b := range bundles {
		if r.sha[b.of] != want {
			wantMoved = append(wantMoved, r.sha[b.of])
		}
	}
	slices.Sort(moved)
	slices.Sort(wantMoved)
	if !slices.Equal(moved, wantMoved) {
		t.Fatalf("moved aside %v, want %v", moved, wantMoved)
	}
	refs, err := New(engine.Config{Store: st}).List(ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	for _, ref := range refs {
		if ref.Name == "refs/heads/main" && ref.Hash.String() != want {
			t.Fatalf("after --fix refs/heads/main is %s, want %s", ref.Hash, want)
		}
	}
}

// TestDuplicateBundlesUndecidable: when neither the local repository nor the bundles can
// prove ancestry (here the bundles end after their header), the choice falls back to the
// latest Last-Modified, then to the lowest id; never to an arbitrary one.
func TestDuplicateBundlesUndecidable(t *testing.T) {
	r := makeDupRepo(t, []dupCommit{{"a", ""}, {"b", "a"}}, [][2]string{{"a", "b"}})
	data := map[string][]byte{}
	for _, name := range []string{"a", "b"} {
		full := r.bundleOf(t, "git", name, "refs/heads/main")
		data[name] = full[:bytes.Index(full, []byte("\n\nPACK"))+2] // the header alone
	}
	for _, c := range []struct {
		name    string
		bundles []dupBundle
		want    string
	}{
		{"the later upload", []dupBundle{{"a", 0}, {"b", 2}}, "a"},
		{"same second: the lowest id", []dupBundle{{"a", 0}, {"b", 0}}, "a"},
		{"same second, listed the other way: the lowest id", []dupBundle{{"b", 0}, {"a", 0}}, "a"},
	} {
		t.Run(c.name, func(t *testing.T) {
			st := putDupBundles(t, data, r, c.bundles)
			e := New(engine.Config{Store: st})
			refs, err := e.List(t.Context(), false)
			if err != nil {
				t.Fatal(err)
			}
			for _, ref := range refs {
				if ref.Name == "refs/heads/main" && ref.Hash.String() != r.sha[c.want] {
					t.Fatalf("advertised %s, want %s", ref.Hash, r.sha[c.want])
				}
			}
		})
	}
}

// TestProveReachable feeds hand-made packs to the bundle scan: commits in any order,
// commits stored as deltas, and the cases that must prove nothing.
func TestProveReachable(t *testing.T) {
	f := object.SHA1
	commit := func(tree string, msg string, parents ...object.Hash) ([]byte, object.Hash) {
		var b strings.Builder
		fmt.Fprintf(&b, "tree %s\n", tree)
		for _, p := range parents {
			fmt.Fprintf(&b, "parent %s\n", p)
		}
		fmt.Fprintf(&b, "author T <t@example.com> 1767225600 +0000\ncommitter T <t@example.com> 1767225600 +0000\n\n%s\n", msg)
		data := []byte(b.String())
		return data, object.Sum(f, object.Commit, data)
	}
	tree := strings.Repeat("ab", 20)
	c1, h1 := commit(tree, "one")
	c2, h2 := commit(tree, "two", h1)
	c3, h3 := commit(tree, "three", h2)
	x, hx := commit(tree, "unrelated")
	y, hy := commit(tree, "points at unrelated", hx)

	type ent struct {
		t    object.Type
		data []byte
		ofs  int // OFS_DELTA on entry #ofs-1 (1-based), or
		ref  []byte
	}
	whole := func(t object.Type, data []byte) ent { return ent{t: t, data: data} }
	build := func(tip object.Hash, ents ...ent) []byte {
		var b bytes.Buffer
		WriteHeader(&b, &Header{Version: 2, Format: f, Refs: []Ref{{Hash: tip, Name: "refs/heads/main"}}})
		start := b.Len()
		b.WriteString("PACK")
		binary.Write(&b, binary.BigEndian, uint32(2))
		binary.Write(&b, binary.BigEndian, uint32(len(ents)))
		var offs []int64
		for _, e := range ents {
			offs = append(offs, int64(b.Len()-start))
			t, payload := e.t, e.data
			switch {
			case e.ofs > 0:
				t = object.OfsDelta
			case e.ref != nil:
				t = object.RefDelta
			}
			b.Write(pack.AppendEntryHeader(nil, t, int64(len(payload))))
			if e.ofs > 0 {
				b.Write(pack.AppendOfsDistance(nil, offs[len(offs)-1]-offs[e.ofs-1]))
			}
			b.Write(e.ref)
			zw := zlib.NewWriter(&b)
			zw.Write(payload)
			zw.Close()
		}
		return b.Bytes()
	}
	delta := func(base, target []byte) []byte {
		d := packer.Delta(base, target, 0)
		if d == nil {
			t.Fatal("no delta")
		}
		return d
	}
	blob := whole(object.Blob, []byte("hello\n"))
	cut := func(b []byte) []byte { return b[:bytes.Index(b, []byte("PACK"))+12+10] } // inside the first entry
	cases := []struct {
		name    string
		data    []byte
		tip     object.Hash
		want    []object.Hash
		proven  []object.Hash
		unknown []object.Hash
		ended   bool // stopped before proving everything asked
	}{
		{"newest first", build(h3, whole(object.Commit, c3), whole(object.Commit, c2), whole(object.Commit, c1), blob), h3, []object.Hash{h1}, []object.Hash{h3, h2, h1}, nil, false},
		{"parents first", build(h3, whole(object.Commit, c1), whole(object.Commit, c2), whole(object.Commit, c3), blob), h3, []object.Hash{h1}, []object.Hash{h1, h2, h3}, nil, false},
		{"a parent is proven without its own entry", build(h3, whole(object.Commit, c3)), h3, []object.Hash{h2}, []object.Hash{h2}, []object.Hash{h1}, false},
		{"deltas", build(h3, whole(object.Commit, c3), ent{data: delta(c3, c2), ofs: 1}, ent{data: delta(c2, c1), ref: h2.Bytes()}, blob), h3, []object.Hash{h1}, []object.Hash{h1}, nil, false},
		{"unrelated history stays unproven", build(h3, whole(object.Commit, c3), whole(object.Commit, y), whole(object.Commit, x), whole(object.Commit, c2), blob), h3, []object.Hash{hx}, []object.Hash{h2}, []object.Hash{hx, hy}, true},
		{"the header names another tip", build(h2, whole(object.Commit, c3), whole(object.Commit, c2), whole(object.Commit, c1)), h3, []object.Hash{h1}, nil, []object.Hash{h2, h1}, true},
		{"a blob ends the commits", build(h3, whole(object.Commit, c3), blob, whole(object.Commit, c2)), h3, []object.Hash{h1}, []object.Hash{h2}, []object.Hash{h1}, true},
		{"cut short", cut(build(h3, whole(object.Commit, c3), whole(object.Commit, c2), whole(object.Commit, c1))), h3, []object.Hash{h1}, nil, []object.Hash{h2, h1}, true},
		{"a delta on an unknown base", build(h3, whole(object.Commit, c3), ent{data: delta(c3, c2), ref: hx.Bytes()}, whole(object.Commit, c1)), h3, []object.Hash{h1}, []object.Hash{h2}, []object.Hash{h1}, true},
		{"a commit not reachable from the tip proves nothing", build(h3, whole(object.Commit, c3), whole(object.Commit, y)), h3, []object.Hash{hx}, nil, []object.Hash{hx}, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			reach, err := proveReachable(bytes.NewReader(c.data), c.tip, c.want)
			if (err != nil) != c.ended {
				t.Fatalf("err %v, want an early end: %v", err, c.ended)
			}
			for _, h := range c.proven {
				if !reach[h] {
					t.Errorf("%s not proven reachable", h)
				}
			}
			for _, h := range c.unknown {
				if reach[h] {
					t.Errorf("%s claimed reachable", h)
				}
			}
		})
	}
}
