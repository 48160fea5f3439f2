package indexer_test

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"git-remote-object-store/gitpack/indexer"
	"git-remote-object-store/gitpack/object"
	"git-remote-object-store/internal/testenv"
)

func selfContained(t *testing.T, data []byte) bool {
	t.Helper()
	res, err := indexer.Index(bytes.NewReader(data), t.TempDir(), indexer.Options{Format: object.SHA1, Links: true})
	if err != nil {
		t.Fatalf("index: %v", err)
	}
	return res.SelfContained
}

// TestLinksRealHistory packs a history made by git (subdirectories, renames, a
// submodule, tags; deep tree deltas from an aggressive repack) and checks that the whole
// pack is found self-contained, and that a pack of it missing any one kind of object, or
// only the newest commits, is not.
func TestLinksRealHistory(t *testing.T) {
	git := testenv.Git(t)
	dir := t.TempDir()
	run := func(stdin string, args ...string) string {
		t.Helper()
		cmd := exec.Command(git, args...)
		cmd.Dir = dir
		cmd.Stdin = strings.NewReader(stdin)
		cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=a", "GIT_AUTHOR_EMAIL=a@example.com",
			"GIT_COMMITTER_NAME=a", "GIT_COMMITTER_EMAIL=a@example.com", "GIT_CONFIG_NOSYSTEM=1", "HOME="+dir)
		var out, errb bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errb
		if err := cmd.Run(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, errb.String())
		}
		return out.String()
	}
	run("", "init", "-q")
	for i := range 40 {
		for d := range 4 {
			sub := filepath.Join(dir, fmt.Sprintf("dir%d", d), fmt.Sprintf("sub%d", i%3))
			os.MkdirAll(sub, 0o755)
			os.WriteFile(filepath.Join(sub, fmt.Sprintf("f%d.txt", i%7)), []byte(strings.Repeat(fmt.Sprintf("line %d %d\n", i, d), 20+i)), 0o644)
		}
		if i == 10 {
			run("", "update-index", "--add", "--cacheinfo", "160000,"+strings.Repeat("ab", 20)+",module")
		}
		if i == 20 {
			run("", "mv", "dir0", "moved")
		}
		run("", "add", "-A")
		run("", "commit", "-qm", fmt.Sprintf("commit %d", i))
		if i%10 == 0 {
			run("", "tag", "-a", fmt.Sprintf("v%d", i), "-m", "tag")
		}
	}
	run("", "repack", "-adfq", "--depth=50", "--window=50")
	all := run("", "rev-list", "--objects", "--all")
	pack := func(objects string) []byte {
		t.Helper()
		cmd := exec.Command(git, "pack-objects", "--stdout", "-q")
		cmd.Dir = dir
		cmd.Stdin = strings.NewReader(objects)
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("pack-objects: %v", err)
		}
		return out
	}
	if !selfContained(t, pack(all)) {
		t.Fatal("the whole history's pack is not self-contained")
	}
	types := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(run(all, "cat-file", "--batch-check=%(objectname) %(objecttype) %(rest)")), "\n") {
		f := strings.Fields(line)
		types[f[0]] = f[1]
	}
	for _, kind := range []string{"blob", "tree", "commit"} {
		// Leave out one object of the kind, from the middle of the history.
		var kept []string
		left := ""
		n := 0
		for _, line := range strings.Split(strings.TrimSpace(all), "\n") {
			id, _, _ := strings.Cut(line, " ")
			if types[id] == kind {
				n++
				if n == 30 {
					left = id
					continue
				}
			}
			kept = append(kept, line)
		}
		if left == "" {
			t.Fatalf("no %s to leave out", kind)
		}
		if selfContained(t, pack(strings.Join(kept, "\n")+"\n")) {
			t.Errorf("a pack without %s %s is self-contained", kind, left)
		}
	}
	if selfContained(t, pack(run("", "rev-list", "--objects", "HEAD~5..HEAD"))) {
		t.Error("a pack of the newest commits alone is self-contained")
	}
}

// TestLinksCrafted checks what a pack git would not write is judged: a tree naming an
// object as another type, a tag saying the wrong type, a tree delta copying an id from
// where its base does not name it as an object of that kind; and that a gitlink needs
// nothing and a delta that copies its base's entries is vouched for by it.
func TestLinksCrafted(t *testing.T) {
	for _, c := range craftedLinkPacks(t) {
		t.Run(c.name, func(t *testing.T) {
			if got := selfContained(t, c.data); got != c.want {
				t.Fatalf("self-contained %v, want %v", got, c.want)
			}
		})
	}
}

type linkPack struct {
	name string
	want bool
	data []byte
}

// craftedLinkPacks are TestLinksCrafted's packs.
func craftedLinkPacks(t testing.TB) []linkPack {
	blob := []byte("content\n")
	blobID := object.Sum(object.SHA1, object.Blob, blob)
	missing := object.Sum(object.SHA1, object.Blob, []byte("not in the pack\n"))
	entry := func(mode, name string, id object.Hash) []byte {
		return append([]byte(mode+" "+name+"\x00"), id.Bytes()...)
	}
	tree1 := entry("100644", "a", blobID)
	tree1ID := object.Sum(object.SHA1, object.Tree, tree1)
	commit := func(tree object.Hash, parents ...object.Hash) []byte {
		s := "tree " + tree.String() + "\n"
		for _, p := range parents {
			s += "parent " + p.String() + "\n"
		}
		return []byte(s + "author a <a@b> 0 +0000\ncommitter a <a@b> 0 +0000\n\nm\n")
	}
	insert := func(d, data []byte) []byte {
		for len(data) > 0 {
			n := min(len(data), 127)
			d = append(append(d, byte(n)), data[:n]...)
			data = data[n:]
		}
		return d
	}
	copyOp := func(d []byte, off, size int) []byte {
		return append(d, 0x80|0x01|0x10, byte(off), byte(size))
	}
	delta := func(base []byte, ops func([]byte) []byte, target []byte) []byte {
		return ops(varint(varint(nil, int64(len(base))), int64(len(target))))
	}
	cases := []struct {
		name string
		want bool
		add  func(pb *packBuilder)
	}{
		{"tree and blob", true, func(pb *packBuilder) {
			pb.whole(object.Blob, blob)
			pb.whole(object.Tree, tree1)
		}},
		{"missing blob", false, func(pb *packBuilder) {
			pb.whole(object.Tree, entry("100644", "a", missing))
		}},
		{"blob named as a tree", false, func(pb *packBuilder) {
			pb.whole(object.Blob, blob)
			pb.whole(object.Tree, entry("40000", "a", blobID))
		}},
		{"gitlink", true, func(pb *packBuilder) {
			pb.whole(object.Tree, entry("160000", "m", missing))
		}},
		{"commit missing its parent", false, func(pb *packBuilder) {
			pb.whole(object.Blob, blob)
			pb.whole(object.Tree, tree1)
			pb.whole(object.Commit, commit(tree1ID, missing))
		}},
		{"commit", true, func(pb *packBuilder) {
			pb.whole(object.Blob, blob)
			pb.whole(object.Tree, tree1)
			pb.whole(object.Commit, commit(tree1ID))
		}},
		{"tag of the wrong type", false, func(pb *packBuilder) {
			pb.whole(object.Blob, blob)
			pb.whole(object.Tag, []byte("object "+blobID.String()+"\ntype commit\ntag t\ntagger a <a@b> 0 +0000\n\nm\n"))
		}},
		{"tag", true, func(pb *packBuilder) {
			pb.whole(object.Blob, blob)
			pb.whole(object.Tag, []byte("object "+blobID.String()+"\ntype blob\ntag t\ntagger a <a@b> 0 +0000\n\nm\n"))
		}},
		{"delta copying the base's entry", true, func(pb *packBuilder) {
			pb.whole(object.Blob, blob)
			base := pb.whole(object.Tree, tree1)
			target := append(entry("100644", "0", blobID), tree1...)
			pb.ofs(base, delta(tree1, func(d []byte) []byte {
				return copyOp(insert(d, entry("100644", "0", blobID)), 0, len(tree1))
			}, target))
		}},
		{"delta adding a missing entry", false, func(pb *packBuilder) {
			pb.whole(object.Blob, blob)
			base := pb.whole(object.Tree, tree1)
			target := append(bytes.Clone(tree1), entry("100644", "b", missing)...)
			pb.ofs(base, delta(tree1, func(d []byte) []byte {
				return insert(copyOp(d, 0, len(tree1)), entry("100644", "b", missing))
			}, target))
		}},
		{"delta renaming a blob's id a tree", false, func(pb *packBuilder) {
			pb.whole(object.Blob, blob)
			base := pb.whole(object.Tree, tree1)
			target := entry("40000", "a", blobID)
			pb.ofs(base, delta(tree1, func(d []byte) []byte {
				return copyOp(insert(d, []byte("40000 a\x00")), len("100644 a\x00"), 20)
			}, target))
		}},
		{"delta copying an id from a name", false, func(pb *packBuilder) {
			// The base's file name is the bytes of an id it does not name as an object.
			pb.whole(object.Blob, blob)
			name := string(missing.Bytes())
			if strings.ContainsRune(name, 0) {
				panic("the id holds a NUL")
			}
			baseTree := entry("100644", name, blobID)
			base := pb.whole(object.Tree, baseTree)
			target := entry("100644", "x", missing)
			pb.ofs(base, delta(baseTree, func(d []byte) []byte {
				return copyOp(insert(d, []byte("100644 x\x00")), len("100644 "), 20)
			}, target))
		}},
	}
	var packs []linkPack
	for _, c := range cases {
		probe := newPackBuilder(0)
		c.add(probe)
		pb := newPackBuilder(len(probe.offs))
		c.add(pb)
		packs = append(packs, linkPack{c.name, c.want, pb.finish()})
	}
	return packs
}
