package gitpack

import (
	"fmt"
	"os"
	"path/filepath"

	"git-remote-object-store/gitpack/object"
)

// InitBare creates an empty bare repository of format f at dir (which must not hold one
// yet) and opens it. The management verbs use it as scratch space: compaction gathers a
// remote's packs into one and writes them out again.
func InitBare(dir string, f object.Format) (*Repo, error) {
	cfg := "[core]\n\trepositoryformatversion = 0\n\tbare = true\n"
	if f != object.SHA1 {
		cfg = "[core]\n\trepositoryformatversion = 1\n\tbare = true\n[extensions]\n\tobjectformat = " + f.String() + "\n"
	}
	for _, d := range []string{"objects/pack", "objects/info", "refs/heads", "refs/tags"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			return nil, fmt.Errorf("init %s: %w", dir, err)
		}
	}
	for name, body := range map[string]string{"config": cfg, "HEAD": "ref: refs/heads/main\n"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			return nil, fmt.Errorf("init %s: %w", dir, err)
		}
	}
	return Open(dir)
}
