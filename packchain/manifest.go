package packchain

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"sort"
	"time"

	"git-remote-object-store/gitpack/object"
)

// Limits on a manifest read from the bucket: it is outside input.
const (
	MaxManifestBytes = 64 << 20
	maxRefName       = 4096
)

// ErrManifest: the manifest on the bucket is not one this version can trust.
var ErrManifest = errors.New("bad manifest")

// Manifest is the decoded manifest.json.
type Manifest struct {
	Version      int               `json:"version"`
	ObjectFormat string            `json:"object_format"`
	Head         string            `json:"head,omitempty"`
	Refs         map[string]string `json:"refs"`
	Protected    []string          `json:"protected,omitempty"`
	Packs        []PackEntry       `json:"packs"`
	// Retired lists packs compaction took out of Packs, with when: gc deletes them once
	// the grace period has passed since then, not since their upload, because a fetch that
	// read the previous manifest may still be downloading them.
	Retired []Retired `json:"retired,omitempty"`
}

// Retired is a pack the manifest no longer names, awaiting gc.
type Retired struct {
	Name  string    `json:"name"`
	Since time.Time `json:"since"`
}

// PackEntry describes one pack named by the manifest.
type PackEntry struct {
	Name    string    `json:"name"` // "pack-<hex>": its set name (pack.SetName) or its trailer
	Size    int64     `json:"size"`
	Objects int64     `json:"objects"`
	Tips    []string  `json:"tips"`
	Prereqs []string  `json:"prereqs"`
	Created time.Time `json:"created"`
}

var packNameRE = regexp.MustCompile(`^pack-([0-9a-f]{40}|[0-9a-f]{64})$`)

// NewManifest is the manifest of an empty remote.
func NewManifest(f object.Format) *Manifest {
	return &Manifest{Version: 1, ObjectFormat: f.String(), Refs: map[string]string{}}
}

// Format is the manifest's object format.
func (m *Manifest) Format() object.Format {
	f, _ := object.ParseFormat(m.ObjectFormat)
	return f
}

// DecodeManifest reads and validates a manifest. Every id must be a full hex id of the
// manifest's format and every pack name well formed; ref names are checked by the caller
// with git's rules before any reaches the local repository.
func DecodeManifest(r io.Reader) (*Manifest, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxManifestBytes+1))
	if err != nil {
		return nil, fmt.Errorf("read manifest: %w", err)
	}
	if len(data) > MaxManifestBytes {
		return nil, fmt.Errorf("%w: larger than %d bytes", ErrManifest, MaxManifestBytes)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	var m Manifest
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrManifest, err)
	}
	if dec.More() {
		return nil, fmt.Errorf("%w: trailing data after the JSON object", ErrManifest)
	}
	if err := m.validate(); err != nil {
		return nil, err
	}
	return &m, nil
}

func (m *Manifest) validate() error {
	if m.Version != 1 {
		return fmt.Errorf("%w: version %d (this tool reads version 1; upgrade it)", ErrManifest, m.Version)
	}
	f, err := object.ParseFormat(m.ObjectFormat)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrManifest, err)
	}
	if m.Refs == nil {
		m.Refs = map[string]string{}
	}
	checkID := func(what, s string) error {
		if _, err := object.ParseHashFormat(s, f); err != nil || s != string(bytes.ToLower([]byte(s))) {
			return fmt.Errorf("%w: %s %q is not a lower-case %s id", ErrManifest, what, trim(s), f)
		}
		return nil
	}
	for name, id := range m.Refs {
		if name == "" || len(name) > maxRefName {
			return fmt.Errorf("%w: ref name of %d bytes", ErrManifest, len(name))
		}
		if err := checkID("ref "+trim(name), id); err != nil {
			return err
		}
	}
	if len(m.Head) > maxRefName {
		return fmt.Errorf("%w: head of %d bytes", ErrManifest, len(m.Head))
	}
	seen := map[string]bool{}
	for i, p := range m.Packs {
		if !packNameRE.MatchString(p.Name) || len(p.Name) != len("pack-")+f.HexSize() {
			return fmt.Errorf("%w: pack %d has name %q", ErrManifest, i, trim(p.Name))
		}
		if seen[p.Name] {
			return fmt.Errorf("%w: pack %s listed twice", ErrManifest, p.Name)
		}
		seen[p.Name] = true
		if p.Size < 0 || p.Objects < 0 {
			return fmt.Errorf("%w: pack %s has negative size or count", ErrManifest, p.Name)
		}
		for _, id := range p.Tips {
			if err := checkID("tip of "+p.Name, id); err != nil {
				return err
			}
		}
		for _, id := range p.Prereqs {
			if err := checkID("prereq of "+p.Name, id); err != nil {
				return err
			}
		}
	}
	for i, r := range m.Retired {
		if !packNameRE.MatchString(r.Name) || len(r.Name) != len("pack-")+f.HexSize() {
			return fmt.Errorf("%w: retired pack %d has name %q", ErrManifest, i, trim(r.Name))
		}
	}
	return nil
}

func trim(s string) string {
	if len(s) > 80 {
		return s[:80] + "…"
	}
	return s
}

// Encode writes the manifest deterministically (sorted refs and protected names,
// indented) so equal manifests are equal bytes.
func (m *Manifest) Encode() ([]byte, error) {
	c := *m
	c.Protected = slices.Clone(m.Protected)
	sort.Strings(c.Protected)
	c.Protected = slices.Compact(c.Protected)
	if c.Refs == nil {
		c.Refs = map[string]string{}
	}
	if c.Packs == nil {
		c.Packs = []PackEntry{}
	}
	out, err := json.MarshalIndent(&c, "", " ")
	if err != nil {
		return nil, err
	}
	return append(out, '\n'), nil
}

// Clone returns a deep copy, so a lost compare-and-swap can start again from the original.
func (m *Manifest) Clone() *Manifest {
	c := *m
	c.Refs = make(map[string]string, len(m.Refs))
	for k, v := range m.Refs {
		c.Refs[k] = v
	}
	c.Protected = slices.Clone(m.Protected)
	c.Packs = make([]PackEntry, len(m.Packs))
	for i, p := range m.Packs {
		p.Tips = slices.Clone(p.Tips)
		p.Prereqs = slices.Clone(p.Prereqs)
		c.Packs[i] = p
	}
	c.Retired = slices.Clone(m.Retired)
	return &c
}

// refNames is the names of the manifest's refs, sorted.
func (m *Manifest) refNames() []string {
	names := make([]string, 0, len(m.Refs))
	for name := range m.Refs {
		names = append(names, name)
	}
	slices.Sort(names)
	return names
}

// IsProtected reports whether ref is protected.
func (m *Manifest) IsProtected(ref string) bool { return slices.Contains(m.Protected, ref) }

// HasPack reports whether the manifest names the pack.
func (m *Manifest) HasPack(name string) bool { return m.pack(name) != nil }

// pack returns a copy of the manifest's entry for the pack name, or nil.
func (m *Manifest) pack(name string) *PackEntry {
	if i := slices.IndexFunc(m.Packs, func(p PackEntry) bool { return p.Name == name }); i >= 0 {
		p := m.Packs[i]
		return &p
	}
	return nil
}
