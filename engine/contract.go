package engine

import (
	"context"
	"io"
	"time"

	"git-remote-object-store/gitpack"
	"git-remote-object-store/store"
)

// Engine names, as ?engine= spells them and FORMAT-less buckets are classified.
const (
	Bundle    = "bundle"
	Packchain = "packchain"
)

// Transport is what the remote helper drives: list, fetch and push. The local repository
// is bound when the engine is made, so the methods do not mention it.
type Transport interface {
	Caps() Caps
	List(ctx context.Context, forPush bool) ([]Ref, error)
	Fetch(ctx context.Context, wants []Ref, o Options) error
	Push(ctx context.Context, updates []Update, o Options) ([]Result, error)
}

// Manager is what the branch verbs (ls, protect, unprotect, delete-branch) need; it works
// without a local repository.
type Manager interface {
	// Refs lists every ref with its protection, and the ref HEAD names ("" for none).
	Refs(ctx context.Context) ([]RefInfo, string, error)
	SetProtected(ctx context.Context, ref string, on bool) error
	// SetHead makes ref, a branch the remote has, its default branch (what HEAD names,
	// and what a clone checks out).
	SetHead(ctx context.Context, ref string) error
	// DeleteRef deletes ref as a push deleting it would: a protected ref is refused, and
	// so is the remote's default branch unless force (ErrDeleteCurrent); with force, HEAD
	// moves to another branch and a warning says which.
	DeleteRef(ctx context.Context, ref string, force bool) error
}

// Engine is the contract both storage engines implement.
type Engine interface {
	Transport
	Manager
	// Doctor inspects the remote's layout for damage; it changes nothing (a Finding's Fix
	// does, when the caller runs it).
	Doctor(ctx context.Context, o DoctorOptions) (Diagnosis, error)
}

// Maintainer is implemented by an engine that keeps incremental packs it can merge,
// collect and read in place (packchain); the bundle engine has nothing to maintain.
type Maintainer interface {
	Compact(ctx context.Context, o CompactOptions) (CompactResult, error)
	GC(ctx context.Context, grace time.Duration, dryRun bool) ([]GCItem, error)
	// Cat writes one file (or lists one directory) of rev to w without cloning.
	Cat(ctx context.Context, rev, path string, w io.Writer) error
}

// Config is what both engine constructors take.
type Config struct {
	Store store.Store   // scoped to the remote's prefix
	Repo  *gitpack.Repo // the local repository; nil for verbs that need none
	Warn  io.Writer     // warnings (always printed); nil: discarded
	Zip   bool          // mirror each pushed ref's tree as <ref>/repo.zip (?zip=1)

	LockTTL  time.Duration // per-ref lock lifetime (bundle); 0: reflock.TTLFromEnv()
	Parallel int           // concurrent downloads; 0: the engine's default
}

// WarnOrDiscard is c.Warn, or io.Discard when none was given.
func (c Config) WarnOrDiscard() io.Writer {
	if c.Warn == nil {
		return io.Discard
	}
	return c.Warn
}

// DoctorOptions tune Doctor.
type DoctorOptions struct {
	// Now is the store's clock (lock ages are judged against it); zero: this machine's.
	Now time.Time
	// TmpDir holds scratch repositories a repair builds in ("" = the system's temp dir).
	TmpDir string
}

// Diagnosis is what Doctor found: problems, each perhaps with a fix, and notes that are
// worth knowing but need no action (unreferenced packs gc will remove, say).
type Diagnosis struct {
	Findings []Finding
	Notes    []string
}

// CompactOptions tune Compact.
type CompactOptions struct {
	// MaxPacks: compact only when the manifest names more packs than this (0: always,
	// which also drops what deleted branches left behind).
	MaxPacks int
	TmpDir   string // scratch for the packs being merged ("" = the system's temp dir)
	Progress io.Writer
}

// CompactResult says what a compaction did.
type CompactResult struct {
	Before  int    // packs the manifest named
	Pack    string // the merged pack ("" when nothing was done)
	Objects int64
	Size    int64
}

// DefaultGrace is how long gc leaves a pack the manifest stopped naming: a fetch that read
// the previous manifest may still be downloading it.
const DefaultGrace = 24 * time.Hour

// GCItem is one pack gc deletes (or would delete).
type GCItem struct {
	Name   string
	Bytes  int64  // .pack and .idx together
	Reason string // "retired by compaction" or "never named (a lost race or an interrupted push)"
}
