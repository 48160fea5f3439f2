package indexer_test

import (
	"bytes"
	"fmt"
	"testing"

	"git-remote-object-store/gitpack/indexer"
	"git-remote-object-store/gitpack/object"
	"git-remote-object-store/gitpack/packer"
)

// sizedSource lets the packer search deltas.
type sizedSource struct{ memSource }

func (s sizedSource) Stat(h object.Hash) (object.Type, int64, error) {
	t, b, err := s.Read(h)
	return t, int64(len(b)), err
}

// TestProgressPhases: the indexer reports receiving (every entry) then resolving (every
// delta), each phase beginning at 0 and ending at its total, as index-pack shows
// "Receiving objects" and "Resolving deltas". Resolving counts one at a time, but for
// the deltas resolved while receiving, counted at once when the phase begins.
func TestProgressPhases(t *testing.T) {
	src := sizedSource{memSource{}}
	var objs []packer.Object
	for i := range 25 {
		data := bytes.Repeat([]byte(fmt.Sprintf("version %d of a growing file\n", i)), 30+i)
		h := object.Sum(object.SHA1, object.Blob, data)
		src.memSource[h] = struct {
			t object.Type
			b []byte
		}{object.Blob, data}
		objs = append(objs, packer.Object{Hash: h, Type: object.Blob, NameHash: packer.NameHash("f")})
	}
	var b bytes.Buffer
	res, err := packer.Write(&b, src, objs, packer.Options{Format: object.SHA1})
	if err != nil || res.Deltas == 0 {
		t.Fatalf("sample pack: %+v %v", res, err)
	}
	type call struct{ done, total int64 }
	var calls []call
	for _, m := range aheadModes {
		calls = nil
		_, w, err := indexer.IndexAhead(bytes.NewReader(b.Bytes()), t.TempDir(), indexer.Options{Format: object.SHA1, Threads: 2,
			Progress: func(done, total int64) { calls = append(calls, call{done, total}) }}, m.cache, m.sync)
		if err != nil {
			t.Fatal(err)
		}
		var phases []call // each phase's last call
		for i, c := range calls {
			jump := int64(1)
			if len(phases) == 1 && calls[i-1].done == 0 {
				jump = max(1, w.Ahead)
			}
			if c.done == 0 && i > 0 {
				phases = append(phases, calls[i-1])
			} else if i > 0 && (c.done != calls[i-1].done+jump || c.total != calls[i-1].total) {
				t.Fatalf("%s: call %d: %v after %v (%d resolved ahead)", m.name, i, c, calls[i-1], w.Ahead)
			}
		}
		phases = append(phases, calls[len(calls)-1])
		want := []call{{25, 25}, {res.Deltas, res.Deltas}}
		if fmt.Sprint(phases) != fmt.Sprint(want) || calls[0] != (call{0, 25}) {
			t.Fatalf("%s: phases ended at %v, want %v (first call %v)", m.name, phases, want, calls[0])
		}
		if m.name == "all" && w.Ahead != res.Deltas {
			t.Fatalf("all: %d of %d deltas resolved ahead", w.Ahead, res.Deltas)
		}
	}

	// No deltas: receiving only.
	calls = nil
	if _, err := indexer.Index(bytes.NewReader(samplePack(t)), t.TempDir(), indexer.Options{Format: object.SHA1,
		Progress: func(done, total int64) { calls = append(calls, call{done, total}) }}); err != nil {
		t.Fatal(err)
	}
	if len(calls) != 21 || calls[20] != (call{20, 20}) {
		t.Fatalf("calls %v", calls)
	}
}
