package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"git-remote-object-store/engine"
	"git-remote-object-store/gitpack"
	"git-remote-object-store/internal/quote"
	"git-remote-object-store/remote"
)

// resolveURL turns a verb's <url> argument into a remote URL. Like git, and like
// awslabs' CLI, a verb also takes the name of a remote of the repository it runs in
// (`git object-store ls origin`). Anything with a ':' is taken as a URL: git refuses
// ':' in a remote name, and a malformed URL (fs+file:repo) then gets remote.Parse's
// precise complaint instead of "no such remote".
func resolveURL(arg string) (string, error) {
	if strings.Contains(arg, ":") {
		return arg, nil
	}
	dir, err := gitpack.Discover(".")
	if err != nil {
		return "", fmt.Errorf("'%s' is not a URL, and there is no git repository here with a remote of that name; give the remote's URL (like s3+https://host/bucket/prefix)", arg)
	}
	repo, err := gitpack.Open(dir)
	if err != nil {
		return "", fmt.Errorf("'%s' is not a URL, and the repository here cannot be read to look up a remote of that name: %w", arg, err)
	}
	defer repo.Close()
	if url := repo.Config().Get("remote", arg, "url"); url != "" {
		return url, nil
	}
	var names []string
	for _, e := range repo.Config().Entries {
		if e.Section == "remote" && e.Key == "url" && !slices.Contains(names, e.Subsection) {
			names = append(names, e.Subsection)
		}
	}
	if len(names) == 0 {
		return "", fmt.Errorf("'%s' is neither a URL nor a remote of this repository (it has no remotes); give the remote's URL", arg)
	}
	return "", fmt.Errorf("'%s' is neither a URL nor a remote of this repository; its remotes are %s", arg, strings.Join(names, ", "))
}

// openEngine opens the remote a verb's <url> argument names (resolveURL), for a verb
// that needs no local repository.
func openEngine(ctx context.Context, arg string, stderr io.Writer) (*remote.Remote, engine.Engine, bool) {
	url, err := resolveURL(arg)
	if err == nil {
		var r *remote.Remote
		if r, err = remote.OpenRemote(ctx, arg, url); errors.Is(err, remote.ErrURL) && url != arg {
			err = fmt.Errorf("remote '%s': %w", arg, err) // the user typed the name, not the URL
		} else if err == nil {
			var e engine.Engine
			if e, err = r.Engine(nil, stderr); err == nil {
				return r, e, true
			}
		}
	}
	fmt.Fprintf(stderr, "fatal: %v\n", err)
	return nil, nil, false
}

func branchRef(name string) string {
	if strings.HasPrefix(name, "refs/") {
		return name
	}
	return "refs/heads/" + name
}

func cmdLs(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	pos, code, ok := newCmdLine("ls", stdout, stderr).Parse(args, "<url>")
	if !ok {
		return code
	}
	_, e, ok := openEngine(ctx, pos[0], stderr)
	if !ok {
		return exitFail
	}
	refs, head, err := e.Refs(ctx)
	if err != nil {
		fmt.Fprintf(stderr, "fatal: %v\n", err)
		return exitFail
	}
	for _, r := range refs {
		mark := " "
		if r.Protected {
			mark = "*"
		}
		hash := quote.C(r.Hash) // names and ids come from the bucket: quoted like git's paths
		if hash == "" {
			hash = "(no bundle)"
		}
		if r.Name == head {
			hash += " (HEAD)"
		}
		fmt.Fprintf(stdout, "%s %s %s\n", mark, quote.C(r.Name), hash)
	}
	return exitOK
}

// manageBranch runs a verb of the form `<verb> <url> <branch>` whose arguments pos are
// parsed: do acts on the branch's full ref name, done completes the success line.
func manageBranch(ctx context.Context, pos []string, stdout, stderr io.Writer, do func(engine.Manager, string) error, done string) int {
	_, e, ok := openEngine(ctx, pos[0], stderr)
	if !ok {
		return exitFail
	}
	ref := branchRef(pos[1])
	if err := do(e, ref); err != nil {
		fmt.Fprintf(stderr, "fatal: %s\n", sayOnce(ref, err))
		return exitFail
	}
	fmt.Fprintf(stdout, "%s %s\n", ref, done)
	return exitOK
}

// sayOnce is err's message about subject (a ref, a rev:path, a URL), prefixed with the
// subject unless the message already names it: the engines' and remote's errors often
// do, and a message says each thing once.
func sayOnce(subject string, err error) string {
	if msg := err.Error(); strings.Contains(msg, subject) {
		return msg
	}
	return subject + ": " + err.Error()
}

// errNoSuchBranch: protect was asked for a branch the remote does not have, which is
// more often a typo than a plan; --allow-missing protects it ahead of its first push.
type errNoSuchBranch struct{ ref, url, branch string }

func (e errNoSuchBranch) Error() string {
	return fmt.Sprintf("%s does not exist on the remote; check the name (git object-store ls %s), or protect it ahead of its first push: git object-store protect --allow-missing %s %s",
		e.ref, shellQuote(e.url), shellQuote(e.url), shellQuote(e.branch))
}

// shellQuote quotes s for a command line the user may paste (URLs hold '?' and '&').
func shellQuote(s string) string {
	if s != "" && !strings.ContainsAny(s, " \t\n'\"\\&?*;|<>()$`!{}[]#~") {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

func cmdProtect(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	cl := newCmdLine("protect", stdout, stderr)
	allowMissing := cl.Bool("allow-missing", "protect the branch even if the remote does not have it (yet)")
	pos, code, ok := cl.Parse(args, "<url>", "<branch>")
	if !ok {
		return code
	}
	return manageBranch(ctx, pos, stdout, stderr, func(e engine.Manager, ref string) error {
		if !*allowMissing {
			refs, _, err := e.Refs(ctx)
			if err != nil {
				return fmt.Errorf("list the remote's branches: %w", err)
			}
			// A protection marker alone (no hash) is not a branch but one protected ahead
			// of time: protecting it again needs --allow-missing again.
			if !slices.ContainsFunc(refs, func(r engine.RefInfo) bool { return r.Name == ref && r.Hash != "" }) {
				return errNoSuchBranch{ref: ref, url: pos[0], branch: pos[1]}
			}
		}
		return e.SetProtected(ctx, ref, true)
	}, "is now protected")
}

func cmdUnprotect(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	pos, code, ok := newCmdLine("unprotect", stdout, stderr).Parse(args, "<url>", "<branch>")
	if !ok {
		return code
	}
	return manageBranch(ctx, pos, stdout, stderr, func(e engine.Manager, ref string) error {
		return e.SetProtected(ctx, ref, false)
	}, "is no longer protected")
}

func cmdDeleteBranch(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	cl := newCmdLine("delete-branch", stdout, stderr)
	force := cl.Bool("force", "delete the branch even if it is the remote's default branch (HEAD then names another)")
	pos, code, ok := cl.Parse(args, "<url>", "<branch>")
	if !ok {
		return code
	}
	return manageBranch(ctx, pos, stdout, stderr, func(e engine.Manager, ref string) error {
		return e.DeleteRef(ctx, ref, *force)
	}, "deleted")
}
