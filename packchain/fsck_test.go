package packchain

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

func isolateGitConfig(t *testing.T) {
	t.Setenv("GIT_CONFIG_GLOBAL", os.DevNull)
	t.Setenv("GIT_CONFIG_NOSYSTEM", "1")
	t.Setenv("GIT_CONFIG_PARAMETERS", "")
	t.Setenv("GIT_CONFIG_COUNT", "")
}

// pushCommits pushes each (branch, commit) of the repository at src to st, one push
// each: one pack each.
func pushCommits(t *testing.T, st store.Store, src string, pushes ...[2]string) {
	t.Helper()
	repo, err := gitpack.Open(filepath.Join(src, ".git"))
	if err != nil {
		t.Fatal(err)
	}
	defer repo.Close()
	e := New(engine.Config{Store: st, Repo: repo})
	for _, p := range pushes {
		h, _ := object.ParseHash(p[1])
		res, err := e.Push(t.Context(), []engine.Update{{Src: h, Dst: "refs/heads/" + p[0], Force: true}}, engine.Options{})
		if err != nil || res[0].Err != nil {
			t.Fatalf("push %s: %v %v", p[0], err, res)
		}
	}
}

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

func packDirState(t *testing.T, gitDir string) string {
	t.Helper()
	dir := filepath.Join(gitDir, "objects", "pack")
	ents, _ := os.ReadDir(dir)
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

func gitFsckClean(t *testing.T, dir string) {
	t.Helper()
	out, err := testenv.GitCmd(t, dir, "fsck", "--strict", "--no-dangling").CombinedOutput()
	for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if l != "" && !strings.HasPrefix(l, "notice: ") {
			err = errors.New("complaints")
		}
	}
	if err != nil {
		t.Errorf("git fsck: %v\n%s", err, out)
	}
}

// TestFetchFsckObjects: each hostile commit, pushed as a pack, is refused on fetch with
// git's message id under transfer.fsckObjects (nothing installed), accepted without it
// (as git does), and accepted with fetch.fsck.<id>=ignore.
func TestFetchFsckObjects(t *testing.T) {
	isolateGitConfig(t)
	src := t.TempDir()
	testenv.RunGit(t, src, "init", "-q", ".")
	for _, kind := range testenv.HostileKinds {
		// A remote of its own for each, so that a fetch downloads that one pack.
		commit := testenv.HostileCommit(t, src, kind, "")
		st := testenv.FSStore(t)
		pushCommits(t, st, src, [2]string{kind, commit})
		h, _ := object.ParseHash(commit)
		for _, c := range []struct {
			settings []string
			refused  bool
		}{
			{nil, false},
			{[]string{"transfer.fsckObjects=true"}, true},
			{[]string{"fetch.fsckObjects=true", "fetch.fsck." + kind + "=ignore"}, false},
			{[]string{"fetch.fsckObjects=true", "fsck." + kind + "=ignore"}, true},
		} {
			what := fmt.Sprintf("%s with %v", kind, c.settings)
			repo, dir := fetchInto(t, c.settings...)
			before := packDirState(t, dir)
			var warn bytes.Buffer
			err := New(engine.Config{Store: st, Repo: repo, Warn: &warn}).Fetch(t.Context(), []engine.Ref{{Name: "refs/heads/" + kind, Hash: h}}, engine.Options{})
			if !c.refused {
				if err != nil || !repo.Has(h) {
					t.Errorf("%s: %v (has it: %v)\n%s", what, err, repo.Has(h), warn.String())
				}
				continue
			}
			var refused *fsck.Refused
			if !errors.As(err, &refused) || !slices.ContainsFunc(refused.IDs(), func(id fsck.MsgID) bool { return id.String() == kind }) {
				t.Errorf("%s: err %v, want the fsck message %s", what, err, kind)
			}
			if !strings.Contains(warn.String(), ": "+kind+": ") {
				t.Errorf("%s: printed %q", what, warn.String())
			}
			if after := packDirState(t, dir); after != before {
				t.Errorf("%s: objects/pack changed:\n%s", what, after)
			}
		}
	}
}

// TestFetchInstallsNothingOnFailure: a fetch that needs two packs, the newer (received
// first) good and the older one refused by fsck or damaged, leaves objects/pack byte
// for byte as it was and the repository clean for git fsck; without the fault both
// packs are installed.
func TestFetchInstallsNothingOnFailure(t *testing.T) {
	isolateGitConfig(t)
	for _, c := range []struct {
		name     string
		kind     string // of the older commit
		damage   bool   // flip a byte of the older pack on the bucket
		settings []string
		ok       bool
	}{
		{"fsck refuses the older pack", "hasDotgit", false, []string{"transfer.fsckObjects=true"}, false},
		{"fsck refuses the older pack's .gitmodules", "gitmodulesUrl", false, []string{"transfer.fsckObjects=true"}, false},
		{"the older pack is damaged", "", true, nil, false},
		{"both good", "", false, []string{"transfer.fsckObjects=true"}, true},
	} {
		src := t.TempDir()
		testenv.RunGit(t, src, "init", "-q", ".")
		older := testenv.HostileCommit(t, src, c.kind, "")
		newer := testenv.HostileCommit(t, src, "", older)
		st := testenv.FSStore(t)
		pushCommits(t, st, src, [2]string{"main", older}, [2]string{"main", newer})
		m, _, err := New(engine.Config{Store: st}).load(t.Context())
		if err != nil || len(m.Packs) != 2 {
			t.Fatalf("%s: %d packs (%v), want 2", c.name, len(m.Packs), err)
		}
		if c.damage {
			key := packKey(m.Packs[1].Name) // the older: newest first
			rc, _, err := st.Get(t.Context(), key, nil)
			if err != nil {
				t.Fatal(err)
			}
			var b bytes.Buffer
			b.ReadFrom(rc)
			rc.Close()
			data := b.Bytes()
			data[len(data)/2] ^= 0xff
			if _, err := st.Put(t.Context(), key, bytes.NewReader(data), int64(len(data)), store.Cond{}); err != nil {
				t.Fatal(err)
			}
		}
		repo, dir := fetchInto(t, c.settings...)
		// A pack installed before, which must stay as it is.
		x := testenv.RunGitInput(t, dir, []byte("x\n"), "hash-object", "-w", "--stdin")
		testenv.RunGitInput(t, dir, []byte(x+"\n"), "pack-objects", "-q", "objects/pack/pack")
		before := packDirState(t, dir)
		h, _ := object.ParseHash(newer)
		// The older pack is read only once the newer has been received whole: without the
		// quarantine the newer would be installed before the older failed.
		ordered := testenv.GoodFirst(st, packKey(m.Packs[0].Name), packKey(m.Packs[1].Name))
		err = New(engine.Config{Store: ordered, Repo: repo, Parallel: 2}).Fetch(t.Context(), []engine.Ref{{Name: "refs/heads/main", Hash: h}}, engine.Options{})
		after := packDirState(t, dir)
		if c.ok {
			if err != nil || !repo.Has(h) || strings.Count(after, ".idx ") != 3 {
				t.Errorf("%s: %v; objects/pack:\n%s", c.name, err, after)
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
		gitFsckClean(t, dir)
	}
}
