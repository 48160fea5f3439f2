package fsck

import (
	"bytes"
	"fmt"
	"slices"
	"sync"

	"git-remote-object-store/gitpack/object"
)

// Limits on the blobs Finish reads.
const (
	// MaxGitmodulesSize: a larger .gitmodules is gitmodulesLarge. git's index-pack streams
	// blobs past core.bigFileThreshold (512 MiB) without holding them, and then cannot
	// parse one named .gitmodules.
	MaxGitmodulesSize = 512 << 20
	// MaxGitattributesSize and MaxAttrLineLength are git's ATTR_MAX_FILE_SIZE and
	// ATTR_MAX_LINE_LENGTH.
	MaxGitattributesSize = 100 << 20
	MaxAttrLineLength    = 2048
)

// Source is where Finish reads the objects it needs: the received objects and those of
// the repository receiving them.
type Source interface {
	// Type is the type of h, cheaply: it is asked of every object a received one names.
	Type(h object.Hash) (object.Type, error)
	Stat(h object.Hash) (object.Type, int64, error)
	Read(h object.Hash) (object.Type, []byte, error)
}

// LinkError is a received object naming an object that is neither received nor in the
// repository, or that has another type: index-pack --strict's connectivity check. Its
// text is git's.
type LinkError struct {
	Object object.Hash
	Text   string
}

func (e *LinkError) Error() string { return e.Text }

// Checker checks the objects of one transfer. Its methods may be called from several
// goroutines at once.
type Checker struct {
	opt    *Options
	format object.Format
	report func(Message)

	mu            sync.Mutex
	gitmodules    map[object.Hash]bool
	gitattributes map[object.Hash]bool
	links         map[object.Hash]object.Type // the type each named object must have; 0: any
	seen          map[object.Hash]object.Type // the commits, trees and tags checked
}

// NewChecker returns a checker for objects of format f. report, if not nil, is told
// every message (errors and warnings) as it is found, one at a time.
func NewChecker(f object.Format, opt *Options, report func(Message)) *Checker {
	if opt == nil {
		opt = &Options{}
	}
	return &Checker{opt: opt, format: f, report: report,
		gitmodules: map[object.Hash]bool{}, gitattributes: map[object.Hash]bool{},
		links: map[object.Hash]object.Type{}, seen: map[object.Hash]object.Type{}}
}

// Object checks one object, as git's fsck_object does: a *Refused when a message of
// error severity was found. data may be nil for a blob: blobs are only read if a tree
// names them .gitmodules or .gitattributes, by Finish. Under Options.Links, a commit or
// tag git could not parse is an error too ("invalid commit").
func (c *Checker) Object(id object.Hash, t object.Type, data []byte) error {
	r := &reporter{opt: c.opt, format: c.format, id: id, typ: t}
	var modules, attrs []object.Hash
	switch t {
	case object.Blob:
		return nil
	case object.Tree:
		checkTree(r, data, func(gitmodules bool, raw []byte) {
			h, _ := object.FromBytes(raw)
			if gitmodules {
				modules = append(modules, h)
			} else {
				attrs = append(attrs, h)
			}
		})
	case object.Commit:
		checkCommit(r, data)
	case object.Tag:
		checkTag(r, data)
	default:
		r.report(UnknownType, "unknown type '%d' (internal fsck error)", int(t))
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.tell(r.msgs)
	if r.failed {
		return &Refused{Messages: r.msgs}
	}
	for _, h := range modules {
		c.gitmodules[h] = true
	}
	for _, h := range attrs {
		c.gitattributes[h] = true
	}
	if !c.opt.Links {
		return nil
	}
	c.seen[id] = t
	link := func(h object.Hash, want object.Type) {
		if old, ok := c.links[h]; !ok || old == 0 {
			c.links[h] = want
		}
	}
	switch t {
	case object.Tree:
		treeLinks(data, c.format, func(raw []byte, want object.Type) {
			h, _ := object.FromBytes(raw)
			link(h, want)
		})
	case object.Commit:
		tree, parents, ok := commitLinks(data, c.format)
		if !ok {
			return &LinkError{Object: id, Text: "invalid commit " + id.String()}
		}
		link(tree, object.Tree)
		for _, p := range parents {
			link(p, object.Commit)
		}
	case object.Tag:
		target, tt, ok := tagLinks(data, c.format)
		if !ok {
			return &LinkError{Object: id, Text: "invalid tag " + id.String()}
		}
		link(target, tt)
	}
	return nil
}

func (c *Checker) tell(msgs []Message) {
	if c.report != nil {
		for _, m := range msgs {
			c.report(m)
		}
	}
}

// Finish runs the checks that need objects other than the one checked, once every
// object of the transfer is at hand in src (git's fsck_finish, and index-pack
// --strict's check_objects): the blobs trees named .gitmodules and .gitattributes, and
// under Options.Links every object a checked object named. Every finding is reported;
// the error is a *Refused (Finish set) for messages of error severity, else a
// *LinkError.
func (c *Checker) Finish(src Source) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	var all []Message
	failed := false
	check := func(ids map[object.Hash]bool, name string, missing, nonBlob, large MsgID, max int64, fn func(r *reporter, data []byte) bool) {
		for _, h := range sortedKeys(ids) {
			r := &reporter{opt: c.opt, format: c.format, id: h, typ: object.Blob}
			t, size, err := src.Stat(h)
			switch {
			case err != nil:
				r.report(missing, "unable to read %s blob", name)
			case t != object.Blob:
				r.typ = t
				r.report(nonBlob, "non-blob found at %s", name)
			case size > max:
				r.report(large, "%s too large to parse", name)
			default:
				if _, data, err := src.Read(h); err != nil {
					r.report(missing, "unable to read %s blob", name)
				} else {
					fn(r, data)
				}
			}
			c.tell(r.msgs)
			all = append(all, r.msgs...)
			failed = failed || r.failed
		}
	}
	check(c.gitmodules, ".gitmodules", GitmodulesMissing, GitmodulesBlob, GitmodulesLarge, MaxGitmodulesSize, checkGitmodules)
	check(c.gitattributes, ".gitattributes", GitattributesMissing, GitattributesBlob, GitattributesLarge, MaxGitattributesSize, checkGitattributes)
	if failed {
		return &Refused{Messages: all, Finish: true}
	}
	for _, h := range sortedKeys(c.links) {
		want := c.links[h]
		t, ok := c.seen[h]
		if !ok {
			var err error
			if t, err = src.Type(h); err != nil {
				return &LinkError{Object: h, Text: "did not receive expected object " + h.String()}
			}
		}
		if want != 0 && t != want {
			if ok {
				return &LinkError{Object: h, Text: "object type mismatch at " + h.String()}
			}
			return &LinkError{Object: h, Text: fmt.Sprintf("object %s: expected type %s, found %s", h, want, t)}
		}
	}
	return nil
}

func sortedKeys[V any](m map[object.Hash]V) []object.Hash {
	out := make([]object.Hash, 0, len(m))
	for h := range m {
		out = append(out, h)
	}
	slices.SortFunc(out, object.Hash.Compare)
	return out
}

// checkGitattributes is the .gitattributes half of git's fsck_blob: no line (up to a
// NUL) as long as MaxAttrLineLength.
func checkGitattributes(r *reporter, data []byte) bool {
	if i := bytes.IndexByte(data, 0); i >= 0 {
		data = data[:i]
	}
	for len(data) > 0 {
		eol := bytes.IndexByte(data, '\n')
		if eol < 0 {
			eol = len(data)
		}
		if eol >= MaxAttrLineLength {
			return r.report(GitattributesLineLength, ".gitattributes has too long lines to parse")
		}
		data = data[min(eol+1, len(data)):]
	}
	return false
}

// Check runs the checks of one object on its own, as Checker.Object does, and returns
// every message (the .gitmodules and .gitattributes blobs a tree names are not
// followed). For tests and tools.
func Check(f object.Format, opt *Options, id object.Hash, t object.Type, data []byte) []Message {
	var out []Message
	NewChecker(f, opt, func(m Message) { out = append(out, m) }).Object(id, t, data)
	return out
}

// CheckGitmodules checks data as the content of a blob named .gitmodules and returns
// every message. For tests and tools.
func CheckGitmodules(f object.Format, opt *Options, id object.Hash, data []byte) []Message {
	if opt == nil {
		opt = &Options{}
	}
	r := &reporter{opt: opt, format: f, id: id, typ: object.Blob}
	checkGitmodules(r, data)
	return r.msgs
}
