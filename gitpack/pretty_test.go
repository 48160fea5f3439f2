package gitpack

import "testing"

// TestIdentDates covers what the installed git cannot show as an oracle: newer git's
// "Z" for a zero offset in strict ISO dates, and offsets written oddly in a commit.
func TestIdentDates(t *testing.T) {
	for _, c := range []struct {
		line  string
		which byte
		want  string
	}{
		{"A <a@b> 0 +0000", 'I', "1970-01-01T00:00:00Z"},
		{"A <a@b> 0 +0000", 'd', "Thu Jan 1 00:00:00 1970 +0000"},
		{"A <a@b> 1700000000 -0130", 'I', "2023-11-14T20:43:20-01:30"},
		{"A <a@b> 1700000000 -0130", 'D', "Tue, 14 Nov 2023 20:43:20 -0130"},
		{"A <a@b> 1700000000 +0099", 'i', "2023-11-14 23:52:20 +0099"},
		{"A <a@b> 1700000000 +0530", 's', "2023-11-15"},
	} {
		if got := parseIdent([]byte(c.line)).date(c.which); got != c.want {
			t.Errorf("%%a%c of %q = %q, want %q", c.which, c.line, got, c.want)
		}
	}
}

func TestExpandMagic(t *testing.T) {
	c := &commitFormat{message: []byte("subject\n")}
	for _, x := range []struct{ before, format, want string }{
		{"text\n\n", "%-b", "text"},        // an empty expansion eats the newlines before it
		{"text\n", "%-s", "text\nsubject"}, // a non-empty one does not
		{"", "%+s|%+b|% s", "\nsubject|| subject"},
		{"", "%+z %", "z %"},
	} {
		if got := string(c.expand([]byte(x.before), x.format)); got != x.want {
			t.Errorf("%q then %q: got %q, want %q", x.before, x.format, got, x.want)
		}
	}
}
