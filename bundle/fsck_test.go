package bundle

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"git-remote-object-store/engine"
	"git-remote-object-store/gitpack"
	"git-remote-object-store/gitpack/fsck"
	"git-remote-object-store/gitpack/object"
	"git-remote-object-store/internal/testenv"
	"git-remote-object-store/store"
)

// isolateGitConfig keeps this machine's global and system git config out of the
// repositories the engines open (they read it, as git does, for transfer.fsckObjects).
func isolateGitConfig(t *testing.T) {
	t.Setenv("GIT_CONFIG_GLOBAL", os.DevNull)
	t.Setenv("GIT_CONFIG_NOSYSTEM", "1")
	t.Setenv("GIT_CONFIG_PARAMETERS", "")
	t.Setenv("GIT_CONFIG_COUNT", "")
}

// hostileSource is a repository with one branch per kind of hostile commit
// (testenv.HostileKinds), plus "good": an ordinary commit.
func hostileSource(t *testing.T) (string, map[string]string) {
	src := t.TempDir()
	testenv.RunGit(t, src, "init", "-q", ".")
	commits := map[string]string{}
	for _, kind := range append([]string{"good"}, testenv.HostileKinds...) {
		k := kind
		if k == "good" {
			k = ""
		}
		commits[kind] = testenv.HostileCommit(t, src, k, "")
		testenv.RunGit(t, src, "update-ref", "refs/heads/"+kind, commits[kind])
	}
	return src, commits
}

// pushAll pushes the named branches of src to st with engine e's kind.
func pushAll(t *testing.T, newEngine func(engine.Config) engine.Engine, st store.Store, src string, commits map[string]string, names ...string) {
	t.Helper()
	repo, err := gitpack.Open(filepath.Join(src, ".git"))
	if err != nil {
		t.Fatal(err)
	}
	defer repo.Close()
	e := newEngine(engine.Config{Store: st, Repo: repo})
	for _, name := range names {
		h, _ := object.ParseHash(commits[name])
		res, err := e.Push(t.Context(), []engine.Update{{Src: h, Dst: "refs/heads/" + name}}, engine.Options{})
		if err != nil || res[0].Err != nil {
			t.Fatalf("push %s: %v %v", name, err, res)
		}
	}
}

// fetchInto is a new bare repository (made by git) with the given config settings
// (git config key=value pairs), opened.
func fetchInto(t *testing.T, settings ...string) (*gitpack.Repo, string) {
	t.Helper()
	dir := t.TempDir()
	testenv.RunGit(t, dir, "init", "-q", "--bare", ".")
	for _, s := range settings {
		k, v, _ := strings.Cut(s, "=")
		testenv.RunGit(t, dir, "config", k, v)
	}
	repo, err := gitpack.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { repo.Close() })
	return repo, dir
}

// packDirState lists objects/pack: every file's name, mode, size and content hash.
func packDirState(t *testing.T, gitDir string) string {
	t.Helper()
	dir := filepath.Join(gitDir, "objects", "pack")
	ents, err := os.ReadDir(dir)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, e := range ents {
		info, err := e.Info()
		if err != nil {
			t.Fatal(err)
		}
		data, _ := os.ReadFile(filepath.Join(dir, e.Name()))
		fmt.Fprintf(&b, "%s %v %d %x\n", e.Name(), info.Mode(), info.Size(), sha256.Sum256(data))
	}
	return b.String()
}

// gitFetch runs the real git's fetch of branch from src into a new repository with the
// given -c settings, and returns whether it succeeded and what it said.
func gitFetch(t *testing.T, src, branch string, settings ...string) (bool, string) {
	t.Helper()
	dir := t.TempDir()
	testenv.RunGit(t, dir, "init", "-q", "--bare", ".")
	var args []string
	for _, s := range settings {
		args = append(args, "-c", s)
	}
	args = append(args, "fetch", "-q", "file://"+src, "refs/heads/"+branch+":refs/heads/x")
	out, err := testenv.GitCmd(t, dir, args...).CombinedOutput()
	return err == nil, string(out)
}

// TestFetchFsckObjects: with transfer.fsckObjects (or fetch.fsckObjects) set, fetching
// each hostile commit is refused with git's message id, printed as git prints it, and
// nothing is installed; unset, it is accepted, as git accepts it; fetch.fsck.<id>=ignore
// lets it through, and fsck.<id>=ignore does not (git's fetch does not read fsck.<id>).
// The real git fetching the same commits from a file:// remote does the same.
func TestFetchFsckObjects(t *testing.T) {
	isolateGitConfig(t)
	src, commits := hostileSource(t)
	st := testenv.FSStore(t)
	pushAll(t, func(c engine.Config) engine.Engine { return New(c) }, st, src, commits, append([]string{"good"}, testenv.HostileKinds...)...)
	for _, kind := range append([]string{"good"}, testenv.HostileKinds...) {
		t.Run(kind, func(t *testing.T) {
			isolateGitConfig(t)
			for _, c := range []struct {
				settings []string
				refused  bool
			}{
				{nil, false},
				{[]string{"transfer.fsckObjects=true"}, true},
				{[]string{"fetch.fsckObjects=true"}, true},
				{[]string{"transfer.fsckObjects=true", "fetch.fsckObjects=false"}, false},
				{[]string{"transfer.fsckObjects=true", "fetch.fsck." + kind + "=ignore"}, false},
				{[]string{"transfer.fsckObjects=true", "fsck." + kind + "=ignore"}, true},
			} {
				if kind == "good" {
					c.refused = false
				}
				what := fmt.Sprintf("%s with %v", kind, c.settings)
				repo, dir := fetchInto(t, c.settings...)
				before := packDirState(t, dir)
				var warn bytes.Buffer
				h, _ := object.ParseHash(commits[kind])
				err := New(engine.Config{Store: st, Repo: repo, Warn: &warn}).Fetch(t.Context(), []engine.Ref{{Name: "refs/heads/" + kind, Hash: h}}, engine.Options{})
				if !c.refused {
					if err != nil {
						t.Errorf("%s: %v\n%s", what, err, warn.String())
					} else if !repo.Has(h) {
						t.Errorf("%s: fetched, but the commit is not there", what)
					}
				} else {
					var refused *fsck.Refused
					if !errors.As(err, &refused) || !slices.ContainsFunc(refused.IDs(), func(id fsck.MsgID) bool { return id.String() == kind }) {
						t.Errorf("%s: err %v (%T), want the fsck message %s", what, err, err, kind)
					} else if !strings.Contains(warn.String(), ": "+kind+": ") || !strings.HasPrefix(warn.String(), "error: object ") {
						t.Errorf("%s: printed %q, want git's \"error: object <id>: %s: …\"", what, warn.String(), kind)
					}
					if after := packDirState(t, dir); after != before {
						t.Errorf("%s: objects/pack changed by a refused fetch:\n%s\nnow\n%s", what, before, after)
					}
					t.Logf("%s: %s / %v", what, strings.TrimSpace(warn.String()), err)
				}
				// The real git, on the same commit, decides the same.
				if kind != "good" && c.settings != nil {
					ok, out := gitFetch(t, src, kind, c.settings...)
					if ok == c.refused || (c.refused && !strings.Contains(out, ": "+kind+": ")) {
						t.Errorf("%s: git fetch succeeded=%v:\n%s", what, ok, out)
					}
				}
			}
		})
	}
}

// TestFetchInstallsNothingOnFailure: a fetch of two bundles, one of which fails (fsck
// refuses it, or its pack is damaged), leaves objects/pack byte for byte as it was, even
// when the good bundle arrived first, and `git fsck` finds the repository clean; the
// same fetch without the bad bundle installs everything.
func TestFetchInstallsNothingOnFailure(t *testing.T) {
	isolateGitConfig(t)
	src, commits := hostileSource(t)
	testenv.RunGit(t, src, "update-ref", "refs/heads/good2", testenv.HostileCommit(t, src, "", commits["good"]))
	commits["good2"] = testenv.RunGit(t, src, "rev-parse", "refs/heads/good2")
	st := testenv.FSStore(t)
	pushAll(t, func(c engine.Config) engine.Engine { return New(c) }, st, src, commits, "good", "hasDotgit", "good2")
	ref := func(name string) engine.Ref {
		h, _ := object.ParseHash(commits[name])
		return engine.Ref{Name: "refs/heads/" + name, Hash: h}
	}
	// A damaged copy of good2's bundle under another ref: a byte of its pack flipped.
	var damagedKey string
	st.List(t.Context(), "refs/heads/good2/", func(info store.Info) error { damagedKey = info.Key; return nil })
	rc, _, err := st.Get(t.Context(), damagedKey, nil)
	if err != nil {
		t.Fatal(err)
	}
	var data bytes.Buffer
	data.ReadFrom(rc)
	rc.Close()
	b := data.Bytes()
	b[len(b)-30] ^= 0xff
	if _, err := st.Put(t.Context(), "refs/heads/damaged/"+commits["good2"]+".bundle", bytes.NewReader(b), int64(len(b)), store.Cond{}); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name     string
		settings []string
		wants    []engine.Ref
		ok       bool
	}{
		{"fsck refuses the second bundle", []string{"transfer.fsckObjects=true"}, []engine.Ref{ref("good"), ref("hasDotgit")}, false},
		{"the second bundle is damaged", nil, []engine.Ref{ref("good"), {Name: "refs/heads/damaged", Hash: ref("good2").Hash}}, false},
		{"both good", []string{"transfer.fsckObjects=true"}, []engine.Ref{ref("good"), ref("good2")}, true},
	} {
		repo, dir := fetchInto(t, c.settings...)
		// A pack installed before, which must stay as it is.
		x := testenv.RunGitInput(t, dir, []byte("x\n"), "hash-object", "-w", "--stdin")
		testenv.RunGitInput(t, dir, []byte(x+"\n"), "pack-objects", "-q", "objects/pack/pack")
		before := packDirState(t, dir)
		var warn bytes.Buffer
		// The second bundle is read only once the first has been received whole: without
		// the quarantine the first would be installed before the second failed.
		ordered := testenv.GoodFirst(st, c.wants[0].Name+"/", c.wants[1].Name+"/")
		err := New(engine.Config{Store: ordered, Repo: repo, Warn: &warn, Parallel: 2}).Fetch(t.Context(), c.wants, engine.Options{})
		after := packDirState(t, dir)
		if c.ok {
			if err != nil {
				t.Errorf("%s: %v", c.name, err)
			}
			for _, w := range c.wants {
				if !repo.Has(w.Hash) {
					t.Errorf("%s: %s missing after the fetch", c.name, w.Hash)
				}
			}
		} else {
			if err == nil {
				t.Errorf("%s: the fetch succeeded", c.name)
			}
			if after != before {
				t.Errorf("%s: objects/pack changed by a failed fetch (%v):\nbefore\n%s\nafter\n%s", c.name, err, before, after)
			}
			t.Logf("%s: %v", c.name, err)
		}
		if out, err := testenv.GitCmd(t, dir, "fsck", "--strict", "--no-dangling").CombinedOutput(); err != nil || hasComplaint(string(out)) {
			t.Errorf("%s: git fsck: %v\n%s", c.name, err, out)
		}
	}
}

// hasComplaint reports whether git fsck said anything but its notices (an empty HEAD).
func hasComplaint(out string) bool {
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		if l != "" && !strings.HasPrefix(l, "notice: ") {
			return true
		}
	}
	return false
}
