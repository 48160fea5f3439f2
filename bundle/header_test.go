package bundle

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"git-remote-object-store/gitpack/object"
	"git-remote-object-store/internal/testenv"
)

// sampleRepo makes a repository with three commits, a branch and an annotated tag.
func sampleRepo(t *testing.T, format string) string {
	t.Helper()
	dir := t.TempDir()
	testenv.RunGit(t, dir, "init", "-q", "-b", "main", "--object-format="+format, ".")
	for i, msg := range []string{"one", "two", "three"} {
		os.WriteFile(filepath.Join(dir, "f.txt"), []byte(strings.Repeat(msg+"\n", i+1)), 0o644)
		testenv.RunGit(t, dir, "add", ".")
		testenv.RunGit(t, dir, "commit", "-q", "-m", msg)
	}
	testenv.RunGit(t, dir, "branch", "side", "HEAD~1")
	testenv.RunGit(t, dir, "tag", "-a", "-m", "release", "v1", "HEAD~1")
	return dir
}

func headerBytes(t *testing.T, path string) []byte {
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	i := bytes.Index(data, []byte("\n\nPACK"))
	if i < 0 {
		t.Fatalf("%s: no header end", path)
	}
	return data[:i+2]
}

func TestReadHeaderMatchesGit(t *testing.T) {
	cases := []struct {
		name, format, version, revs string
		prereqs                     int
	}{
		{"v2 all", "sha1", "2", "--all", 0},
		{"v2 thin", "sha1", "2", "main~1..main", 1},
		{"v3 sha1", "sha1", "3", "--all", 0},
		{"v3 sha256", "sha256", "3", "--all", 0},
		{"v3 sha256 thin", "sha256", "3", "main~2..main", 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := sampleRepo(t, c.format)
			path := filepath.Join(dir, "x.bundle")
			args := []string{"bundle", "create", "-q", "--version=" + c.version, path}
			testenv.RunGit(t, dir, append(args, strings.Fields(c.revs)...)...)
			f, err := os.Open(path)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			h, pack, err := Open(f)
			if err != nil {
				t.Fatalf("Open: %v", err)
			}
			wantFormat, _ := object.ParseFormat(c.format)
			if h.Format != wantFormat || h.Version != int(c.version[0]-'0') || len(h.Prereqs) != c.prereqs {
				t.Fatalf("header %+v: want format %s version %s and %d prerequisites", h, c.format, c.version, c.prereqs)
			}
			var got []string
			for _, r := range h.Refs {
				got = append(got, r.Hash.String()+" "+r.Name)
			}
			if want := testenv.RunGit(t, dir, "bundle", "list-heads", path); strings.Join(got, "\n") != want {
				t.Fatalf("refs\n%s\nwant (git bundle list-heads)\n%s", strings.Join(got, "\n"), want)
			}
			for _, p := range h.Prereqs {
				if want := testenv.RunGit(t, dir, "rev-parse", strings.SplitN(c.revs, "..", 2)[0]); p.Hash.String() != want {
					t.Fatalf("prerequisite %s, want %s", p.Hash, want)
				}
			}
			sig := make([]byte, 4)
			if _, err := pack.Read(sig); err != nil || string(sig) != "PACK" {
				t.Fatalf("reader not positioned at the pack: %q %v", sig, err)
			}
			// Writing the parsed header back gives git's bytes.
			var out bytes.Buffer
			if err := WriteHeader(&out, h); err != nil {
				t.Fatal(err)
			}
			if want := headerBytes(t, path); !bytes.Equal(out.Bytes(), want) {
				t.Fatalf("WriteHeader gave\n%q\nwant git's\n%q", out.Bytes(), want)
			}
		})
	}
}

func TestWrittenBundleIsAcceptedByGit(t *testing.T) {
	for _, format := range []string{"sha1", "sha256"} {
		t.Run(format, func(t *testing.T) {
			src := sampleRepo(t, format)
			tip := testenv.RunGit(t, src, "rev-parse", "main")
			f, _ := object.ParseFormat(format)
			id, _ := object.ParseHash(tip)
			// HEAD as well, as the engine writes it, so that `git clone x.bundle` checks out.
			h := &Header{Version: 2, Format: f, Refs: []Ref{{Hash: id, Name: "refs/heads/main"}, {Hash: id, Name: "HEAD"}}}
			if f == object.SHA256 {
				h.Version = 3
			}
			var b bytes.Buffer
			if err := WriteHeader(&b, h); err != nil {
				t.Fatal(err)
			}
			cmd := testenv.GitCmd(t, src, "pack-objects", "--stdout", "--revs", "--delta-base-offset")
			cmd.Stdin, cmd.Stdout = strings.NewReader("main\n"), &b
			if err := cmd.Run(); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(t.TempDir(), "ours.bundle")
			os.WriteFile(path, b.Bytes(), 0o644)
			testenv.RunGit(t, src, "bundle", "verify", "-q", path)
			clone := filepath.Join(t.TempDir(), "clone")
			testenv.RunGit(t, src, "clone", "-q", path, clone)
			if got := testenv.RunGit(t, clone, "rev-parse", "HEAD"); got != tip {
				t.Fatalf("clone of our bundle has HEAD %s, want %s", got, tip)
			}
			testenv.RunGit(t, clone, "fsck", "--full")
		})
	}
}

func TestReadHeaderRejects(t *testing.T) {
	oid := strings.Repeat("a", 40)
	cases := []struct {
		name, in string
		want     error
	}{
		{"empty", "", ErrFormat},
		{"v1 signature", "# v1 git bundle\n\n", ErrFormat},
		{"no blank line", "# v2 git bundle\n" + oid + " refs/heads/main\n", ErrFormat},
		{"short id", "# v2 git bundle\nabc refs/heads/main\n\n", ErrFormat},
		{"upper-case id", "# v2 git bundle\n" + strings.ToUpper(oid) + " refs/heads/main\n\n", ErrFormat},
		{"sha256 id in v2", "# v2 git bundle\n" + strings.Repeat("a", 64) + " refs/heads/main\n\n", ErrFormat},
		{"no ref name", "# v2 git bundle\n" + oid + "\n\n", ErrFormat},
		{"ref with space", "# v2 git bundle\n" + oid + " refs/heads/a b\n\n", ErrFormat},
		{"ref with control char", "# v2 git bundle\n" + oid + " refs/heads/a\x01\n\n", ErrFormat},
		{"capability in v2", "# v2 git bundle\n@object-format=sha1\n\n", ErrFormat},
		{"unknown capability", "# v3 git bundle\n@frobnicate\n\n", ErrFormat},
		{"unknown format", "# v3 git bundle\n@object-format=md5\n\n", ErrFormat},
		{"filter", "# v3 git bundle\n@object-format=sha1\n@filter=blob:none\n\n", ErrFilter},
		{"prereq after ref", "# v2 git bundle\n" + oid + " refs/heads/main\n-" + oid + "\n\n", ErrFormat},
		{"long line", "# v2 git bundle\n" + oid + " refs/heads/" + strings.Repeat("x", MaxLineLen) + "\n\n", ErrTooLarge},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := ReadHeader(bufio.NewReader(strings.NewReader(c.in)))
			if !errors.Is(err, c.want) {
				t.Fatalf("ReadHeader(%q) = %v, want %v", clip(c.in), err, c.want)
			}
		})
	}
}

func FuzzReadHeader(f *testing.F) {
	oid := strings.Repeat("1", 40)
	f.Add([]byte("# v2 git bundle\n-" + oid + " subject\n" + oid + " refs/heads/main\n\nPACK"))
	f.Add([]byte("# v3 git bundle\n@object-format=sha256\n" + strings.Repeat("2", 64) + " refs/tags/v1\n\n"))
	f.Add([]byte("# v3 git bundle\n@filter=blob:none\n\n"))
	_, lying := lyingDeltaBundle(f, 1<<30) // hostile_test.go
	f.Add(lying)
	var many bytes.Buffer
	io.CopyN(&many, newHugeHeader(1_000_000), 8<<10) // the start of a 240 MB header
	f.Add(many.Bytes())
	f.Fuzz(func(t *testing.T, data []byte) {
		h, err := ReadHeader(bufio.NewReader(bytes.NewReader(data)))
		if err != nil {
			return // rejection is fine; an accepted header must re-encode faithfully
		}
		if h.Format == object.SHA256 && h.Version < 3 {
			t.Fatalf("accepted a sha256 v2 header")
		}
		var out bytes.Buffer
		if err := WriteHeader(&out, h); err != nil {
			t.Fatalf("accepted header does not re-encode: %v", err)
		}
		h2, err := ReadHeader(bufio.NewReader(&out))
		if err != nil {
			t.Fatalf("our own encoding does not parse: %v\n%q", err, out.Bytes())
		}
		if len(h2.Refs) != len(h.Refs) || len(h2.Prereqs) != len(h.Prereqs) || h2.Format != h.Format || h2.Version != h.Version {
			t.Fatalf("round trip changed the header: %+v -> %+v", h, h2)
		}
		for i := range h.Refs {
			if h.Refs[i] != h2.Refs[i] {
				t.Fatalf("ref %d changed: %+v -> %+v", i, h.Refs[i], h2.Refs[i])
			}
		}
		for i := range h.Prereqs {
			if h.Prereqs[i] != h2.Prereqs[i] {
				t.Fatalf("prereq %d changed", i)
			}
		}
	})
}
