package testenv

import (
	"encoding/hex"
	"testing"
)

// HostileKinds are the kinds of object HostileCommit makes, each named by the fsck
// message id git's fetch refuses it with under transfer.fsckObjects.
var HostileKinds = []string{"gitmodulesUrl", "hasDotgit", "hasDotdot", "duplicateEntries", "missingEmail"}

// HostileCommit writes, in the repository at dir, a commit (with parent, if not "")
// whose content draws the fsck message id kind, and returns its id:
//
//	gitmodulesUrl     a .gitmodules whose submodule url is "-u./payload"
//	hasDotgit         a tree entry ".git"
//	hasDotdot         a tree entry ".."
//	duplicateEntries  a tree with two entries "a"
//	missingEmail      an author line without an email
//	""                nothing wrong: an ordinary commit of one file
//
// The objects are written with `git hash-object --literally`, which checks nothing.
func HostileCommit(t testing.TB, dir, kind, parent string) string {
	t.Helper()
	write := func(typ string, data []byte) string {
		return RunGitInput(t, dir, data, "hash-object", "--literally", "-w", "-t", typ, "--stdin")
	}
	entry := func(mode, name, id string) []byte {
		raw, err := hex.DecodeString(id)
		if err != nil {
			t.Fatal(err)
		}
		return append([]byte(mode+" "+name+"\x00"), raw...)
	}
	file := write("blob", []byte("content of "+kind+" on "+parent+"\n"))
	var tree []byte
	switch kind {
	case "", "missingEmail":
		tree = entry("100644", "file", file)
	case "gitmodulesUrl":
		mod := write("blob", []byte("[submodule \"x\"]\n\tpath = x\n\turl = -u./payload\n"))
		tree = append(entry("100644", ".gitmodules", mod), entry("100644", "file", file)...)
	case "hasDotgit":
		tree = append(entry("100644", ".git", file), entry("100644", "file", file)...)
	case "hasDotdot":
		tree = append(entry("100644", "..", file), entry("100644", "file", file)...)
	case "duplicateEntries":
		tree = append(entry("100644", "a", file), entry("100644", "a", file)...)
	default:
		t.Fatalf("HostileCommit: unknown kind %q", kind)
	}
	author := "author A U Thor <author@example.com> 1767225600 +0000"
	if kind == "missingEmail" {
		author = "author A U Thor 1767225600 +0000"
	}
	c := "tree " + write("tree", tree) + "\n"
	if parent != "" {
		c += "parent " + parent + "\n"
	}
	c += author + "\ncommitter C O Mitter <committer@example.com> 1767225600 +0000\n\n" + kind + "\n"
	return write("commit", []byte(c))
}
