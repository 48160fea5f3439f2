package lfs_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"git-remote-object-store/lfs"
	"git-remote-object-store/store"
)

// TestInstallKeepsConfigMode: `lfs install` and the automatic setup during a fetch
// (AutoConfig) rewrite .git/config without loosening its mode: a 0600 config stays 0600,
// as it does when git itself edits it.
func TestInstallKeepsConfigMode(t *testing.T) {
	for _, auto := range []bool{false, true} {
		common := t.TempDir()
		cfg := filepath.Join(common, "config")
		url := "fs+file:///tmp/somewhere/repo"
		if err := os.WriteFile(cfg, []byte("[remote \"origin\"]\n\turl = "+url+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(cfg, 0o600); err != nil {
			t.Fatal(err)
		}
		var err error
		if auto {
			if err = os.Mkdir(filepath.Join(common, "lfs"), 0o755); err != nil { // the repository uses LFS
				t.Fatal(err)
			}
			get := func(section, sub, key string) string {
				if section == "remote" && sub == "origin" && key == "url" {
					return url
				}
				return ""
			}
			err = lfs.AutoConfig(context.Background(), lfs.Repo{CommonDir: common, Get: get}, "origin", "/usr/bin/agent",
				func() (store.Store, error) { t.Fatal("the store is not needed"); return nil, nil })
		} else {
			err = lfs.Install(cfg, "origin", url, "/usr/bin/agent")
		}
		if err != nil {
			t.Fatal(err)
		}
		st, err := os.Stat(cfg)
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode().Perm() != 0o600 {
			t.Errorf("auto=%v: config mode %04o after the LFS setup, want 0600", auto, st.Mode().Perm())
		}
		if data, _ := os.ReadFile(cfg); len(data) < 100 {
			t.Errorf("auto=%v: nothing written:\n%s", auto, data)
		}
	}
}
