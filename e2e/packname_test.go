package e2e

import (
	"bytes"
	"crypto/sha1"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"git-remote-object-store/packchain"
)

// setName is what git says a pack of the objects `git rev-list --objects args` lists is
// named by: the SHA-1 of their ids, sorted and concatenated (git's pack name before it
// used the trailer). Worked out here from git's own listing, not from the tool's code.
func (w *world) setName(dir string, args ...string) string {
	w.t.Helper()
	var ids []string
	for _, line := range strings.Split(w.git(dir, append([]string{"rev-list", "--objects"}, args...)...), "\n") {
		if id, _, _ := strings.Cut(line, " "); id != "" {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	h := sha1.New()
	for _, id := range ids {
		raw, err := hex.DecodeString(id)
		if err != nil {
			w.t.Fatal(err)
		}
		h.Write(raw)
	}
	return "pack-" + hex.EncodeToString(h.Sum(nil))
}

// TestPackchainPackNames: a push names its pack by its objects, so it streams into the
// store under its final key; it never replaces a pack already under that key that the
// manifest does not name (a stray, or another push's of the same objects, packed
// differently), but names its own by its trailer instead.
func TestPackchainPackNames(t *testing.T) {
	forPackchain(t, func(t *testing.T, w *world, newURL func() string, _ remoteKind) {
		url := newURL()
		src := w.repo(3)
		w.history(src, 30)
		w.git(src, "push", "-q", url, "main")
		st := bucket(t, url)
		first := w.setName(src, "main")
		if m := manifestOf(t, st); len(m.Packs) != 1 || m.Packs[0].Name != first {
			t.Fatalf("first push: packs %+v, want one named %s", m.Packs, first)
		}
		getKey(t, st, "packchain/packs/"+first+".idx")

		// A stray under the name the next push's pack will have.
		base := w.git(src, "rev-parse", "main")
		w.commit(src, "next.txt", "the next push\n")
		next := w.setName(src, "main", "--not", base)
		stray := []byte("PACK a stray that is not a pack")
		putKey(t, st, "packchain/packs/"+next+".pack", stray)
		w.git(src, "push", "-q", url, "main")
		if got := getKey(t, st, "packchain/packs/"+next+".pack"); !bytes.Equal(got, stray) {
			t.Fatalf("the push replaced the stray under its set name: %q", got)
		}
		m := manifestOf(t, st)
		if len(m.Packs) != 2 || m.Packs[0].Name == next || m.Packs[0].Name == first {
			t.Fatalf("packs after the second push: %+v", m.Packs)
		}
		// Named by its trailer: the name git index-pack gives the downloaded pack.
		named := m.Packs[0].Name
		dir := t.TempDir()
		os.WriteFile(filepath.Join(dir, "p.pack"), getKey(t, st, "packchain/packs/"+named+".pack"), 0o644)
		cmd := exec.Command("git", "index-pack", "p.pack")
		cmd.Dir = dir
		out, err := cmd.Output()
		if err != nil || "pack-"+strings.TrimSpace(string(out)) != named {
			t.Fatalf("git index-pack of %s: %v %s", named, err, out)
		}
		dst := w.clone(url)
		w.fsck(dst)

		// A pack under a name that is neither its set name nor its trailer is refused.
		body := getKey(t, st, "packchain/packs/"+first+".pack")
		putKey(t, st, "packchain/packs/"+named+".pack", body)
		m.Packs[0].Size = int64(len(body))
		data, _ := m.Encode()
		putKey(t, st, packchain.ManifestKey, data)
		into := filepath.Join(t.TempDir(), "refused")
		if out, err := w.try("", "clone", "-q", url, into); err == nil || !strings.Contains(out, "misnamed") {
			t.Fatalf("a clone of a misnamed pack: %v\n%s", err, out)
		}

	})
}
