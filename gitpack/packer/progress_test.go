package packer

import (
	"bytes"
	"fmt"
	"testing"

	"git-remote-object-store/gitpack/object"
)

// statSource is objects in memory that the delta search can size.
type statSource map[object.Hash]struct {
	t object.Type
	b []byte
}

func (m statSource) Read(h object.Hash) (object.Type, []byte, error) {
	o, ok := m[h]
	if !ok {
		return 0, nil, fmt.Errorf("no %s", h)
	}
	return o.t, o.b, nil
}

func (m statSource) Stat(h object.Hash) (object.Type, int64, error) {
	t, b, err := m.Read(h)
	return t, int64(len(b)), err
}

// versions is n versions of one growing file, which deltas compress.
func versions(n int) (statSource, []Object) {
	src := statSource{}
	var objs []Object
	for i := range n {
		data := bytes.Repeat([]byte(fmt.Sprintf("line %d of a file that grows\n", i)), 20+i)
		h := object.Sum(object.SHA1, object.Blob, data)
		src[h] = struct {
			t object.Type
			b []byte
		}{object.Blob, data}
		objs = append(objs, Object{Hash: h, Type: object.Blob, NameHash: NameHash("file.txt")})
	}
	return src, objs
}

type call struct {
	phase       Phase
	done, total int64
}

// checkPhases checks the calls of one phase after another: each begins at 0, never goes
// back, and ends at its total.
func checkPhases(t *testing.T, calls []call, want ...Phase) {
	t.Helper()
	var got []Phase
	for i, c := range calls {
		if i == 0 || calls[i-1].phase != c.phase {
			got = append(got, c.phase)
			if c.done != 0 {
				t.Errorf("phase %d begins at %d", c.phase, c.done)
			}
		} else if c.done < calls[i-1].done || c.total != calls[i-1].total {
			t.Errorf("phase %d went from %d/%d to %d/%d", c.phase, calls[i-1].done, calls[i-1].total, c.done, c.total)
		}
		if i == len(calls)-1 || calls[i+1].phase != c.phase {
			if c.done != c.total {
				t.Errorf("phase %d ends at %d/%d", c.phase, c.done, c.total)
			}
		}
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("phases %v, want %v", got, want)
	}
}

func TestProgressPhasesReachTheirTotals(t *testing.T) {
	src, objs := versions(30)
	var calls []call
	var b bytes.Buffer
	res, err := Write(&b, src, objs, Options{Progress: func(p Phase, done, total int64) {
		calls = append(calls, call{p, done, total})
	}})
	if err != nil {
		t.Fatal(err)
	}
	if res.Deltas == 0 {
		t.Fatal("the sample made no deltas")
	}
	checkPhases(t, calls, Counting, Compressing, Writing)
	if last := calls[len(calls)-1]; last.total != 30 {
		t.Fatalf("wrote %d objects, want 30", last.total)
	}

	// Without a delta search (a source that cannot size objects) there is no
	// Compressing phase, as git shows none when it computes no delta.
	calls = nil
	plain := struct{ Source }{src}
	if _, err := Write(&b, plain, objs, Options{Progress: func(p Phase, done, total int64) {
		calls = append(calls, call{p, done, total})
	}}); err != nil {
		t.Fatal(err)
	}
	checkPhases(t, calls, Counting, Writing)

	// An empty pack: both phases begin and end at 0.
	calls = nil
	if _, err := Write(&b, src, nil, Options{Progress: func(p Phase, done, total int64) {
		calls = append(calls, call{p, done, total})
	}}); err != nil {
		t.Fatal(err)
	}
	checkPhases(t, calls, Counting, Writing)
}
