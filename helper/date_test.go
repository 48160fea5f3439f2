package helper

import (
	"testing"
	"time"
)

func TestParseSince(t *testing.T) {
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	local := func(y int, m time.Month, d, h, min, s int) time.Time {
		return time.Date(y, m, d, h, min, s, 0, time.Local)
	}
	cases := []struct {
		in   string
		want time.Time
	}{
		{"1700000000", time.Unix(1700000000, 0)},
		{"@1700000000", time.Unix(1700000000, 0)},
		{"2024-03-05", local(2024, 3, 5, 0, 0, 0)},
		{"2024-03-05 10:11", local(2024, 3, 5, 10, 11, 0)},
		{"2024-03-05 10:11:12", local(2024, 3, 5, 10, 11, 12)},
		{"2024-03-05T10:11:12Z", time.Date(2024, 3, 5, 10, 11, 12, 0, time.UTC)},
		{"2024-03-05T10:11:12+02:00", time.Date(2024, 3, 5, 8, 11, 12, 0, time.UTC)},
		{"Tue, 05 Mar 2024 10:11:12 +0000", time.Date(2024, 3, 5, 10, 11, 12, 0, time.UTC)},
		{"3 days ago", now.AddDate(0, 0, -3)},
		{"1 week ago", now.AddDate(0, 0, -7)},
		{"2.weeks.ago", now.AddDate(0, 0, -14)},
		{"6 months ago", now.AddDate(0, -6, 0)},
		{"yesterday", now.AddDate(0, 0, -1)},
	}
	for _, c := range cases {
		got, err := parseSince(c.in, now)
		if err != nil || !got.Equal(c.want) {
			t.Errorf("parseSince(%q) = %v, %v; want %v", c.in, got, err, c.want)
		}
	}
	for _, bad := range []string{"", "last tuesday", "3 fortnights ago", "-2 days ago", "2024-13-40"} {
		if got, err := parseSince(bad, now); err == nil {
			t.Errorf("parseSince(%q) = %v, want an error", bad, got)
		}
	}
}

func FuzzParseSince(f *testing.F) {
	for _, s := range []string{"1700000000", "@0", "2024-03-05", "2024-03-05T10:11:12+02:00", "3 days ago", "2.weeks.ago", "yesterday", "9999999999999999999999 years ago"} {
		f.Add(s)
	}
	now := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, s string) {
		if got, err := parseSince(s, now); err == nil && got.IsZero() && s != "" {
			t.Errorf("parseSince(%q) gave the zero time without an error", s)
		}
	})
}
