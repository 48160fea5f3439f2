package fsck_test

import (
	"bytes"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"git-remote-object-store/gitpack/fsck"
	"git-remote-object-store/gitpack/object"
	"git-remote-object-store/internal/testenv"
)

var (
	blobID    = object.Sum(object.SHA1, object.Blob, []byte("hi\n"))
	emptyTree = object.Sum(object.SHA1, object.Tree, nil)
	// parentID names no object: git parses a commit naming a missing parent.
	parentID = object.Sum(object.SHA1, object.Commit, []byte("not here"))
)

// entry is one raw tree entry: "<mode> <name>\0<id>".
func entry(mode, name string, id object.Hash) []byte {
	return append([]byte(mode+" "+name+"\x00"), id.Bytes()...)
}

func tree(entries ...[]byte) []byte { return bytes.Join(entries, nil) }

const ident = "A U Thor <a@example.com> 1700000000 +0000"

func commit(header string) []byte {
	return []byte("tree " + emptyTree.String() + "\n" + header + "\n\nmessage\n")
}

func tag(header string) []byte {
	return []byte("object " + blobID.String() + "\ntype blob\n" + header + "\n\nmessage\n")
}

// fsckCase is one crafted object and the message ids it draws under --strict.
type fsckCase struct {
	name string
	typ  object.Type
	data []byte
	want []string
	// git says how the installed git sees it: "" the same ids, "unparsed" it cannot
	// parse the object at all (it refuses it without a message id: "invalid commit"),
	// "newer" the id is newer than git 2.39.
	git string
}

func cases() []fsckCase {
	z := object.SHA1.Zero()
	return []fsckCase{
		{name: "good tree", typ: object.Tree, data: tree(entry("100644", "a", blobID), entry("40000", "b", emptyTree), entry("100755", "c", blobID))},
		{name: "good commit", typ: object.Commit, data: commit("author " + ident + "\ncommitter " + ident)},
		{name: "good tag", typ: object.Tag, data: tag("tag v1\ntagger " + ident)},
		{name: ".git", typ: object.Tree, data: tree(entry("100644", ".git", blobID)), want: []string{"hasDotgit"}},
		{name: ".GIT dir", typ: object.Tree, data: tree(entry("40000", ".GIT", emptyTree)), want: []string{"hasDotgit"}},
		{name: "HFS .g\u200cit", typ: object.Tree, data: tree(entry("40000", ".g\u200cit", emptyTree)), want: []string{"hasDotgit"}},
		{name: "NTFS git~1", typ: object.Tree, data: tree(entry("40000", "git~1", emptyTree)), want: []string{"hasDotgit"}},
		{name: "NTFS .git. .", typ: object.Tree, data: tree(entry("40000", ".git. .", emptyTree)), want: []string{"hasDotgit"}},
		{name: "NTFS .git::$INDEX_ALLOCATION", typ: object.Tree, data: tree(entry("40000", ".git::$INDEX_ALLOCATION", emptyTree)), want: []string{"hasDotgit"}},
		{name: `backslash a\.git`, typ: object.Tree, data: tree(entry("100644", `a\.git`, blobID)), want: []string{"hasDotgit"}},
		{name: ".gitx is fine", typ: object.Tree, data: tree(entry("100644", ".gitx", blobID))},
		{name: ".", typ: object.Tree, data: tree(entry("40000", ".", emptyTree)), want: []string{"hasDot"}},
		{name: "..", typ: object.Tree, data: tree(entry("40000", "..", emptyTree)), want: []string{"hasDotdot"}},
		{name: "a/b", typ: object.Tree, data: tree(entry("100644", "a/b", blobID)), want: []string{"fullPathname"}},
		{name: "../x", typ: object.Tree, data: tree(entry("100644", "../x", blobID)), want: []string{"fullPathname"}},
		{name: "null sha1", typ: object.Tree, data: tree(entry("100644", "a", z)), want: []string{"nullSha1"}},
		{name: "zero-padded mode", typ: object.Tree, data: tree(entry("0100644", "a", blobID)), want: []string{"zeroPaddedFilemode"}},
		{name: "bad mode 100600", typ: object.Tree, data: tree(entry("100600", "a", blobID)), want: []string{"badFilemode"}},
		{name: "100664 under --strict", typ: object.Tree, data: tree(entry("100664", "a", blobID)), want: []string{"badFilemode"}},
		{name: "duplicate", typ: object.Tree, data: tree(entry("100644", "a", blobID), entry("100644", "a", blobID)), want: []string{"duplicateEntries"}},
		{name: "duplicate file and dir", typ: object.Tree, data: tree(entry("100644", "a", blobID), entry("40000", "a", emptyTree)), want: []string{"duplicateEntries"}},
		{name: "duplicate apart", typ: object.Tree, data: tree(entry("100644", "foo", blobID), entry("100644", "foo.bar", blobID), entry("40000", "foo", emptyTree)), want: []string{"duplicateEntries"}},
		{name: "not sorted", typ: object.Tree, data: tree(entry("100644", "b", blobID), entry("100644", "a", blobID)), want: []string{"treeNotSorted"}},
		{name: "dir sorts as name/", typ: object.Tree, data: tree(entry("40000", "a", emptyTree), entry("100644", "a.c", blobID)), want: []string{"treeNotSorted"}},
		{name: "garbage tree", typ: object.Tree, data: []byte("not a tree"), want: []string{"badTree"}},
		{name: "truncated tree", typ: object.Tree, data: tree(entry("100644", "a", blobID), []byte("100644 b\x00\x01\x02")), want: []string{"badTree"}},
		{name: "bad mode digit", typ: object.Tree, data: tree(entry("100648", "a", blobID)), want: []string{"badTree"}},
		{name: ".gitmodules symlink", typ: object.Tree, data: tree(entry("120000", ".gitmodules", blobID)), want: []string{"gitmodulesSymlink"}},
		{name: ".gitmodules NTFS short name symlink", typ: object.Tree, data: tree(entry("120000", "GITMOD~1", blobID)), want: []string{"gitmodulesSymlink"}},
		{name: ".gitattributes symlink", typ: object.Tree, data: tree(entry("120000", ".gitattributes", blobID)), want: []string{"gitattributesSymlink"}},
		{name: ".gitignore symlink", typ: object.Tree, data: tree(entry("120000", ".gitignore", blobID)), want: []string{"gitignoreSymlink"}},
		{name: ".mailmap symlink", typ: object.Tree, data: tree(entry("120000", ".mailmap", blobID)), want: []string{"mailmapSymlink"}},
		{name: "long name", typ: object.Tree, data: tree(entry("100644", strings.Repeat("x", 4097), blobID)), want: []string{"largePathname"}, git: "newer"},
		{name: "several at once", typ: object.Tree, data: tree(entry("40000", ".", emptyTree), entry("40000", "..", emptyTree), entry("100644", ".git", z)), want: []string{"nullSha1", "hasDot", "hasDotdot", "hasDotgit", "treeNotSorted"}},

		{name: "no email", typ: object.Commit, data: commit("author A U Thor 1700000000 +0000\ncommitter " + ident), want: []string{"missingEmail"}},
		{name: "bad email", typ: object.Commit, data: commit("author A <a<b> 1700000000 +0000\ncommitter " + ident), want: []string{"badEmail"}},
		{name: "no name", typ: object.Commit, data: commit("author <a@example.com> 1700000000 +0000\ncommitter " + ident), want: []string{"missingNameBeforeEmail"}},
		{name: "bad name", typ: object.Commit, data: commit("author A>B <a@example.com> 1700000000 +0000\ncommitter " + ident), want: []string{"badName"}},
		{name: "no space before email", typ: object.Commit, data: commit("author A<a@example.com> 1700000000 +0000\ncommitter " + ident), want: []string{"missingSpaceBeforeEmail"}},
		{name: "no space before date", typ: object.Commit, data: commit("author A <a@example.com>1700000000 +0000\ncommitter " + ident), want: []string{"missingSpaceBeforeDate"}},
		{name: "bad date", typ: object.Commit, data: commit("author A <a@example.com> soon +0000\ncommitter " + ident), want: []string{"badDate"}},
		{name: "zero-padded date", typ: object.Commit, data: commit("author A <a@example.com> 01700000000 +0000\ncommitter " + ident), want: []string{"zeroPaddedDate"}},
		{name: "date overflow", typ: object.Commit, data: commit("author A <a@example.com> 99999999999999999999 +0000\ncommitter " + ident), want: []string{"badDateOverflow"}},
		{name: "date past int64", typ: object.Commit, data: commit("author A <a@example.com> 9223372036854775808 +0000\ncommitter " + ident), want: []string{"badDateOverflow"}},
		{name: "bad timezone", typ: object.Commit, data: commit("author A <a@example.com> 1700000000 +00\ncommitter " + ident), want: []string{"badTimezone"}},
		{name: "bad committer", typ: object.Commit, data: commit("author " + ident + "\ncommitter A <a@example.com> 1700000000 0000"), want: []string{"badTimezone"}},
		{name: "no author", typ: object.Commit, data: commit("committer " + ident), want: []string{"missingAuthor"}},
		{name: "two authors", typ: object.Commit, data: commit("author " + ident + "\nauthor " + ident + "\ncommitter " + ident), want: []string{"multipleAuthors"}},
		{name: "no committer", typ: object.Commit, data: commit("author " + ident), want: []string{"missingCommitter"}},
		{name: "parent", typ: object.Commit, data: commit("parent " + parentID.String() + "\nauthor " + ident + "\ncommitter " + ident)},
		{name: "bad parent", typ: object.Commit, data: commit("parent 1234\nauthor " + ident + "\ncommitter " + ident), want: []string{"badParentSha1"}, git: "unparsed"},
		{name: "no tree", typ: object.Commit, data: []byte("author " + ident + "\ncommitter " + ident + "\n\nm\n"), want: []string{"missingTree"}, git: "unparsed"},
		{name: "bad tree line", typ: object.Commit, data: []byte("tree 12345\nauthor " + ident + "\ncommitter " + ident + "\n\nm\n"), want: []string{"badTreeSha1"}, git: "unparsed"},
		{name: "NUL in body", typ: object.Commit, data: append(commit("author "+ident+"\ncommitter "+ident), "x\x00y\n"...), want: []string{"nulInCommit"}},
		{name: "NUL in header", typ: object.Commit, data: commit("author " + ident + "\ncommitter " + ident + "\nx \x00"), want: []string{"nulInHeader"}},
		{name: "unterminated header", typ: object.Commit, data: []byte("tree " + emptyTree.String() + "\nauthor " + ident), want: []string{"unterminatedHeader"}},

		{name: "tag no object", typ: object.Tag, data: []byte("type blob\ntag v\ntagger " + ident + "\n\nm\n"), want: []string{"missingObject"}, git: "unparsed"},
		{name: "tag bad object", typ: object.Tag, data: []byte("object 123\ntype blob\ntag v\ntagger " + ident + "\n\nm\n"), want: []string{"badObjectSha1"}, git: "unparsed"},
		{name: "tag no type", typ: object.Tag, data: []byte("object " + blobID.String() + "\ntag v\ntagger " + ident + "\n\nm\n"), want: []string{"missingTypeEntry"}, git: "unparsed"},
		{name: "tag bad type", typ: object.Tag, data: []byte("object " + blobID.String() + "\ntype blub\ntag v\ntagger " + ident + "\n\nm\n"), want: []string{"badType"}, git: "unparsed"},
		{name: "tag no tag line", typ: object.Tag, data: []byte("object " + blobID.String() + "\ntype blob\ntagger " + ident + "\n\nm\n"), want: []string{"missingTagEntry"}, git: "unparsed"},
		{name: "tag bad name", typ: object.Tag, data: tag("tag a..b\ntagger " + ident), want: []string{"badTagName"}},
		{name: "tag no tagger", typ: object.Tag, data: tag("tag v1"), want: []string{"missingTaggerEntry"}},
		{name: "tag bad tagger", typ: object.Tag, data: tag("tag v1\ntagger nobody"), want: []string{"missingEmail"}},
		{name: "tag extra header (ignored by default)", typ: object.Tag, data: tag("tag v1\ntagger " + ident + "\nextra x")},
	}
}

func ids(msgs []fsck.Message) []string {
	var out []string
	for _, m := range msgs {
		out = append(out, m.ID.String())
	}
	sort.Strings(out)
	return slices.Compact(out)
}

// TestObjectChecksMatchGit: each crafted object draws the message ids of git's fsck.c
// under --strict (the way fetch runs index-pack), and the same ids as the installed
// git's own `git fsck --strict` on the same objects, written with `git hash-object
// --literally`. The ids git cannot report (it refuses to parse the object at all, or the
// id is newer than the installed git) are checked against our table only.
func TestObjectChecksMatchGit(t *testing.T) {
	dir := t.TempDir()
	testenv.RunGit(t, dir, "init", "-q", "--bare", ".")
	testenv.RunGitInput(t, dir, []byte("hi\n"), "hash-object", "-w", "--stdin")
	cs := cases()
	for i, c := range cs {
		want := object.Sum(object.SHA1, c.typ, c.data)
		got := testenv.RunGitInput(t, dir, c.data, "hash-object", "--literally", "-w", "-t", c.typ.String(), "--stdin")
		if got != want.String() {
			t.Fatalf("%s: git names it %s, we %s", c.name, got, want)
		}
		cs[i].name += " " + got[:8]
	}
	// git fsck reports every object's messages in one run (index-pack stops at the first
	// object refused); the dangling and broken links of these loose objects are not ours.
	cmd := testenv.GitCmd(t, dir, "fsck", "--strict", "--no-dangling", "--no-progress")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	cmd.Run()
	line := regexp.MustCompile(`(?m)^(?:error|warning) in \w+ ([0-9a-f]{40}): (\w+): `)
	unparsed := regexp.MustCompile(`(?m)^error: ([0-9a-f]{40}): object could not be parsed`)
	gitIDs := map[string][]string{}
	for _, m := range line.FindAllStringSubmatch(stderr.String(), -1) {
		gitIDs[m[1]] = append(gitIDs[m[1]], m[2])
	}
	for _, m := range unparsed.FindAllStringSubmatch(stderr.String(), -1) {
		gitIDs[m[1]] = append(gitIDs[m[1]], "unparsed")
	}
	for _, c := range cs {
		id := object.Sum(object.SHA1, c.typ, c.data)
		msgs := fsck.Check(object.SHA1, &fsck.Options{Strict: true}, id, c.typ, c.data)
		got := ids(msgs)
		want := slices.Clone(c.want)
		sort.Strings(want)
		if !slices.Equal(got, want) {
			t.Errorf("%s: ids %v, want %v (%v)", c.name, got, want, msgs)
		}
		g := gitIDs[id.String()]
		sort.Strings(g)
		g = slices.Compact(g)
		switch c.git {
		case "":
			if !slices.Equal(g, want) {
				t.Errorf("%s: git fsck --strict says %v, we %v", c.name, g, got)
			}
		case "unparsed":
			if !slices.Equal(g, []string{"unparsed"}) {
				t.Errorf("%s: git fsck --strict says %v; expected it not to parse the object", c.name, g)
			}
		}
		for _, m := range msgs {
			if !strings.HasPrefix(m.String(), "object "+id.String()+": "+m.ID.String()+": ") {
				t.Errorf("%s: message %q does not read like git's", c.name, m)
			}
		}
	}
	if t.Failed() {
		t.Logf("git fsck:\n%s", stderr.String())
	}
}

// TestSeverities: git's defaults, Strict's promotion of warnings (and only those not
// configured), configuration by fsck.<id>, the fatal ids that cannot be demoted, and
// the skip list.
func TestSeverities(t *testing.T) {
	dotgit := tree(entry("100644", ".git", blobID))
	id := object.Sum(object.SHA1, object.Tree, dotgit)
	check := func(opt *fsck.Options) (fsck.Severity, error) {
		var err error
		var msgs []fsck.Message
		err = fsck.NewChecker(object.SHA1, opt, func(m fsck.Message) { msgs = append(msgs, m) }).Object(id, object.Tree, dotgit)
		if len(msgs) == 0 {
			return fsck.Ignore, err
		}
		return msgs[0].Severity, err
	}
	var refused *fsck.Refused
	if s, err := check(&fsck.Options{}); s != fsck.Warn || err != nil {
		t.Errorf("default: %v, %v; want a warning that lets the tree through", s, err)
	}
	if s, err := check(&fsck.Options{Strict: true}); s != fsck.Error || !errors.As(err, &refused) || refused.IDs()[0] != fsck.HasDotgit {
		t.Errorf("strict: %v, %v; want hasDotgit refusing the tree", s, err)
	}
	for value, want := range map[string]fsck.Severity{"ignore": fsck.Ignore, "warn": fsck.Warn, "error": fsck.Error} {
		opt := &fsck.Options{Strict: true}
		if err := opt.Set("hasDotgit", value); err != nil {
			t.Fatal(err)
		}
		s, err := check(opt)
		if s != want || (err != nil) != (want == fsck.Error) {
			t.Errorf("hasDotgit=%s: %v, %v", value, s, err)
		}
	}
	opt := &fsck.Options{Strict: true}
	opt.Skip(id)
	if s, err := check(opt); s != fsck.Ignore || err != nil {
		t.Errorf("skip list: %v, %v", s, err)
	}
	// Info stays a warning under Strict; ignore-by-default stays ignored.
	if s := (&fsck.Options{Strict: true}).Severity(fsck.BadFilemode); s != fsck.Info {
		t.Errorf("badFilemode under strict: %v", s)
	}
	if s := (&fsck.Options{Strict: true}).Severity(fsck.ExtraHeaderEntry); s != fsck.Ignore {
		t.Errorf("extraHeaderEntry under strict: %v", s)
	}
	// Configuration errors are git's: an unknown id, an unknown severity, a fatal demoted.
	for _, c := range []struct{ id, value string }{{"noSuchThing", "ignore"}, {"badDate", "maybe"}, {"nulInHeader", "warn"}, {"largePathname", "warn:x"}} {
		if err := (&fsck.Options{}).Set(c.id, c.value); err == nil {
			t.Errorf("Set(%s, %s) accepted", c.id, c.value)
		}
	}
	if err := (&fsck.Options{}).Set("NULINHEADER", "error"); err != nil {
		t.Errorf("Set(NULINHEADER, error): %v", err)
	}
	// largePathname=warn:<n> moves the limit.
	o := &fsck.Options{Strict: true}
	if err := o.Set("largepathname", "error:3"); err != nil {
		t.Fatal(err)
	}
	long := tree(entry("100644", "abcd", blobID))
	if got := ids(fsck.Check(object.SHA1, o, object.Sum(object.SHA1, object.Tree, long), object.Tree, long)); !slices.Equal(got, []string{"largePathname"}) {
		t.Errorf("largePathname=error:3 on a 4-byte name: %v", got)
	}
	// Every id has a camelCase name that parses back to it.
	for _, id := range fsck.AllMsgIDs() {
		if back, ok := fsck.ParseMsgID(strings.ToLower(id.String())); !ok || back != id {
			t.Errorf("ParseMsgID(%s) = %v, %v", id, back, ok)
		}
	}
	// A message reads like git's.
	m := fsck.Message{Object: id, ID: fsck.HasDotgit, Severity: fsck.Error, Text: "contains '.git'"}
	if want := fmt.Sprintf("error: object %s: hasDotgit: contains '.git'", id); m.Line() != want {
		t.Errorf("Line() = %q, want %q", m.Line(), want)
	}
}

// gitmodulesCase is a .gitmodules content and the ids it draws.
type gitmodulesCase struct {
	name, data string
	want       []string
	git        string // "newer": git 2.39 does not check it (it checked http urls through its credential parser, not url_normalize)
}

func gitmodulesCases() []gitmodulesCase {
	return []gitmodulesCase{
		{"fine", "[submodule \"lib\"]\n\tpath = lib\n\turl = https://example.com/lib.git\n", nil, ""},
		{"relative fine", "[submodule \"lib\"]\n\turl = ../lib.git\n", nil, ""},
		{"url option", "[submodule \"x\"]\n\tpath = x\n\turl = -u./payload\n", []string{"gitmodulesUrl"}, ""},
		{"url option quoted after empty quotes", "[submodule \"x\"]\n\turl = \"\" -u./payload\n", []string{"gitmodulesUrl"}, ""},
		{"url option after CR", "[submodule \"x\"]\n\turl =\r-u./payload\n", []string{"gitmodulesUrl"}, ""},
		{"url continued", "[submodule \"x\"]\n\turl = \\\r\n-u./payload\n", []string{"gitmodulesUrl"}, ""},
		{"url after a key outside any section", "path = x\n[submodule \"x\"]\n\turl = -u./payload\n", []string{"gitmodulesUrl"}, ""},
		{"url newline", "[submodule \"x\"]\n\turl = ./%0ahost=evil\n", []string{"gitmodulesUrl"}, ""},
		{"url escaping its root", "[submodule \"x\"]\n\turl = ../../:localhost:evil\n", []string{"gitmodulesUrl"}, ""},
		{"http url newline", "[submodule \"x\"]\n\turl = https://example.com/%0a/x\n", []string{"gitmodulesUrl"}, ""},
		{"http url no host", "[submodule \"x\"]\n\turl = http::https:///example.com/x\n", []string{"gitmodulesUrl"}, ""},
		{"http url bad port", "[submodule \"x\"]\n\turl = https://example.com:99999/x\n", []string{"gitmodulesUrl"}, "newer"},
		{"name ..", "[submodule \"../../hooks\"]\n\tpath = x\n", []string{"gitmodulesName"}, ""},
		{"name backslash ..", "[submodule \"a\\\\..\"]\n\tpath = x\n", []string{"gitmodulesName"}, ""},
		{"path option", "[submodule \"x\"]\n\tpath = --upload-pack=evil\n", []string{"gitmodulesPath"}, ""},
		{"update command", "[submodule \"x\"]\n\tupdate = !rm -rf /\n", []string{"gitmodulesUpdate"}, ""},
		{"update fine", "[submodule \"x\"]\n\tupdate = rebase\n", nil, ""},
		{"bad syntax", "[submodule \"x\"\n\turl = x\n", []string{"gitmodulesParse"}, ""},
		{"bad escape after a bad url", "[submodule \"x\"]\n\turl = -x\n\tpath = \\q\n", []string{"gitmodulesParse", "gitmodulesUrl"}, ""},
		{"legacy section", "[submodule.x]\n\turl = -x\n", []string{"gitmodulesUrl"}, ""},
		{"url without value", "[submodule \"x\"]\n\turl\n", nil, ""},
	}
}

// TestGitmodulesMatchesGit: each .gitmodules content draws git's message ids, checked
// against the installed `git fsck --strict` on a tree that names the blob .gitmodules.
func TestGitmodulesMatchesGit(t *testing.T) {
	dir := t.TempDir()
	testenv.RunGit(t, dir, "init", "-q", "--bare", ".")
	cs := gitmodulesCases()
	for _, c := range cs {
		b := testenv.RunGitInput(t, dir, []byte(c.data), "hash-object", "-w", "--stdin")
		testenv.RunGitInput(t, dir, []byte("100644 blob "+b+"\t.gitmodules\n"), "mktree")
	}
	cmd := testenv.GitCmd(t, dir, "fsck", "--strict", "--no-dangling", "--no-progress")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	cmd.Run()
	line := regexp.MustCompile(`(?m)^(?:error|warning) in blob ([0-9a-f]{40}): (\w+): `)
	gitIDs := map[string][]string{}
	for _, m := range line.FindAllStringSubmatch(stderr.String(), -1) {
		gitIDs[m[1]] = append(gitIDs[m[1]], m[2])
	}
	for _, c := range cs {
		id := object.Sum(object.SHA1, object.Blob, []byte(c.data))
		got := ids(fsck.CheckGitmodules(object.SHA1, &fsck.Options{Strict: true}, id, []byte(c.data)))
		want := slices.Clone(c.want)
		sort.Strings(want)
		if !slices.Equal(got, want) {
			t.Errorf("%s: ids %v, want %v", c.name, got, want)
		}
		g := gitIDs[id.String()]
		sort.Strings(g)
		if c.git == "" && !slices.Equal(slices.Compact(g), want) {
			t.Errorf("%s: git fsck --strict says %v, we %v", c.name, g, got)
		}
	}
	if t.Failed() {
		t.Logf("git fsck:\n%s", stderr.String())
	}
}

// memSource is a Source over a map.
type memSource map[object.Hash]struct {
	t    object.Type
	data []byte
}

func (m memSource) Stat(h object.Hash) (object.Type, int64, error) {
	o, ok := m[h]
	if !ok {
		return 0, 0, errors.New("not found")
	}
	return o.t, int64(len(o.data)), nil
}

func (m memSource) Type(h object.Hash) (object.Type, error) {
	t, _, err := m.Stat(h)
	return t, err
}

func (m memSource) Read(h object.Hash) (object.Type, []byte, error) {
	o, ok := m[h]
	if !ok {
		return 0, nil, errors.New("not found")
	}
	return o.t, o.data, nil
}

func (m memSource) add(t object.Type, data []byte) object.Hash {
	h := object.Sum(object.SHA1, t, data)
	m[h] = struct {
		t    object.Type
		data []byte
	}{t, data}
	return h
}

// TestFinish: the .gitmodules and .gitattributes blobs trees name are checked once all
// objects are at hand, wherever they are (missing, not a blob, too long a line), and
// under Links every named object must exist with the type it is named as.
func TestFinish(t *testing.T) {
	run := func(links bool, src memSource, objs ...object.Hash) ([]string, error) {
		var msgs []fsck.Message
		c := fsck.NewChecker(object.SHA1, &fsck.Options{Strict: true, Links: links}, func(m fsck.Message) { msgs = append(msgs, m) })
		for _, h := range objs {
			o := src[h]
			if err := c.Object(h, o.t, o.data); err != nil {
				return ids(msgs), err
			}
		}
		err := c.Finish(src)
		return ids(msgs), err
	}
	src := memSource{}
	bad := src.add(object.Blob, []byte("[submodule \"x\"]\n\turl = -u./payload\n"))
	withBad := src.add(object.Tree, tree(entry("100644", ".gitmodules", bad)))
	if got, err := run(false, src, withBad); !slices.Equal(got, []string{"gitmodulesUrl"}) || err == nil || err.Error() != "fsck error in pack objects" {
		t.Errorf("bad .gitmodules: %v, %v", got, err)
	}
	missing := object.Sum(object.SHA1, object.Blob, []byte("elsewhere"))
	withMissing := src.add(object.Tree, tree(entry("100644", ".gitmodules", missing)))
	if got, err := run(false, src, withMissing); !slices.Equal(got, []string{"gitmodulesMissing"}) || err == nil {
		t.Errorf("missing .gitmodules: %v, %v", got, err)
	}
	sub := src.add(object.Tree, tree(entry("100644", "a", blobID)))
	withTree := src.add(object.Tree, tree(entry("100644", ".gitmodules", sub)))
	if got, err := run(false, src, withTree); !slices.Equal(got, []string{"gitmodulesBlob"}) || err == nil {
		t.Errorf(".gitmodules a tree: %v, %v", got, err)
	}
	longAttr := src.add(object.Blob, []byte("*.c "+strings.Repeat("x", 3000)+"\n"))
	withAttr := src.add(object.Tree, tree(entry("100644", ".gitattributes", longAttr)))
	if got, err := run(false, src, withAttr); !slices.Equal(got, []string{"gitattributesLineLength"}) || err == nil {
		t.Errorf("long .gitattributes line: %v, %v", got, err)
	}
	good := src.add(object.Blob, []byte("[submodule \"x\"]\n\turl = ../x.git\n"))
	withGood := src.add(object.Tree, tree(entry("100644", ".gitmodules", good)))
	if got, err := run(false, src, withGood); len(got) != 0 || err != nil {
		t.Errorf("good .gitmodules: %v, %v", got, err)
	}
	// Links: a commit naming a tree that is not there; a tree naming a blob that is a tree.
	c := src.add(object.Commit, commit("author "+ident+"\ncommitter "+ident))
	var le *fsck.LinkError
	if _, err := run(true, src, c); !errors.As(err, &le) || !strings.HasPrefix(err.Error(), "did not receive expected object") {
		t.Errorf("commit without its tree: %v", err)
	}
	src.add(object.Tree, nil)
	if _, err := run(true, src, c); err != nil {
		t.Errorf("commit with its tree: %v", err)
	}
	wrong := src.add(object.Tree, tree(entry("100644", "f", sub)))
	if _, err := run(true, src, wrong); !errors.As(err, &le) || !strings.Contains(err.Error(), "expected type blob, found tree") {
		t.Errorf("tree naming a tree as a blob: %v", err)
	}
	if _, err := run(false, src, wrong); err != nil {
		t.Errorf("without Links: %v", err)
	}
}
