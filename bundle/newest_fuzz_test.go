package bundle

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"fmt"
	"testing"

	"git-remote-object-store/gitpack/object"
	"git-remote-object-store/gitpack/pack"
)

// FuzzProveReachable feeds proveReachable arbitrary bytes as the start of a bundle read
// from a bucket. Whatever they hold it must not panic, must keep the tip in what it
// returns, and may report success only when every wanted commit is in the result.
func FuzzProveReachable(f *testing.F) {
	fm := object.SHA1
	tree := bytes.Repeat([]byte("ab"), 20)
	var parent object.Hash
	var commits [][]byte
	var ids []object.Hash
	for i := range 3 {
		body := fmt.Sprintf("tree %s\n", tree)
		if i > 0 {
			body += fmt.Sprintf("parent %s\n", parent)
		}
		body += fmt.Sprintf("author T <t@example.com> 1767225600 +0000\ncommitter T <t@example.com> 1767225600 +0000\n\nc%d\n", i)
		parent = object.Sum(fm, object.Commit, []byte(body))
		commits, ids = append(commits, []byte(body)), append(ids, parent)
	}
	tip := ids[2]
	var b bytes.Buffer
	WriteHeader(&b, &Header{Version: 2, Format: fm, Refs: []Ref{{Hash: tip, Name: "refs/heads/main"}}})
	b.WriteString("PACK")
	binary.Write(&b, binary.BigEndian, uint32(2))
	binary.Write(&b, binary.BigEndian, uint32(len(commits)))
	for i := len(commits) - 1; i >= 0; i-- { // newest first, as git writes them
		b.Write(pack.AppendEntryHeader(nil, object.Commit, int64(len(commits[i]))))
		zw := zlib.NewWriter(&b)
		zw.Write(commits[i])
		zw.Close()
	}
	f.Add(b.Bytes(), 0)
	f.Add(b.Bytes()[:b.Len()/2], 1)
	f.Add([]byte("# v2 git bundle\n"), 0)
	f.Fuzz(func(t *testing.T, data []byte, which int) {
		want := []object.Hash{ids[((which%3)+3)%3]}
		got, err := proveReachable(bytes.NewReader(data), tip, want)
		if !got[tip] {
			t.Fatalf("the tip is missing from the result (err %v)", err)
		}
		if err == nil && !got[want[0]] {
			t.Fatalf("no error, but %s was not proven", want[0])
		}
	})
}
