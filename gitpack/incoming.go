package gitpack

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"git-remote-object-store/gitpack/fsck"
	"git-remote-object-store/gitpack/gitconfig"
	"git-remote-object-store/gitpack/indexer"
	"git-remote-object-store/gitpack/object"
	"git-remote-object-store/gitpack/pack"
)

// ReceiveOptions tune Receive.
type ReceiveOptions struct {
	// Report is where fsck's findings are printed as git prints them ("error: object
	// <id>: <msgId>: <text>", warnings too); nil: not printed (the error still says).
	Report io.Writer
}

// Incoming receives the packs of one fetch into a quarantine, so that the repository
// gains all of them or none. Each pack is indexed (and, when fetch.fsckObjects says so,
// checked) into objects/pack under git's temporary names, tmp_pack_* and tmp_idx_*,
// which no reader of the repository opens as a pack; Commit runs the checks that need
// every received object and only then renames the packs into place, each pack before
// its index. Abort, or a failed Commit, deletes them: a fetch that fails leaves
// objects/pack as it was. A process killed in between leaves only tmp_* files, which
// git ignores and `git gc` (git prune) removes once old.
//
// Has, Read, Stat and Type see the repository and the staged packs together, so a
// fetch can check that its wanted tips arrived, and a thin pack can take its bases from
// a pack staged before it, before anything is installed.
type Incoming struct {
	r      *Repo
	dir    string
	report io.Writer
	fsck   *fsck.Checker // nil: fetch.fsckObjects is off

	mu     sync.Mutex
	staged []*indexer.Staged
	packs  []*pack.Pack
	closed bool
	kept   string // see Kept
}

// Receive starts receiving packs into r. It reads the fsck settings a fetch honours,
// from the configuration git would see (system, global, the repository's, and `git -c`):
// fetch.fsckObjects, else transfer.fsckObjects (default false); when on, every received
// object gets git's checks as index-pack --strict applies them, with severities from
// fetch.fsck.<msg-id> and objects to pass from fetch.fsck.skipList (fetch does not read
// fsck.<msg-id>, as git does not).
func (r *Repo) Receive(o ReceiveOptions) (*Incoming, error) {
	dir := filepath.Join(r.ObjectDir(), "pack")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	in := &Incoming{r: r, dir: dir, report: o.Report}
	opt, err := r.fetchFsckOptions(o.Report)
	if err != nil {
		return nil, err
	}
	if opt != nil {
		in.fsck = fsck.NewChecker(r.format, opt, func(m fsck.Message) {
			if o.Report != nil {
				fmt.Fprintln(o.Report, m.Line())
			}
		})
	}
	return in, nil
}

// fetchFsckOptions reads what git's fetch-pack reads to decide on and tune
// `index-pack --strict`; nil when fsckObjects is off.
func (r *Repo) fetchFsckOptions(report io.Writer) (*fsck.Options, error) {
	cfg, err := gitconfig.ReadAll(filepath.Join(r.commonDir, "config"))
	if err != nil {
		return nil, err
	}
	on := false
	for _, sec := range []string{"fetch", "transfer"} {
		if e, ok := cfg.LookupEntry(sec, "", "fsckobjects"); ok {
			if on, err = gitconfig.Bool(e.Value, e.NoValue); err != nil {
				return nil, fmt.Errorf("%s.fsckObjects: %w", sec, err)
			}
			break
		}
	}
	if !on {
		return nil, nil
	}
	opt := &fsck.Options{Strict: true, Links: true}
	for _, e := range cfg.Section("fetch", "fsck") {
		if e.NoValue {
			return nil, fmt.Errorf("%w: missing value for 'fetch.fsck.%s'", fsck.ErrConfig, e.Key)
		}
		if e.Key == "skiplist" {
			path := e.Value
			if rest, ok := strings.CutPrefix(path, "~/"); ok {
				if home, err := os.UserHomeDir(); err == nil {
					path = filepath.Join(home, rest)
				}
			}
			if err := opt.ReadSkipList(path, r.format); err != nil {
				return nil, err
			}
			continue
		}
		if err := opt.Set(e.Key, e.Value); errors.Is(err, fsck.ErrUnknownMsgID) {
			if report != nil {
				fmt.Fprintf(report, "warning: Skipping unknown msg id '%s'\n", e.Key)
			}
		} else if err != nil {
			return nil, fmt.Errorf("fetch.fsck.%s: %w", e.Key, err)
		}
	}
	return opt, nil
}

// Checking reports whether received objects are checked (fetch.fsckObjects).
func (in *Incoming) Checking() bool { return in.fsck != nil }

// IndexPack receives one pack stream (git index-pack --stdin [--fix-thin] [--strict])
// into the quarantine. It may be called for several packs at once.
func (in *Incoming) IndexPack(rd io.Reader, opt IndexOptions) (IndexResult, error) {
	iopt := indexer.Options{Format: in.r.format, FixThin: opt.FixThin, Bases: in, Progress: opt.Progress, Links: opt.Links}
	if in.fsck != nil {
		iopt.Check, iopt.Strict = in.fsck.Object, true
	}
	st, err := indexer.Stage(rd, in.dir, iopt)
	if err != nil {
		return IndexResult{}, err
	}
	p, err := pack.Open(st.TmpPack, st.TmpIdx, in.r.format)
	if err != nil {
		st.Remove()
		return IndexResult{}, err
	}
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.closed {
		p.Close()
		st.Remove()
		return IndexResult{}, errors.New("receive: pack indexed after the fetch ended")
	}
	in.staged = append(in.staged, st)
	in.packs = append(in.packs, p)
	return st.Result, nil
}

func (in *Incoming) snapshot() []*pack.Pack {
	in.mu.Lock()
	defer in.mu.Unlock()
	return in.packs[:len(in.packs):len(in.packs)]
}

// Has reports whether h is in the repository or a staged pack.
func (in *Incoming) Has(h object.Hash) bool {
	if in.r.Has(h) {
		return true
	}
	for _, p := range in.snapshot() {
		if p.Has(h) {
			return true
		}
	}
	return false
}

// Read reads h from the repository or a staged pack.
func (in *Incoming) Read(h object.Hash) (object.Type, []byte, error) {
	t, data, err := in.r.Read(h)
	if err == nil || !errors.Is(err, ErrNotFound) {
		return t, data, err
	}
	for _, p := range in.snapshot() {
		if p.Has(h) {
			return p.Read(h, in.Read)
		}
	}
	return 0, nil, err
}

// Stat returns h's type and size, from the repository or a staged pack.
func (in *Incoming) Stat(h object.Hash) (object.Type, int64, error) {
	for _, p := range in.snapshot() {
		if p.Has(h) {
			return p.Stat(h, in.Read)
		}
	}
	return in.r.Stat(h)
}

// Type returns h's type without inflating it where it can.
func (in *Incoming) Type(h object.Hash) (object.Type, error) {
	for _, p := range in.snapshot() {
		if p.Has(h) {
			return p.Type(h, in.Type)
		}
	}
	t, _, err := in.r.Stat(h)
	return t, err
}

// Commit finishes the checks that need every received object (the .gitmodules and
// .gitattributes blobs trees named; every object a received one names exists, with its
// type), then installs the staged packs. If a check fails, nothing is installed.
func (in *Incoming) Commit() error {
	in.mu.Lock()
	if in.closed {
		in.mu.Unlock()
		return errors.New("receive: fetch already ended")
	}
	in.mu.Unlock()
	if in.fsck != nil {
		if err := in.fsck.Finish(in); err != nil {
			in.Abort()
			return err
		}
	}
	in.mu.Lock()
	defer in.mu.Unlock()
	in.closed = true
	in.closePacks()
	var err error
	for _, st := range in.staged {
		if err == nil {
			if len(in.staged) == 1 && st.SelfContained {
				in.kept, err = st.InstallKept()
			} else {
				err = st.Install()
			}
		}
		st.Remove() // nothing once installed; the rest after a failure
	}
	in.staged = nil
	in.r.allPacks(true)
	return err
}

// Kept is, after a Commit that installed a single pack indexed with IndexOptions.Links
// and found self-contained, the path of the .keep file that protects it until the
// fetch's refs are written (git's "lock" of a fetched pack; the caller, or git told of
// it, removes it); "" otherwise.
func (in *Incoming) Kept() string {
	in.mu.Lock()
	defer in.mu.Unlock()
	return in.kept
}

// Abort deletes every staged pack. It is safe to call after Commit, and more than once.
func (in *Incoming) Abort() {
	in.mu.Lock()
	defer in.mu.Unlock()
	in.closed = true
	in.closePacks()
	for _, st := range in.staged {
		st.Remove()
	}
	in.staged = nil
}

func (in *Incoming) closePacks() {
	for _, p := range in.packs {
		p.Close()
	}
	in.packs = nil
}
