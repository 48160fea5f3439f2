package gitpack_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"git-remote-object-store/gitpack"
	"git-remote-object-store/gitpack/fsck"
	"git-remote-object-store/internal/testenv"
)

// TestReceiveFsckConfig: Receive honours fetch.fsckObjects over transfer.fsckObjects,
// fetch.fsck.<id> and fetch.fsck.skipList as git's fetch does; an unknown id is skipped
// with git's warning, a bad severity or a demoted fatal id is an error; and a refused
// pack leaves nothing behind.
func TestReceiveFsckConfig(t *testing.T) {
	t.Setenv("GIT_CONFIG_GLOBAL", os.DevNull)
	t.Setenv("GIT_CONFIG_NOSYSTEM", "1")
	t.Setenv("GIT_CONFIG_PARAMETERS", "")
	t.Setenv("GIT_CONFIG_COUNT", "")
	src := t.TempDir()
	testenv.RunGit(t, src, "init", "-q", ".")
	bad := testenv.HostileCommit(t, src, "hasDotgit", "")
	tree := testenv.RunGit(t, src, "rev-parse", bad+"^{tree}")
	cmd := testenv.GitCmd(t, src, "pack-objects", "--revs", "--stdout", "-q")
	cmd.Stdin = strings.NewReader(bad + "\n")
	packData, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	skip := filepath.Join(t.TempDir(), "skip")
	os.WriteFile(skip, []byte("# broken but known\n  "+tree+"  \n\n"), 0o644)
	for _, c := range []struct {
		settings []string
		refused  bool
		err      string // Receive's error
		warn     string
	}{
		{settings: nil},
		{settings: []string{"transfer.fsckObjects=true"}, refused: true},
		{settings: []string{"transfer.fsckObjects=true", "fetch.fsckObjects=false"}},
		{settings: []string{"fetch.fsckObjects=1", "fetch.fsck.skipList=" + skip}},
		{settings: []string{"fetch.fsckObjects=true", "fetch.fsck.noSuchId=ignore"}, refused: true, warn: "warning: Skipping unknown msg id 'nosuchid'"},
		{settings: []string{"fetch.fsckObjects=true", "fetch.fsck.hasDotgit=bogus"}, err: "unknown fsck message type: 'bogus'"},
		{settings: []string{"fetch.fsckObjects=true", "fetch.fsck.nulInHeader=warn"}, err: "Cannot demote nulinheader to warn"},
		{settings: []string{"fetch.fsckObjects=maybe"}, err: "bad boolean config value"},
	} {
		dir := t.TempDir()
		testenv.RunGit(t, dir, "init", "-q", "--bare", ".")
		for _, s := range c.settings {
			k, v, _ := strings.Cut(s, "=")
			testenv.RunGit(t, dir, "config", k, v)
		}
		repo, err := gitpack.Open(dir)
		if err != nil {
			t.Fatal(err)
		}
		var warn bytes.Buffer
		in, err := repo.Receive(gitpack.ReceiveOptions{Report: &warn})
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%v: Receive: %v, want %q", c.settings, err, c.err)
			}
			repo.Close()
			continue
		}
		if err != nil {
			t.Fatalf("%v: %v", c.settings, err)
		}
		_, err = in.IndexPack(bytes.NewReader(packData), gitpack.IndexOptions{})
		if err == nil {
			err = in.Commit()
		}
		in.Abort()
		var refused *fsck.Refused
		if c.refused != errors.As(err, &refused) || (!c.refused && err != nil) {
			t.Errorf("%v: %v, refused: %v", c.settings, err, c.refused)
		}
		if !strings.Contains(warn.String(), c.warn) {
			t.Errorf("%v: printed %q, want %q", c.settings, warn.String(), c.warn)
		}
		ents, _ := os.ReadDir(filepath.Join(dir, "objects", "pack"))
		if want := map[bool]int{true: 0, false: 2}[c.refused]; len(ents) != want {
			t.Errorf("%v: %d files in objects/pack, want %d", c.settings, len(ents), want)
		}
		repo.Close()
	}
}
