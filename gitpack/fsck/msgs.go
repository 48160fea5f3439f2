// Package fsck checks git objects the way git's fsck.c does when git receives them
// (git index-pack --strict, which `git fetch` runs when fetch.fsckObjects or
// transfer.fsckObjects is set): malformed commits, tags and trees, dangerous tree entries
// (".git", "..", ".gitmodules" symlinks and their HFS+/NTFS aliases) and dangerous
// .gitmodules and .gitattributes contents, each reported under git's message id with
// git's severity, which configuration can change (fsck.<id>, fetch.fsck.<id>).
//
// A Checker is given each object as it is received (Object) and then, once every object
// is at hand, checks what needs other objects (Finish): the blobs trees name .gitmodules
// or .gitattributes, and, under Options.Links, that every object a received object names
// exists with the type it is named as.
package fsck

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"

	"git-remote-object-store/gitpack/object"
)

// Severity is what a message costs, as git's enum fsck_msg_type.
type Severity int8

const (
	Ignore Severity = iota // not reported
	Info                   // reported as a warning; never promoted by Strict
	Fatal                  // an error that configuration cannot demote
	Error                  // the object is refused
	Warn                   // reported; an error under Strict unless configured
)

func (s Severity) String() string {
	switch s {
	case Ignore:
		return "ignore"
	case Info:
		return "info"
	case Fatal:
		return "fatal"
	case Error:
		return "error"
	case Warn:
		return "warn"
	}
	return fmt.Sprintf("severity(%d)", int(s))
}

// ParseSeverity reads the values fsck.<id> takes: error, warn, ignore.
func ParseSeverity(s string) (Severity, error) {
	switch s {
	case "error":
		return Error, nil
	case "warn":
		return Warn, nil
	case "ignore":
		return Ignore, nil
	}
	return 0, fmt.Errorf("%w: unknown fsck message type: '%s'", ErrConfig, s)
}

// MsgID names one check, as git's enum fsck_msg_id; String is git's camelCase name.
type MsgID int

// The message ids of the object checks, with their default severities (git's fsck.h).
// Ids of git's ref and packed-refs checks are not here: nothing received is a ref file.
const (
	NulInHeader MsgID = iota
	UnterminatedHeader
	BadHeaderContinuation
	BadDate
	BadDateOverflow
	BadEmail
	BadGpgsig
	BadName
	BadObjectSha1
	BadParentSha1
	BadTimezone
	BadTree
	BadTreeSha1
	BadType
	DuplicateEntries
	GitattributesBlob
	GitattributesLarge
	GitattributesLineLength
	GitattributesMissing
	GitmodulesBlob
	GitmodulesLarge
	GitmodulesMissing
	GitmodulesName
	GitmodulesPath
	GitmodulesSymlink
	GitmodulesUpdate
	GitmodulesURL
	MissingAuthor
	MissingCommitter
	MissingEmail
	MissingNameBeforeEmail
	MissingObject
	MissingSpaceBeforeDate
	MissingSpaceBeforeEmail
	MissingTag
	MissingTagEntry
	MissingTree
	MissingType
	MissingTypeEntry
	MultipleAuthors
	TreeNotSorted
	UnknownType
	ZeroPaddedDate
	EmptyName
	FullPathname
	HasDot
	HasDotdot
	HasDotgit
	LargePathname
	NullSha1
	NulInCommit
	ZeroPaddedFilemode
	BadFilemode
	BadTagName
	GitattributesSymlink
	GitignoreSymlink
	GitmodulesParse
	MailmapSymlink
	MissingTaggerEntry
	ExtraHeaderEntry
	numMsgs
)

var msgInfo = [numMsgs]struct {
	name string
	def  Severity
}{
	NulInHeader:             {"nulInHeader", Fatal},
	UnterminatedHeader:      {"unterminatedHeader", Fatal},
	BadHeaderContinuation:   {"badHeaderContinuation", Error},
	BadDate:                 {"badDate", Error},
	BadDateOverflow:         {"badDateOverflow", Error},
	BadEmail:                {"badEmail", Error},
	BadGpgsig:               {"badGpgsig", Error},
	BadName:                 {"badName", Error},
	BadObjectSha1:           {"badObjectSha1", Error},
	BadParentSha1:           {"badParentSha1", Error},
	BadTimezone:             {"badTimezone", Error},
	BadTree:                 {"badTree", Error},
	BadTreeSha1:             {"badTreeSha1", Error},
	BadType:                 {"badType", Error},
	DuplicateEntries:        {"duplicateEntries", Error},
	GitattributesBlob:       {"gitattributesBlob", Error},
	GitattributesLarge:      {"gitattributesLarge", Error},
	GitattributesLineLength: {"gitattributesLineLength", Error},
	GitattributesMissing:    {"gitattributesMissing", Error},
	GitmodulesBlob:          {"gitmodulesBlob", Error},
	GitmodulesLarge:         {"gitmodulesLarge", Error},
	GitmodulesMissing:       {"gitmodulesMissing", Error},
	GitmodulesName:          {"gitmodulesName", Error},
	GitmodulesPath:          {"gitmodulesPath", Error},
	GitmodulesSymlink:       {"gitmodulesSymlink", Error},
	GitmodulesUpdate:        {"gitmodulesUpdate", Error},
	GitmodulesURL:           {"gitmodulesUrl", Error},
	MissingAuthor:           {"missingAuthor", Error},
	MissingCommitter:        {"missingCommitter", Error},
	MissingEmail:            {"missingEmail", Error},
	MissingNameBeforeEmail:  {"missingNameBeforeEmail", Error},
	MissingObject:           {"missingObject", Error},
	MissingSpaceBeforeDate:  {"missingSpaceBeforeDate", Error},
	MissingSpaceBeforeEmail: {"missingSpaceBeforeEmail", Error},
	MissingTag:              {"missingTag", Error},
	MissingTagEntry:         {"missingTagEntry", Error},
	MissingTree:             {"missingTree", Error},
	MissingType:             {"missingType", Error},
	MissingTypeEntry:        {"missingTypeEntry", Error},
	MultipleAuthors:         {"multipleAuthors", Error},
	TreeNotSorted:           {"treeNotSorted", Error},
	UnknownType:             {"unknownType", Error},
	ZeroPaddedDate:          {"zeroPaddedDate", Error},
	EmptyName:               {"emptyName", Warn},
	FullPathname:            {"fullPathname", Warn},
	HasDot:                  {"hasDot", Warn},
	HasDotdot:               {"hasDotdot", Warn},
	HasDotgit:               {"hasDotgit", Warn},
	LargePathname:           {"largePathname", Warn},
	NullSha1:                {"nullSha1", Warn},
	NulInCommit:             {"nulInCommit", Warn},
	ZeroPaddedFilemode:      {"zeroPaddedFilemode", Warn},
	BadFilemode:             {"badFilemode", Info},
	BadTagName:              {"badTagName", Info},
	GitattributesSymlink:    {"gitattributesSymlink", Info},
	GitignoreSymlink:        {"gitignoreSymlink", Info},
	GitmodulesParse:         {"gitmodulesParse", Info},
	MailmapSymlink:          {"mailmapSymlink", Info},
	MissingTaggerEntry:      {"missingTaggerEntry", Info},
	ExtraHeaderEntry:        {"extraHeaderEntry", Ignore},
}

func (id MsgID) String() string {
	if id < 0 || id >= numMsgs {
		return fmt.Sprintf("msgid(%d)", int(id))
	}
	return msgInfo[id].name
}

// Default is the id's severity when nothing configures it and Strict is off.
func (id MsgID) Default() Severity { return msgInfo[id].def }

// AllMsgIDs lists every id this package knows.
func AllMsgIDs() []MsgID {
	out := make([]MsgID, numMsgs)
	for i := range out {
		out[i] = MsgID(i)
	}
	return out
}

// ParseMsgID finds an id by its name in any case ("badDate", "baddate"), as git's
// config keys arrive lower-cased.
func ParseMsgID(s string) (MsgID, bool) {
	for i, m := range msgInfo {
		if strings.EqualFold(m.name, s) {
			return MsgID(i), true
		}
	}
	return 0, false
}

// ErrConfig: an fsck setting git would refuse.
var ErrConfig = errors.New("fsck: bad configuration")

// ErrUnknownMsgID: a setting for a message id this package does not know (git warns
// "Skipping unknown msg id" for fetch.fsck.<id> and goes on).
var ErrUnknownMsgID = errors.New("fsck: unknown message id")

// DefaultMaxPathLen is the longest tree entry name largePathname lets through.
const DefaultMaxPathLen = 4096

// Options say how strict the checks are. The zero value is git fsck's defaults.
type Options struct {
	// Strict makes every warning whose severity is not configured an error and a
	// 100664 mode a bad one (git index-pack --strict, as fetch runs it).
	Strict bool
	// Links checks, in Finish, that every object a checked object names exists with the
	// type it is named as (index-pack --strict's connectivity check).
	Links bool
	// MaxPathLen is the longest entry name largePathname allows (0: DefaultMaxPathLen);
	// fsck.largePathname=warn:<n> sets it.
	MaxPathLen int

	severity map[MsgID]Severity
	skip     map[object.Hash]bool
}

// Severity is the effective severity of id.
func (o *Options) Severity(id MsgID) Severity {
	if s, ok := o.severity[id]; ok {
		return s
	}
	s := msgInfo[id].def
	if o.Strict && s == Warn {
		s = Error
	}
	return s
}

// Set configures one message as fsck.<id>=<value> does: value is error, warn or ignore
// (for largePathname optionally followed by ":<max length>"); a fatal message cannot be
// made anything but an error. An id this package does not know is ErrUnknownMsgID.
func (o *Options) Set(id, value string) error {
	m, ok := ParseMsgID(id)
	if !ok {
		return fmt.Errorf("%w: '%s'", ErrUnknownMsgID, id)
	}
	if m == LargePathname {
		if v, n, found := strings.Cut(value, ":"); found {
			max, err := strconv.ParseInt(n, 10, 64)
			if err != nil || max < 0 {
				return fmt.Errorf("%w: unable to parse max tree entry len: %s", ErrConfig, n)
			}
			value, o.MaxPathLen = v, int(min(max, 1<<31-1))
			if o.MaxPathLen == 0 {
				o.MaxPathLen = -1 // any name is too long
			}
		}
	}
	s, err := ParseSeverity(value)
	if err != nil {
		return err
	}
	if s != Error && msgInfo[m].def == Fatal {
		return fmt.Errorf("%w: Cannot demote %s to %s", ErrConfig, id, value)
	}
	if o.severity == nil {
		o.severity = map[MsgID]Severity{}
	}
	o.severity[m] = s
	return nil
}

// Skip adds objects whose messages are never reported (fsck.skipList).
func (o *Options) Skip(ids ...object.Hash) {
	if o.skip == nil {
		o.skip = map[object.Hash]bool{}
	}
	for _, h := range ids {
		o.skip[h] = true
	}
}

// ReadSkipList reads a skip list file as git does: one full object id per line; '#'
// starts a comment, blank lines and surrounding whitespace are ignored.
func (o *Options) ReadSkipList(path string, f object.Format) error {
	file, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("%w: could not open object name list: %s", ErrConfig, path)
	}
	defer file.Close()
	sc := bufio.NewScanner(file)
	sc.Buffer(make([]byte, 4096), 1<<20)
	for sc.Scan() {
		line, _, _ := strings.Cut(sc.Text(), "#")
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		h, err := object.ParseHashFormat(strings.ToLower(line), f)
		if err != nil {
			return fmt.Errorf("%w: invalid object name: %s", ErrConfig, line)
		}
		o.Skip(h)
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("%w: reading %s: %v", ErrConfig, path, err)
	}
	return nil
}

func (o *Options) maxPathLen() int {
	switch {
	case o.MaxPathLen == 0:
		return DefaultMaxPathLen
	case o.MaxPathLen < 0:
		return 0
	}
	return o.MaxPathLen
}

// Message is one finding: about which object, under which id, and what it costs.
type Message struct {
	Object   object.Hash
	Type     object.Type
	ID       MsgID
	Severity Severity // Error or Warn: fatal is reported as an error, info as a warning
	Text     string
}

// String reads as git's message, without its "error: " or "warning: " prefix.
func (m Message) String() string {
	return fmt.Sprintf("object %s: %s: %s", m.Object, m.ID, m.Text)
}

// Line is the message as git prints it: "error: object <id>: <msgId>: <text>".
func (m Message) Line() string {
	if m.Severity == Warn {
		return "warning: " + m.String()
	}
	return "error: " + m.String()
}

// Refused is an object (or the objects Finish looked at) refused. Error() is git's own
// last word on it; Messages has the findings.
type Refused struct {
	Messages []Message
	Finish   bool // found by Finish: git's "fsck error in pack objects"
}

func (e *Refused) Error() string {
	if e.Finish {
		return "fsck error in pack objects"
	}
	return "fsck error in packed object"
}

// IDs lists the message ids of the errors, for tests and callers that branch on them.
func (e *Refused) IDs() []MsgID {
	var out []MsgID
	for _, m := range e.Messages {
		out = append(out, m.ID)
	}
	return out
}
