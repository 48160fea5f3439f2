package quote

import "testing"

func TestC(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"refs/heads/main", "refs/heads/main"},
		{"with space", "with space"},
		{"", ""},
		{"a\x1b[31mred", `"a\033[31mred"`},
		{"tab\there", `"tab\there"`},
		{"\a\b\t\n\v\f\r", `"\a\b\t\n\v\f\r"`},
		{`q"uote`, `"q\"uote"`},
		{`back\slash`, `"back\\slash"`},
		{"del\x7f", `"del\177"`},
		{"nul\x00", `"nul\000"`},
		{"caf\u00e9", `"caf\303\251"`},
		{"refs/heads/x\x1b[31mred/LOCK#.lock", `"refs/heads/x\033[31mred/LOCK#.lock"`},
	} {
		if got := C(tc.in); got != tc.want {
			t.Errorf("C(%q) = %s, want %s", tc.in, got, tc.want)
		}
	}
}

func TestQ(t *testing.T) {
	for in, want := range map[string]string{"": `""`, "refs/heads/main": `"refs/heads/main"`, "a\x1bb": `"a\033b"`, `"`: `"\""`} {
		if got := Q(in); got != want {
			t.Errorf("Q(%q) = %s, want %s", in, got, want)
		}
	}
}
