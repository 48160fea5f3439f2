package helper

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"git-remote-object-store/engine"
	"git-remote-object-store/gitpack/object"
)

// fakeEngine records calls; a unit-test stand-in for the protocol only (the real engines
// are exercised by git itself in the e2e suite).
type fakeEngine struct {
	kept    string // a fetch asked about connectivity installed this kept pack
	atomic  bool
	refs    []engine.Ref
	fetched []engine.Ref
	pushed  []engine.Update
	opts    engine.Options
	results func(u engine.Update) error
}

func (f *fakeEngine) Caps() engine.Caps { return engine.Caps{Atomic: f.atomic} }
func (f *fakeEngine) List(context.Context, bool) ([]engine.Ref, error) {
	return f.refs, nil
}
func (f *fakeEngine) Fetch(_ context.Context, w []engine.Ref, o engine.Options) error {
	f.fetched, f.opts = w, o
	if o.Connectivity != nil {
		o.Connectivity.Kept = f.kept
	}
	return nil
}
func (f *fakeEngine) Push(_ context.Context, u []engine.Update, o engine.Options) ([]engine.Result, error) {
	f.pushed, f.opts = u, o
	var out []engine.Result
	for _, x := range u {
		var err error
		if f.results != nil {
			err = f.results(x)
		}
		out = append(out, engine.Result{Dst: x.Dst, Err: err, Forced: x.Force && err == nil})
	}
	return out, nil
}

var (
	h1   = strings.Repeat("1", 40)
	h2   = strings.Repeat("2", 40)
	h256 = strings.Repeat("a", 64)
)

func run(t *testing.T, f *fakeEngine, in string) (string, string, error) {
	var out, errw bytes.Buffer
	err := Run(t.Context(), strings.NewReader(in), &out, Config{
		Open: func(context.Context) (engine.Transport, error) { return f, nil },
		Resolve: func(src string) (object.Hash, error) {
			if src == "refs/heads/main" {
				return object.ParseHash(h1)
			}
			return object.ParseHash(src)
		},
		Stderr: &errw,
	})
	return out.String(), errw.String(), err
}

func TestTranscripts(t *testing.T) {
	main, _ := object.ParseHash(h1)
	main256, _ := object.ParseHash(h256)
	cases := []struct {
		name, in, want string
		eng            *fakeEngine
	}{
		{"capabilities", "capabilities\n\n", "option\nfetch\npush\nobject-format\ncheck-connectivity\n\n", &fakeEngine{}},
		{"object format of sha256 ids", "option object-format true\nlist\n\n", "ok\n:object-format sha256\n" + h256 + " refs/heads/main\n\n",
			&fakeEngine{refs: []engine.Ref{{Name: "refs/heads/main", Hash: main256}}}},
		{"object format, bare option (older git)", "option object-format\nlist for-push\n\n", "ok\n:object-format sha1\n" + h1 + " refs/heads/main\n\n",
			&fakeEngine{refs: []engine.Ref{{Name: "refs/heads/main", Hash: main}}}},
		{"object format of an empty remote is git's default", "option object-format true\nlist\n\n", "ok\n\n", &fakeEngine{}},
		{"no format line unless asked", "list\n\n", h256 + " refs/heads/main\n\n",
			&fakeEngine{refs: []engine.Ref{{Name: "refs/heads/main", Hash: main256}}}},
		{"list with symref", "list\n\n", "@refs/heads/main HEAD\n" + h1 + " refs/heads/main\n\n",
			&fakeEngine{refs: []engine.Ref{{Name: "HEAD", Symref: "refs/heads/main"}, {Name: "refs/heads/main", Hash: main}}}},
		{"empty list", "list for-push\n\n", "\n", &fakeEngine{}},
		{"options", "option progress true\noption verbosity 2\noption frobnicate 1\noption atomic true\noption dry-run true\n\n",
			"ok\nok\nunsupported\nunsupported\nok\n", &fakeEngine{}},
		{"atomic supported", "option atomic true\n\n", "ok\n", &fakeEngine{atomic: true}},
		{"fetch batch", "fetch " + h1 + " refs/heads/main\nfetch " + h1 + " HEAD\n\n", "\n", &fakeEngine{}},
		{"clone fetch, connected", "option check-connectivity true\noption cloning true\nfetch " + h1 + " refs/heads/main\n\n",
			"ok\nok\nlock /r/objects/pack/pack-1.keep\nconnectivity-ok\n\n", &fakeEngine{kept: "/r/objects/pack/pack-1.keep"}},
		{"clone fetch, not found connected", "option check-connectivity true\noption cloning true\nfetch " + h1 + " refs/heads/main\n\n",
			"ok\nok\n\n", &fakeEngine{}},
		{"connectivity only for a clone", "option check-connectivity true\nfetch " + h1 + " refs/heads/main\n\n",
			"ok\n\n", &fakeEngine{kept: "/r/objects/pack/pack-1.keep"}},
		{"connectivity only for a whole clone", "option check-connectivity true\noption cloning true\noption depth 1\nfetch " + h1 + " refs/heads/main\n\n",
			"ok\nok\nok\n\n", &fakeEngine{kept: "/r/objects/pack/pack-1.keep"}},
		{"connectivity for the first fetch only", "option check-connectivity true\noption cloning true\nfetch " + h1 + " refs/heads/main\n\nfetch " + h1 + " refs/tags/v1\n\n",
			"ok\nok\nlock /r/objects/pack/pack-1.keep\nconnectivity-ok\n\n\n", &fakeEngine{kept: "/r/objects/pack/pack-1.keep"}},
		{"push ok and forced", "push refs/heads/main:refs/heads/main\npush +" + h2 + ":refs/heads/x\n\n",
			"ok refs/heads/main\nok refs/heads/x forced update\n\n", &fakeEngine{}},
		{"push refusals", "push refs/heads/main:refs/heads/a\npush refs/heads/main:refs/heads/b\npush refs/heads/main:refs/tags/t\npush refs/heads/main:refs/heads/p\n\n",
			"error refs/heads/a non-fast-forward\nerror refs/heads/b fetch first\nerror refs/tags/t already exists\nerror refs/heads/p \"protected branch: \\\"quoted\\\" text\"\n\n",
			&fakeEngine{results: func(u engine.Update) error {
				switch u.Dst {
				case "refs/heads/a":
					return engine.ErrNonFastForward
				case "refs/heads/b":
					return fmt.Errorf("moved: %w", engine.ErrFetchFirst)
				case "refs/tags/t":
					return engine.ErrAlreadyExists
				}
				return fmt.Errorf("%w: \"quoted\" text", engine.ErrProtected)
			}}},
		{"delete and lease", "option cas refs/heads/main:" + h2 + "\npush :refs/heads/main\n\n", "ok\nok refs/heads/main\n\n", &fakeEngine{}},
		// git shows it as "! [remote rejected] main (deletion of the current branch prohibited: …)".
		{"delete of the default branch", "push :refs/heads/main\n\n",
			"error refs/heads/main deletion of the current branch prohibited: it is the remote's default branch; delete it with git push --force-with-lease, and dev becomes the default\n\n",
			&fakeEngine{results: func(engine.Update) error {
				return engine.DeleteCurrentError("refs/heads/dev", engine.ForceDeletePush)
			}}},
		{"unresolvable source", "push refs/heads/nope:refs/heads/x\n\n", "error refs/heads/x \"refs/heads/nope: object: not a valid object id: \\\"refs/heads/nope\\\"\"\n\n", &fakeEngine{}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out, _, err := run(t, c.eng, c.in)
			if err != nil {
				t.Fatal(err)
			}
			if out != c.want {
				t.Fatalf("stdout\n%q\nwant\n%q", out, c.want)
			}
		})
	}
}

func TestFetchDetailsReachEngine(t *testing.T) {
	f := &fakeEngine{}
	run(t, f, "option progress true\nfetch "+h1+" refs/heads/main\nfetch "+h2+" refs/tags/v1\n\n")
	if len(f.fetched) != 2 || f.fetched[1].Name != "refs/tags/v1" || f.opts.Progress == nil {
		t.Fatalf("engine saw %+v, opts %+v", f.fetched, f.opts)
	}
}

func TestLeaseReachesEngine(t *testing.T) {
	f := &fakeEngine{}
	run(t, f, "option cas refs/heads/main:\npush refs/heads/main:refs/heads/main\n\n")
	if len(f.pushed) != 1 || !f.pushed[0].HasExpect || !f.pushed[0].Expect.IsZero() {
		t.Fatalf("a 'must not exist' lease did not reach the engine: %+v", f.pushed)
	}
}

func TestProtocolErrors(t *testing.T) {
	for _, in := range []string{
		"frobnicate\n", "fetch zz refs/heads/x\n\n", "fetch " + h1 + " refs/heads/main\npush a:b\n\n",
		"push nocolon\n\n", strings.Repeat("x", MaxLine+10) + "\n",
	} {
		if _, _, err := run(t, &fakeEngine{}, in); !errors.Is(err, ErrProtocol) && err == nil {
			t.Errorf("%q: no error", clip(in))
		}
	}
}

func FuzzHelperInput(f *testing.F) {
	f.Add("capabilities\nlist\noption progress true\nfetch " + h1 + " refs/heads/main\n\npush +a:b\n\n")
	f.Add("option object-format true\nlist for-push\nfetch " + h256 + " refs/heads/main\n\n")
	f.Add("option depth 1\noption deepen-since 1700000000\noption deepen-not refs/heads/x\noption deepen-relative true\nfetch " + h1 + " HEAD\n\n")
	f.Add("option filter blob:none\noption from-promisor true\nfetch " + h1 + " HEAD\n\n")
	f.Fuzz(func(t *testing.T, in string) {
		main256, _ := object.ParseHash(h256)
		out, _, _ := run(t, &fakeEngine{refs: []engine.Ref{{Name: "refs/heads/main", Hash: main256}}}, in)
		// Whatever git sends, stdout carries only protocol lines.
		for _, line := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
			if line == "" || line == "ok" || line == "unsupported" || line == "option" || line == "fetch" || line == "push" || line == "object-format" || line == "check-connectivity" || line == ":object-format sha256" || line == h256+" refs/heads/main" ||
				strings.HasPrefix(line, "ok ") || strings.HasPrefix(line, "error ") || strings.HasPrefix(line, "@") {
				continue
			}
			t.Fatalf("non-protocol line on stdout: %q", line)
		}
	})
}

// TestFilterFetchesEverything: a --filter is answered "unsupported" and, once the fetch
// brought everything, said on stderr; only a clone has its promisor settings undone.
func TestFilterFetchesEverything(t *testing.T) {
	for _, cloning := range []bool{false, true} {
		called := 0
		var out, errw bytes.Buffer
		in := "option filter blob:none\n"
		if cloning {
			in += "option cloning true\n"
		}
		in += "fetch " + h1 + " refs/heads/main\n\n"
		err := Run(t.Context(), strings.NewReader(in), &out, Config{
			Open:      func(context.Context) (engine.Transport, error) { return &fakeEngine{}, nil },
			Stderr:    &errw,
			FullClone: func() error { called++; return nil },
		})
		wantOut := "unsupported\n\n"
		if cloning {
			wantOut = "unsupported\nok\n\n"
		}
		if err != nil || out.String() != wantOut {
			t.Fatalf("cloning=%v: %v, stdout %q, want %q", cloning, err, out.String(), wantOut)
		}
		if want := "warning: this remote cannot filter objects (--filter=blob:none): fetched them all\n"; errw.String() != want {
			t.Errorf("cloning=%v: stderr %q, want %q", cloning, errw.String(), want)
		}
		if want := map[bool]int{false: 0, true: 1}[cloning]; called != want {
			t.Errorf("cloning=%v: FullClone called %d times, want %d", cloning, called, want)
		}
	}
}
