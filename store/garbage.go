package store

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// Kinds of Garbage.
const (
	// GarbageMultipart: an S3 multipart upload that was initiated and never completed or
	// aborted. Its parts are billed storage until it is aborted.
	GarbageMultipart = "multipart upload"
	// GarbageBlocks: an Azure blob that exists only as uncommitted blocks (blocks were
	// staged, the block list was never committed).
	GarbageBlocks = "uncommitted blocks"
	// GarbageTemp: a local temporary upload file that was never renamed into place.
	GarbageTemp = "temporary file"
)

// Garbage is one leftover of an upload that never finished: a crashed or killed process,
// a lost network, a failed abort. It is invisible to Get, Head and List, yet it holds
// storage until someone removes it.
type Garbage struct {
	Kind string // GarbageMultipart, GarbageBlocks, GarbageTemp
	// Key is the object key the upload was writing (relative to the store it was listed
	// from, like Info.Key). It is "" when the backend cannot tell (a local temporary file
	// does not record its destination); such a leftover belongs to the whole store.
	Key string
	// Size is the number of bytes the leftover holds, or -1 when unknown.
	Size int64
	// Time is the leftover's last sign of life on the store's clock: when the upload
	// began (S3 reports nothing later), or when it was last written where the backend
	// knows that (a file's modification time, a blob's Last-Modified).
	Time time.Time
	// ID is the backend's handle on the leftover (an S3 upload id, an Azure ETag, a file
	// name). It is opaque: callers only pass it back to RemoveGarbage unchanged.
	ID string
}

// String describes g for people, e.g. `multipart upload of "packs/p.pack" (12 MiB, since 2024-05-01 10:00:00 UTC)`.
func (g Garbage) String() string {
	var b strings.Builder
	b.WriteString(g.Kind)
	if g.Key != "" {
		fmt.Fprintf(&b, " of %q", g.Key)
	} else if g.ID != "" {
		fmt.Fprintf(&b, " %s", g.ID)
	}
	var details []string
	if g.Size >= 0 {
		details = append(details, byteCount(g.Size))
	}
	if !g.Time.IsZero() {
		details = append(details, "since "+g.Time.UTC().Format("2006-01-02 15:04:05 MST"))
	}
	if len(details) > 0 {
		fmt.Fprintf(&b, " (%s)", strings.Join(details, ", "))
	}
	return b.String()
}

func byteCount(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d bytes", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit && exp < 5; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}

// Janitor is implemented by backends that can find and remove what interrupted uploads
// leave behind. It is optional: callers get it with JanitorOf and skip the clean-up when
// it is missing. Nothing in it ever reads, changes or deletes a committed object.
type Janitor interface {
	// ListGarbage calls fn, from the calling goroutine and in no promised order, once per
	// leftover whose Key starts with prefix and whose Time is before olderThan. A leftover
	// without a key is reported only when prefix is "" (it cannot be placed below any
	// prefix). Listing changes nothing on the store and creates nothing (no directory, no
	// object). An error from fn stops the listing and is returned.
	//
	// Only olderThan tells an abandoned upload from one still running: callers pick a
	// cutoff well beyond any real upload's duration (doctor and gc use a day).
	ListGarbage(ctx context.Context, prefix string, olderThan time.Time, fn func(Garbage) error) error
	// RemoveGarbage removes one leftover that ListGarbage reported, passed back
	// unchanged: it aborts the upload, drops the uncommitted blocks, deletes the file.
	// A leftover that is already gone, or that has since become a committed object, is
	// not an error; the committed object is left alone. One that shows signs of life
	// since it was listed is left alone too, with an error that wraps ErrPrecondition.
	RemoveGarbage(ctx context.Context, g Garbage) error
}
