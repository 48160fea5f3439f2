package gitpack

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"git-remote-object-store/gitpack/gitconfig"
	"git-remote-object-store/gitpack/object"
	"git-remote-object-store/gitpack/pack"
)

// Errors callers branch on.
var (
	ErrNotFound    = errors.New("object not found")
	ErrUnsupported = errors.New("unsupported repository")
)

// Repo is an opened local repository.
type Repo struct {
	gitDir    string
	commonDir string
	objDirs   []string // the repository's own objects dir first, then alternates
	format    object.Format
	config    *gitconfig.Config

	mu          sync.Mutex
	packs       map[string]*pack.Pack // by .pack path
	packList    []*pack.Pack          // the same, as allPacks returns them
	scanned     bool                  // the pack directories have been listed
	packed      map[string]object.Hash
	packedStamp string
}

// OpenEnv opens the repository git named in GIT_DIR (as it does for remote helpers).
func OpenEnv() (*Repo, error) {
	dir := os.Getenv("GIT_DIR")
	if dir == "" {
		dir = ".git"
	}
	return Open(dir)
}

// Open opens the repository at gitDir (a .git directory or a bare repository).
func Open(gitDir string) (*Repo, error) {
	abs, err := filepath.Abs(gitDir)
	if err != nil {
		return nil, err
	}
	r := &Repo{gitDir: abs, commonDir: abs, packs: map[string]*pack.Pack{}}
	if b, err := os.ReadFile(filepath.Join(abs, "commondir")); err == nil {
		c := strings.TrimSpace(string(b))
		if !filepath.IsAbs(c) {
			c = filepath.Join(abs, c)
		}
		r.commonDir = filepath.Clean(c)
	}
	if r.config, err = gitconfig.ReadFile(filepath.Join(r.commonDir, "config")); err != nil {
		return nil, fmt.Errorf("open repository %s: %w", abs, err)
	}
	if err := r.checkFormat(); err != nil {
		return nil, fmt.Errorf("open repository %s: %w", abs, err)
	}
	objDir := os.Getenv("GIT_OBJECT_DIRECTORY")
	if objDir == "" {
		objDir = filepath.Join(r.commonDir, "objects")
	}
	if st, err := os.Stat(objDir); err != nil || !st.IsDir() {
		return nil, fmt.Errorf("open repository %s: no objects directory %s", abs, objDir)
	}
	r.objDirs = []string{objDir}
	r.addAlternates(objDir, 0)
	for _, d := range filepath.SplitList(os.Getenv("GIT_ALTERNATE_OBJECT_DIRECTORIES")) {
		if d != "" {
			r.objDirs = append(r.objDirs, d)
		}
	}
	return r, nil
}

// checkFormat refuses repositories this code would misread.
func (r *Repo) checkFormat() error {
	r.format = object.SHA1
	version := r.config.Get("core", "", "repositoryformatversion")
	if version != "" && version != "0" && version != "1" {
		return fmt.Errorf("%w: core.repositoryformatversion %s", ErrUnsupported, version)
	}
	if version != "1" {
		return nil
	}
	for _, e := range r.config.Section("extensions", "") {
		switch e.Key {
		case "objectformat":
			f, err := object.ParseFormat(strings.ToLower(e.Value))
			if err != nil {
				return fmt.Errorf("%w: %v", ErrUnsupported, err)
			}
			r.format = f
		case "refstorage":
			if !strings.EqualFold(e.Value, "files") {
				return fmt.Errorf("%w: refs stored as %q (only the files backend is supported; run `git refs migrate --ref-format=files`)", ErrUnsupported, e.Value)
			}
		case "noop", "preciousobjects", "partialclone", "worktreeconfig":
		default:
			return fmt.Errorf("%w: extension %q", ErrUnsupported, e.Key)
		}
	}
	return nil
}

func (r *Repo) addAlternates(objDir string, depth int) {
	if depth > 5 {
		return
	}
	f, err := os.Open(filepath.Join(objDir, "info", "alternates"))
	if err != nil {
		return
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' {
			continue
		}
		if !filepath.IsAbs(line) {
			line = filepath.Join(objDir, line)
		}
		r.objDirs = append(r.objDirs, filepath.Clean(line))
		r.addAlternates(filepath.Clean(line), depth+1)
	}
}

// Format is the repository's object format.
func (r *Repo) Format() object.Format { return r.format }

// GitDir is the repository directory git passed us.
func (r *Repo) GitDir() string { return r.gitDir }

// CommonDir is where refs, config and objects live (differs from GitDir in a worktree).
func (r *Repo) CommonDir() string { return r.commonDir }

// ObjectDir is where new objects and packs go.
func (r *Repo) ObjectDir() string { return r.objDirs[0] }

// Config is the repository's configuration as read at Open.
func (r *Repo) Config() *gitconfig.Config { return r.config }

// Reload reads the configuration again. git clone starts its helper on a repository it
// made with the default object format and rewrites that configuration once the helper
// has said the remote's format, before it asks for objects; a helper calls Reload between
// the two so that it writes objects in the format the repository now has.
func (r *Repo) Reload() error {
	c, err := gitconfig.ReadFile(filepath.Join(r.commonDir, "config"))
	if err != nil {
		return fmt.Errorf("reload repository %s: %w", r.gitDir, err)
	}
	oldConfig, oldFormat := r.config, r.format
	r.config = c
	if err := r.checkFormat(); err != nil {
		r.config, r.format = oldConfig, oldFormat
		return fmt.Errorf("reload repository %s: %w", r.gitDir, err)
	}
	return nil
}

// Close releases open pack files.
func (r *Repo) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	for k, p := range r.packs {
		p.Close()
		delete(r.packs, k)
	}
	r.packList, r.scanned = nil, false
	return nil
}
