package packer

import (
	"testing"

	"git-remote-object-store/gitpack/object"
	"github.com/google/go-cmp/cmp"
)

// TestWriteOrder: commits first, then trees, each in walk order; then the rest one delta
// family at a time in the order git's pack-objects lays a family out (a node's children
// before its grandchildren, then each child's family in turn); every base before its
// deltas, every object once, a cycle broken.
func TestWriteOrder(t *testing.T) {
	type obj struct {
		name string
		typ  object.Type
		base string // "": none
		dup  bool
	}
	tests := []struct {
		name string
		objs []obj // in walk order
		want []string
	}{
		{
			name: "families",
			objs: []obj{
				{name: "c1", typ: object.Commit},
				{name: "t1", typ: object.Tree},
				{name: "b1", typ: object.Blob},
				{name: "c2", typ: object.Commit},
				{name: "t2", typ: object.Tree, base: "t1"},
				{name: "b2", typ: object.Blob, base: "b3"},
				{name: "b3", typ: object.Blob},
				{name: "b4", typ: object.Blob, base: "b3"},
				{name: "b5", typ: object.Blob, base: "b2"},
				{name: "b6", typ: object.Blob, base: "b4"},
				{name: "b1", typ: object.Blob, dup: true},
				{name: "g1", typ: object.Tag},
			},
			want: []string{"c1", "c2", "g1", "t1", "t2", "b1", "b3", "b2", "b4", "b5", "b6"},
		},
		{
			name: "a tree's base comes forward",
			objs: []obj{
				{name: "c1", typ: object.Commit},
				{name: "t1", typ: object.Tree, base: "t3"},
				{name: "t2", typ: object.Tree},
				{name: "t3", typ: object.Tree},
			},
			want: []string{"c1", "t3", "t1", "t2"},
		},
		{
			name: "a family rooted in a tree written before",
			objs: []obj{
				{name: "b1", typ: object.Blob, base: "b2"},
				{name: "t1", typ: object.Tree},
				{name: "b2", typ: object.Blob, base: "t1"},
				{name: "b3", typ: object.Blob, base: "t1"},
			},
			want: []string{"t1", "b2", "b3", "b1"},
		},
		{
			name: "cycle",
			objs: []obj{
				{name: "x1", typ: object.Blob, base: "x2"},
				{name: "x2", typ: object.Blob, base: "x1"},
				{name: "x3", typ: object.Blob, base: "x1"},
			},
			want: []string{"x2", "x1", "x3"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			at := map[string]int32{}
			for i, o := range tt.objs {
				if !o.dup {
					at[o.name] = int32(i)
				}
			}
			objs := make([]Object, len(tt.objs))
			plans := make([]plan, len(tt.objs))
			for i, o := range tt.objs {
				objs[i].Type = o.typ
				plans[i].base = -1
				if o.base != "" {
					plans[i].base, plans[i].how = at[o.base], reuseDelta
				}
				if o.dup {
					plans[i].how = duplicate
				}
			}
			var got []string
			pos := map[int32]int{}
			for k, i := range writeOrder(objs, plans) {
				if _, twice := pos[i]; twice {
					t.Fatalf("%s written twice", tt.objs[i].name)
				}
				pos[i] = k
				got = append(got, tt.objs[i].name)
			}
			for i, pl := range plans {
				if pl.how == duplicate {
					continue
				}
				if _, ok := pos[int32(i)]; !ok {
					t.Errorf("%s never written", tt.objs[i].name)
				}
				if pl.base >= 0 && pos[pl.base] > pos[int32(i)] {
					t.Errorf("%s written before its base %s", tt.objs[i].name, tt.objs[pl.base].name)
				}
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("order (-want +got):\n%s", diff)
			}
		})
	}
}
