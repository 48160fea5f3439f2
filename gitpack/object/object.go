// Package object holds the vocabulary every git-format package shares: object ids for
// both hash functions, object types, and the hash function of a repository.
package object

import (
	"bytes"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"strconv"
)

// ErrBadHash: text that is not a full hexadecimal object id.
var ErrBadHash = errors.New("object: not a valid object id")

// Format is a repository's object format (extensions.objectFormat).
type Format uint8

const (
	SHA1   Format = 1
	SHA256 Format = 2
)

// ParseFormat reads the names git uses ("sha1", "sha256").
func ParseFormat(name string) (Format, error) {
	switch name {
	case "sha1", "":
		return SHA1, nil
	case "sha256":
		return SHA256, nil
	}
	return 0, fmt.Errorf("object: unknown object format %q", name)
}

func (f Format) String() string {
	if f == SHA256 {
		return "sha256"
	}
	return "sha1"
}

// Size is the raw length of an id in this format.
func (f Format) Size() int {
	if f == SHA256 {
		return 32
	}
	return 20
}

// HexSize is the length of an id written in hex.
func (f Format) HexSize() int { return 2 * f.Size() }

// New returns a fresh hash function for this format.
func (f Format) New() hash.Hash {
	if f == SHA256 {
		return sha256.New()
	}
	return sha1.New()
}

// Zero is the all-zero id of this format (git's "null oid").
func (f Format) Zero() Hash { return Hash{n: uint8(f.Size())} }

// Hash is an object id of either format. It is comparable and usable as a map key.
// The zero value (no bytes at all) is "no object" and differs from Format.Zero().
type Hash struct {
	b [32]byte
	n uint8
}

// FromBytes makes a Hash of a raw 20- or 32-byte id.
func FromBytes(raw []byte) (Hash, error) {
	if len(raw) != 20 && len(raw) != 32 {
		return Hash{}, fmt.Errorf("%w: %d raw bytes", ErrBadHash, len(raw))
	}
	var h Hash
	h.n = uint8(copy(h.b[:], raw))
	return h, nil
}

// ParseHash reads a 40- or 64-digit lower- or upper-case hex id.
func ParseHash(s string) (Hash, error) {
	if len(s) != 40 && len(s) != 64 {
		return Hash{}, fmt.Errorf("%w: %q", ErrBadHash, truncate(s))
	}
	var h Hash
	if _, err := hex.Decode(h.b[:len(s)/2], []byte(s)); err != nil {
		return Hash{}, fmt.Errorf("%w: %q", ErrBadHash, truncate(s))
	}
	h.n = uint8(len(s) / 2)
	return h, nil
}

// ParseHashFormat is ParseHash that also insists on the given format's length.
func ParseHashFormat(s string, f Format) (Hash, error) {
	if len(s) != f.HexSize() {
		return Hash{}, fmt.Errorf("%w: %q is not a %s id", ErrBadHash, truncate(s), f)
	}
	return ParseHash(s)
}

func truncate(s string) string {
	if len(s) > 80 {
		return s[:80] + "…"
	}
	return s
}

// Bytes returns the raw id (20 or 32 bytes; empty for the zero Hash).
func (h Hash) Bytes() []byte { return h.b[:h.n] }

// String returns the id in lower-case hex.
func (h Hash) String() string { return hex.EncodeToString(h.b[:h.n]) }

// IsZero reports whether h is "no object": the zero Hash or an all-zero id.
func (h Hash) IsZero() bool {
	for _, c := range h.b[:h.n] {
		if c != 0 {
			return false
		}
	}
	return true
}

// Format tells which hash function produced h (by length).
func (h Hash) Format() Format {
	if h.n == 32 {
		return SHA256
	}
	return SHA1
}

// Compare orders ids bytewise, as idx files and git's sorting do.
func (h Hash) Compare(o Hash) int {
	a, b := h.b[:h.n], o.b[:o.n]
	for i := 0; i < len(a) && i < len(b); i++ {
		if a[i] != b[i] {
			if a[i] < b[i] {
				return -1
			}
			return 1
		}
	}
	return len(a) - len(b)
}

// Sum hashes an object the way git names it: "<type> <size>\0" followed by content.
func Sum(f Format, t Type, content []byte) Hash {
	return NewHasher(f).Sum(t, content)
}

// Hasher names objects one after another, reusing its hash state: for loops over many
// objects, where a fresh hash per object is most of the garbage.
type Hasher struct {
	h   hash.Hash
	buf []byte
}

func NewHasher(f Format) *Hasher { return &Hasher{h: f.New(), buf: make([]byte, 0, 64)} }

// Begin starts an object of type t and size bytes; its content is then written to the
// Hasher and End returns the id.
func (x *Hasher) Begin(t Type, size int64) {
	x.h.Reset()
	b := append(x.buf[:0], t.String()...)
	b = append(b, ' ')
	b = strconv.AppendInt(b, size, 10)
	x.h.Write(append(b, 0))
}

func (x *Hasher) Write(p []byte) (int, error) { return x.h.Write(p) }

func (x *Hasher) End() Hash {
	x.buf = x.h.Sum(x.buf[:0])
	h, _ := FromBytes(x.buf)
	return h
}

// Sum names one whole object.
func (x *Hasher) Sum(t Type, content []byte) Hash {
	x.Begin(t, int64(len(content)))
	x.h.Write(content)
	return x.End()
}

// Type is an object type as numbered in pack entry headers.
type Type uint8

const (
	Bad      Type = 0
	Commit   Type = 1
	Tree     Type = 2
	Blob     Type = 3
	Tag      Type = 4
	OfsDelta Type = 6
	RefDelta Type = 7
)

// ParseType reads the names used in loose-object headers.
func ParseType(name string) (Type, error) {
	switch name {
	case "commit":
		return Commit, nil
	case "tree":
		return Tree, nil
	case "blob":
		return Blob, nil
	case "tag":
		return Tag, nil
	}
	return Bad, fmt.Errorf("object: unknown object type %q", truncate(name))
}

func (t Type) String() string {
	switch t {
	case Commit:
		return "commit"
	case Tree:
		return "tree"
	case Blob:
		return "blob"
	case Tag:
		return "tag"
	case OfsDelta:
		return "ofs-delta"
	case RefDelta:
		return "ref-delta"
	}
	return fmt.Sprintf("type(%d)", uint8(t))
}

// IsBase reports whether t is a whole object type (not a delta).
func (t Type) IsBase() bool { return t >= Commit && t <= Tag }

// Set is a set of ids with open addressing on the ids' own bits, the ids stored flat
// (20 or 32 bytes a slot, all zero = empty: the null id is never an object). Walks test
// every tree entry of a history against such a set; Go's map of 33-byte keys spent most
// of a full walk hashing and missing the cache.
type Set struct {
	slots  []byte
	stride int // id length; 0 until the first Add
	n      int
}

// NewSet returns a set sized for about hint ids.
func NewSet(hint int) *Set {
	size := 1024
	for size < 2*hint {
		size <<= 1
	}
	return &Set{n: -size} // allocated at the first Add, when the id length is known
}

// Len is the number of ids in the set.
func (s *Set) Len() int { return max(s.n, 0) }

func prefix64(b []byte) uint64 {
	return uint64(b[0]) | uint64(b[1])<<8 | uint64(b[2])<<16 | uint64(b[3])<<24 |
		uint64(b[4])<<32 | uint64(b[5])<<40 | uint64(b[6])<<48 | uint64(b[7])<<56
}

func isZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

// Has reports whether h is in the set.
func (s *Set) Has(h Hash) bool {
	if s.stride == 0 || int(h.n) != s.stride {
		return false
	}
	return s.find(h.b[:h.n]) >= 0
}

// find returns the slot index of raw, or -1.
func (s *Set) find(raw []byte) int {
	nslots := len(s.slots) / s.stride
	mask := uint64(nslots - 1)
	for i := prefix64(raw) & mask; ; i = (i + 1) & mask {
		sl := s.slots[int(i)*s.stride : int(i+1)*s.stride]
		if string(sl) == string(raw) {
			return int(i)
		}
		if isZero(sl) {
			return -1
		}
	}
}

// Add puts h in the set and reports whether it was new. The zero Hash, null ids and ids
// of another length than the set's first are never added.
func (s *Set) Add(h Hash) bool { return s.AddRaw(h.b[:h.n]) }

// AddRaw is Add for a raw id, so a tree walk can test entries without building Hashes.
func (s *Set) AddRaw(raw []byte) bool {
	if len(raw) < 8 || isZero(raw) {
		return false
	}
	if s.stride == 0 {
		s.stride = len(raw)
		s.slots = make([]byte, -s.n*s.stride)
		s.n = 0
	}
	if len(raw) != s.stride {
		return false
	}
	if 2*(s.n+1) > len(s.slots)/s.stride {
		s.grow()
	}
	nslots := len(s.slots) / s.stride
	mask := uint64(nslots - 1)
	for i := prefix64(raw) & mask; ; i = (i + 1) & mask {
		sl := s.slots[int(i)*s.stride : int(i+1)*s.stride]
		if string(sl) == string(raw) {
			return false
		}
		if isZero(sl) {
			copy(sl, raw)
			s.n++
			return true
		}
	}
}

// Clone returns a copy of the set, which may then be used on another goroutine.
func (s *Set) Clone() *Set {
	c := *s
	c.slots = bytes.Clone(s.slots)
	return &c
}

func (s *Set) grow() {
	old := s.slots
	s.slots, s.n = make([]byte, 2*len(old)), 0
	for i := 0; i < len(old); i += s.stride {
		if sl := old[i : i+s.stride]; !isZero(sl) {
			s.AddRaw(sl)
		}
	}
}
