package helper

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// parseSince reads the date of --shallow-since, which git hands the helper exactly as
// the user typed it (git's own servers get it already turned into a number by git's
// approxidate). The forms people use are read: a Unix time (also "@1700000000"), ISO
// dates with or without a time and zone, RFC 2822, "yesterday", and "<n> <unit>s ago".
// Anything else is refused rather than guessed.
func parseSince(s string, now time.Time) (time.Time, error) {
	s = strings.TrimSpace(s)
	if n, err := strconv.ParseInt(strings.TrimPrefix(s, "@"), 10, 64); err == nil {
		return time.Unix(n, 0), nil
	}
	for _, layout := range []string{time.RFC3339, "2006-01-02T15:04:05", "2006-01-02 15:04:05 -0700", "2006-01-02 15:04:05",
		"2006-01-02 15:04", "2006-01-02", time.RFC1123Z, time.RFC1123, "Mon, 2 Jan 2006 15:04:05 -0700", "Mon Jan 2 15:04:05 2006 -0700"} {
		if t, err := time.ParseInLocation(layout, s, time.Local); err == nil {
			return t, nil
		}
	}
	switch strings.ToLower(s) {
	case "now":
		return now, nil
	case "yesterday":
		return now.AddDate(0, 0, -1), nil
	}
	f := strings.Fields(strings.ToLower(strings.ReplaceAll(s, ".", " ")))
	if len(f) == 3 && f[2] == "ago" {
		n, err := strconv.Atoi(f[0])
		if err == nil && n >= 0 {
			switch strings.TrimSuffix(f[1], "s") {
			case "second":
				return now.Add(-time.Duration(n) * time.Second), nil
			case "minute":
				return now.Add(-time.Duration(n) * time.Minute), nil
			case "hour":
				return now.Add(-time.Duration(n) * time.Hour), nil
			case "day":
				return now.AddDate(0, 0, -n), nil
			case "week":
				return now.AddDate(0, 0, -7*n), nil
			case "month":
				return now.AddDate(0, -n, 0), nil
			case "year":
				return now.AddDate(-n, 0, 0), nil
			}
		}
	}
	return time.Time{}, fmt.Errorf("cannot read the date %q (give YYYY-MM-DD, a Unix time, or \"<n> days ago\")", s)
}
