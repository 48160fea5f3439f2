package packchain

import (
	"bytes"
	"errors"
	"flag"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// update rewrites the golden manifest with what Encode writes now. The file is the
// on-bucket format other clients read: refresh it only for a deliberate format change.
var update = flag.Bool("update", false, "rewrite testdata/manifest-v1.json from the current encoder")

func TestManifestGoldenRoundTrip(t *testing.T) {
	golden, err := os.ReadFile("testdata/manifest-v1.json")
	if err != nil {
		t.Fatal(err)
	}
	m, err := DecodeManifest(bytes.NewReader(golden))
	if err != nil {
		t.Fatalf("decode golden: %v", err)
	}
	if m.Head != "refs/heads/main" || len(m.Packs) != 2 || !m.IsProtected("refs/heads/main") {
		t.Fatalf("decoded %+v", m)
	}
	out, err := m.Encode()
	if err != nil {
		t.Fatal(err)
	}
	if *update {
		if err := os.WriteFile("testdata/manifest-v1.json", out, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if diff := cmp.Diff(string(golden), string(out)); diff != "" {
		t.Fatalf("re-encoding differs from the golden file (-want +got):\n%s", diff)
	}
}

func TestManifestRejects(t *testing.T) {
	good := `"object_format":"sha1","refs":{},"packs":[]`
	oid := strings.Repeat("a", 40)
	cases := []struct {
		name, json string
	}{
		{"version 2", `{"version":2,` + good + `}`},
		{"unknown format", `{"version":1,"object_format":"md5","refs":{},"packs":[]}`},
		{"short oid", `{"version":1,"object_format":"sha1","refs":{"refs/heads/x":"abc"},"packs":[]}`},
		{"sha256 oid in sha1 manifest", `{"version":1,"object_format":"sha1","refs":{"refs/heads/x":"` + strings.Repeat("a", 64) + `"},"packs":[]}`},
		{"upper-case oid", `{"version":1,"object_format":"sha1","refs":{"refs/heads/x":"` + strings.Repeat("A", 40) + `"},"packs":[]}`},
		{"empty ref name", `{"version":1,"object_format":"sha1","refs":{"":"` + oid + `"},"packs":[]}`},
		{"bad pack name", `{"version":1,` + strings.TrimSuffix(good, `"packs":[]`) + `"packs":[{"name":"../../etc/passwd"}]}`},
		{"duplicate pack", `{"version":1,` + strings.TrimSuffix(good, `"packs":[]`) + `"packs":[{"name":"pack-` + oid + `"},{"name":"pack-` + oid + `"}]}`},
		{"negative size", `{"version":1,` + strings.TrimSuffix(good, `"packs":[]`) + `"packs":[{"name":"pack-` + oid + `","size":-1}]}`},
		{"bad tip", `{"version":1,` + strings.TrimSuffix(good, `"packs":[]`) + `"packs":[{"name":"pack-` + oid + `","tips":["zz"]}]}`},
		{"trailing data", `{"version":1,` + good + `} {}`},
		{"not json", `version: 1`},
		{"truncated", `{"version":1,"object_format":"sha1","refs":{`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := DecodeManifest(strings.NewReader(c.json))
			if !errors.Is(err, ErrManifest) {
				t.Fatalf("DecodeManifest(%s) = %v, want ErrManifest", c.json, err)
			}
		})
	}
}

func TestManifestCloneIsDeep(t *testing.T) {
	m := NewManifest(1)
	m.Refs["refs/heads/main"] = strings.Repeat("a", 40)
	m.Packs = []PackEntry{{Name: "pack-" + strings.Repeat("b", 40), Tips: []string{strings.Repeat("a", 40)}}}
	c := m.Clone()
	c.Refs["refs/heads/main"] = strings.Repeat("c", 40)
	c.Packs[0].Tips[0] = strings.Repeat("d", 40)
	if m.Refs["refs/heads/main"] != strings.Repeat("a", 40) || m.Packs[0].Tips[0] != strings.Repeat("a", 40) {
		t.Fatal("Clone shares state with the original")
	}
}

// FuzzDecodeManifest: any accepted manifest re-encodes to bytes that decode to the same manifest.
func FuzzDecodeManifest(f *testing.F) {
	golden, _ := os.ReadFile("testdata/manifest-v1.json")
	f.Add(golden)
	f.Add([]byte(`{"version":1,"object_format":"sha256","refs":{},"packs":[]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := DecodeManifest(bytes.NewReader(data))
		if err != nil {
			return // rejected input is fine; accepted input must round-trip
		}
		out, err := m.Encode()
		if err != nil {
			t.Fatalf("encode accepted manifest: %v", err)
		}
		m2, err := DecodeManifest(bytes.NewReader(out))
		if err != nil {
			t.Fatalf("re-decode of our own encoding failed: %v\n%s", err, out)
		}
		out2, _ := m2.Encode()
		if !bytes.Equal(out, out2) {
			t.Fatalf("encoding not stable:\n%s\n---\n%s", out, out2)
		}
	})
}
