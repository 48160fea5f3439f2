package fsck_test

import (
	"testing"

	"git-remote-object-store/gitpack/fsck"
	"git-remote-object-store/gitpack/object"
)

// checkAll runs every check of one object, with and without Strict and Links, and
// makes sure the findings are well formed: the parsers must not panic or loop on any
// input.
func checkAll(t *testing.T, typ object.Type, data []byte) {
	id := object.Sum(object.SHA1, typ, data)
	for _, opt := range []*fsck.Options{{}, {Strict: true, Links: true}} {
		c := fsck.NewChecker(object.SHA1, opt, nil)
		err := c.Object(id, typ, data)
		msgs := fsck.Check(object.SHA1, opt, id, typ, data)
		for _, m := range msgs {
			if m.Object != id || (m.Severity != fsck.Error && m.Severity != fsck.Warn) || m.Text == "" {
				t.Fatalf("malformed message %+v", m)
			}
		}
		if err == nil {
			c.Finish(emptySource{})
		}
	}
}

type emptySource struct{}

func (emptySource) Type(object.Hash) (object.Type, error)         { return 0, errNotHere }
func (emptySource) Stat(object.Hash) (object.Type, int64, error)  { return 0, 0, errNotHere }
func (emptySource) Read(object.Hash) (object.Type, []byte, error) { return 0, nil, errNotHere }

var errNotHere = fsckErr("not here")

type fsckErr string

func (e fsckErr) Error() string { return string(e) }

func seeds(f *testing.F, typ object.Type) {
	for _, c := range cases() {
		if c.typ == typ {
			f.Add(c.data)
		}
	}
}

// FuzzTree: fsck_tree's parser and checks (entry decoding, ordering and duplicates,
// HFS+ and NTFS names) on any bytes.
func FuzzTree(f *testing.F) {
	seeds(f, object.Tree)
	f.Fuzz(func(t *testing.T, data []byte) { checkAll(t, object.Tree, data) })
}

// FuzzCommit: fsck_commit's header and ident parsing on any bytes, and the links taken
// from a commit.
func FuzzCommit(f *testing.F) {
	seeds(f, object.Commit)
	f.Fuzz(func(t *testing.T, data []byte) { checkAll(t, object.Commit, data) })
}

// FuzzTag: fsck_tag on any bytes, and the links taken from a tag.
func FuzzTag(f *testing.F) {
	seeds(f, object.Tag)
	f.Fuzz(func(t *testing.T, data []byte) { checkAll(t, object.Tag, data) })
}

// FuzzGitmodules: the config parser and the submodule name, url (with url
// normalization), path and update checks on any .gitmodules content.
func FuzzGitmodules(f *testing.F) {
	for _, c := range gitmodulesCases() {
		f.Add([]byte(c.data))
	}
	f.Add([]byte("\xef\xbb\xbf[submodule \"a\"]\n\turl = https://u:p@h:0/a/../../b\n"))
	f.Add([]byte("[submodule \"a\"]\n\turl = http::https://[::1]:8080/%41/./x?y#z\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		id := object.Sum(object.SHA1, object.Blob, data)
		for _, m := range fsck.CheckGitmodules(object.SHA1, &fsck.Options{Strict: true}, id, data) {
			if m.Object != id || m.Text == "" {
				t.Fatalf("malformed message %+v", m)
			}
		}
	})
}
