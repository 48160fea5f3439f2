package e2e

// Sensible defaults, said like git says them: the remote's HEAD, deleting the default
// branch, zip mirrors of a remote that gained zip=1, and a missing bucket, container or
// account.

import (
	"net/url"
	"strings"
	"testing"

	"git-remote-object-store/engine"
	"git-remote-object-store/internal/testenv"
	"git-remote-object-store/store"
)

// remoteHead is the branch a fresh clone of url checks out: the remote's HEAD.
func (w *world) remoteHead(url string) string {
	w.t.Helper()
	return w.git(w.clone(url), "symbolic-ref", "--short", "HEAD")
}

// hasLine reports whether out has a line equal to line, leading and trailing space aside.
func hasLine(out, line string) bool {
	for _, l := range strings.Split(out, "\n") {
		if strings.TrimSpace(l) == line {
			return true
		}
	}
	return false
}

// TestHeadIsThePushersBranch: the first push to a remote makes its HEAD the pushing
// repository's current branch when that branch is pushed, else main, master, the first
// branch; later pushes never move a valid HEAD.
func TestHeadIsThePushersBranch(t *testing.T) {
	forEach(t, func(t *testing.T, w *world, newURL func() string, _ remoteKind) {
		src := w.repo(2)
		w.git(src, "branch", "dev")
		w.git(src, "checkout", "-q", "-b", "work")
		w.commit(src, "w.txt", "work\n")

		// git push --all sends dev, main, work in that order; HEAD is work, the branch
		// checked out, not dev, the first one pushed.
		all := newURL()
		w.git(src, "push", "-q", "--all", all)
		if got := w.remoteHead(all); got != "work" {
			t.Fatalf("after push --all from work, the remote's HEAD is %s, want work", got)
		}
		// Later pushes from another branch leave it alone.
		w.git(src, "checkout", "-q", "main")
		w.commit(src, "m.txt", "main\n")
		w.git(src, "push", "-q", all, "main")
		if got := w.remoteHead(all); got != "work" {
			t.Fatalf("a push of main moved the remote's HEAD to %s", got)
		}

		// The current branch not among the pushed ones: main before dev.
		some := newURL()
		w.git(src, "checkout", "-q", "work")
		w.git(src, "push", "-q", some, "dev", "main")
		if got := w.remoteHead(some); got != "main" {
			t.Fatalf("after pushing dev and main from work, the remote's HEAD is %s, want main", got)
		}
	})
}

// TestDeleteDefaultBranchNeedsForce: deleting the branch HEAD names is refused with
// git's own words unless forced; forced, a warning says which branch is the default now,
// and clones check that one out. git tells a helper nothing of --force on a deletion, so
// the force a push can give is --force-with-lease (whose expectation git does pass on).
// delete-branch behaves the same, with its own --force.
func TestDeleteDefaultBranchNeedsForce(t *testing.T) {
	forEach(t, func(t *testing.T, w *world, newURL func() string, _ remoteKind) {
		url := newURL()
		src := w.repo(2)
		w.git(src, "branch", "dev")
		w.git(src, "branch", "topic")
		w.git(src, "remote", "add", "origin", url)
		w.git(src, "push", "-q", "origin", "main", "dev", "topic")

		const rejected = "! [remote rejected] main (deletion of the current branch prohibited: it is the remote's default branch; delete it with git push --force-with-lease, and dev becomes the default)"
		for _, args := range [][]string{{"push", "origin", ":main"}, {"push", "--delete", "origin", "main"}, {"push", "--force", "origin", ":main"}, {"push", url, "+:main"}} {
			out, err := w.try(src, args...)
			if err == nil || !hasLine(out, rejected) {
				t.Fatalf("git %s: %v\n%s\nwant the line %q", strings.Join(args, " "), err, out, rejected)
			}
		}
		if got := w.remoteHead(url); got != "main" {
			t.Fatalf("a refused deletion moved HEAD to %s", got)
		}
		// Another branch goes without force, and HEAD stays.
		w.git(src, "push", "-q", "origin", ":topic")
		if got := w.remoteHead(url); got != "main" {
			t.Fatalf("deleting topic moved HEAD to %s", got)
		}

		out, err := w.try(src, "push", "--force-with-lease", "origin", ":main")
		const warning = "warning: deleted the remote's default branch main; its default is now dev"
		if err != nil || !hasLine(out, warning) || !strings.Contains(out, "[deleted]") {
			t.Fatalf("git push --force-with-lease origin :main: %v\n%s\nwant the line %q", err, out, warning)
		}
		if got := w.remoteHead(url); got != "dev" {
			t.Fatalf("after deleting main, the remote's HEAD is %s, want dev", got)
		}
		// A URL has no remote-tracking ref: the lease names the value.
		w.git(src, "push", "-q", url, "main")
		w.git(src, "push", "-q", url, ":dev", "--force-with-lease=dev:"+w.git(src, "rev-parse", "dev"))
		if got := w.remoteHead(url); got != "main" {
			t.Fatalf("after deleting dev, the remote's HEAD is %s, want main", got)
		}

		// delete-branch: the same refusal, the same warning.
		w.git(src, "push", "-q", url, "dev")
		out, err = w.tool("delete-branch", url, "main")
		const refused = "fatal: refs/heads/main: deletion of the current branch prohibited: it is the remote's default branch; delete it with --force, and dev becomes the default"
		if err == nil || strings.TrimSpace(out) != refused {
			t.Fatalf("delete-branch of the default branch: %v\n%s\nwant %q", err, out, refused)
		}
		out, err = w.tool("delete-branch", "--force", url, "main")
		if err != nil || !hasLine(out, "warning: deleted the remote's default branch main; its default is now dev") || !hasLine(out, "refs/heads/main deleted") {
			t.Fatalf("delete-branch --force of the default branch: %v\n%s", err, out)
		}
		if got := w.remoteHead(url); got != "dev" {
			t.Fatalf("after delete-branch --force main, the remote's HEAD is %s, want dev", got)
		}
	})
}

// TestZipMirrorsOfAnUpToDateRemote: git does not run the helper's push at all when
// every ref is up to date, so adding zip=1 to a remote writes nothing by itself. doctor
// reports the missing mirrors and --fix, run in a clone that has the commits, writes
// them; and any push through the zip=1 URL that changes something writes the missing
// mirrors of the remote's other branches too.
func TestZipMirrorsOfAnUpToDateRemote(t *testing.T) {
	forEach(t, func(t *testing.T, w *world, newURL func() string, _ remoteKind) {
		plain := newURL()
		zipped := plain + "&zip=1"
		src := w.repo(2)
		w.git(src, "branch", "dev", "HEAD~1")
		w.git(src, "push", "-q", plain, "main", "dev")

		out := w.git(src, "push", zipped, "main", "dev")
		if !strings.Contains(out, "Everything up-to-date") {
			t.Fatalf("push of up-to-date refs: %s", out)
		}
		st := bucket(t, plain)
		for _, ref := range []string{"refs/heads/main", "refs/heads/dev"} {
			if _, err := st.Head(t.Context(), engine.ZipKey(ref)); !store.IsNotFound(err) {
				t.Fatalf("%s: %v; git was expected not to call the helper's push", engine.ZipKey(ref), err)
			}
		}

		// doctor outside a clone that has the commits: reported, no fix.
		elsewhere := t.TempDir()
		dev := w.git(src, "rev-parse", "dev")
		out, err := w.toolIn(elsewhere, "doctor", zipped)
		want := "problem: refs/heads/dev has no zip mirror (refs/heads/dev/repo.zip), though the URL says zip=1; run doctor --fix in a clone that has commit " + dev + " to write it"
		if err == nil || !hasLine(out, want) {
			t.Fatalf("doctor of a zip=1 remote without mirrors: %v\n%s\nwant the line %q", err, out, want)
		}
		// In the clone: --fix writes them, and doctor is clean.
		out, err = w.toolIn(src, "doctor", zipped)
		want = "problem: refs/heads/main has no zip mirror (refs/heads/main/repo.zip), though the URL says zip=1; --fix writes it from this clone"
		if err == nil || !hasLine(out, want) {
			t.Fatalf("doctor in the clone: %v\n%s\nwant the line %q", err, out, want)
		}
		if out, err := w.toolIn(src, "doctor", "--fix", zipped); err != nil {
			t.Fatalf("doctor --fix: %v\n%s", err, out)
		}
		out, err = w.toolIn(src, "doctor", zipped)
		if err != nil || !hasLine(out, "ok   zip mirrors: every ref has its repo.zip") {
			t.Fatalf("doctor after --fix: %v\n%s", err, out)
		}
		for _, ref := range []string{"main", "dev"} {
			data := getKey(t, st, engine.ZipKey("refs/heads/"+ref))
			if got, want := zipSummary(t, data), zipSummary(t, w.archive(src, ref)); got != want {
				t.Fatalf("the zip mirror doctor wrote for %s differs from git archive:\n%s\ngit:\n%s", ref, got, want)
			}
		}

		// A push that changes something writes the mirrors the other branches lack.
		other := newURL()
		w.git(src, "push", "-q", other, "main", "dev")
		w.commit(src, "more.txt", "more\n")
		out = w.git(src, "push", other+"&zip=1", "main")
		if !hasLine(out, "note: wrote the missing zip mirror of dev (refs/heads/dev/repo.zip)") {
			t.Fatalf("push through the zip=1 URL did not say it wrote dev's mirror:\n%s", out)
		}
		ost := bucket(t, other)
		for _, ref := range []string{"main", "dev"} {
			if got, want := zipSummary(t, getKey(t, ost, engine.ZipKey("refs/heads/"+ref))), zipSummary(t, w.archive(src, ref)); got != want {
				t.Fatalf("zip mirror of %s differs from git archive:\n%s\ngit:\n%s", ref, got, want)
			}
		}
		if out, err := w.toolIn(src, "doctor", other+"&zip=1"); err != nil {
			t.Fatalf("doctor after the push: %v\n%s", err, out)
		}
	})
}

// archive is `git archive --format=zip rev` in dir.
func (w *world) archive(dir, rev string) []byte {
	w.t.Helper()
	cmd := testenv.GitCmd(w.t, dir, "archive", "--format=zip", rev)
	cmd.Env = w.environ()
	out, err := cmd.Output()
	if err != nil {
		w.t.Fatalf("git archive %s: %v", rev, err)
	}
	return out
}

// TestMissingBucketContainerAccount: a remote whose bucket, container or account does
// not exist fails with one line that says so in the user's words, for a clone (the
// helper) and for the management verbs alike.
func TestMissingBucketContainerAccount(t *testing.T) {
	check := func(t *testing.T, w *world, remote, want string) {
		t.Helper()
		out, err := w.try(w.home, "clone", "-q", remote, "clone")
		if err == nil || !hasLine(out, want) {
			t.Fatalf("git clone %s: %v\n%s\nwant the line %q", remote, err, out, want)
		}
		out, err = w.tool("ls", remote)
		if err == nil || strings.TrimSpace(out) != want {
			t.Fatalf("ls %s: %v\n%s\nwant %q", remote, err, out, want)
		}
	}
	for _, srv := range []struct {
		name     string
		endpoint func(testing.TB) string
	}{
		{"s3", func(t testing.TB) string { return testenv.S3StoreConfig(t).Endpoint }},
		{"seaweedfs", func(t testing.TB) string { return testenv.SeaweedFSConfig(t).Endpoint }},
	} {
		t.Run(srv.name, func(t *testing.T) {
			endpoint := srv.endpoint(t)
			check(t, newWorld(t), "s3+"+endpoint+"/no-such-bucket-gros/repo",
				"fatal: bucket 'no-such-bucket-gros' does not exist at "+endpoint+" (HTTP 404 NoSuchBucket); create it, or fix the URL")
		})
	}
	t.Run("azblob", func(t *testing.T) {
		az := testenv.Azure(t)
		server, err := url.Parse(az.Endpoint) // Azurite: http://host:port/<account>
		if err != nil {
			t.Fatal(err)
		}
		server.Path = ""
		t.Run("container", func(t *testing.T) {
			check(t, newWorld(t), "az+"+az.Endpoint+"/no-such-container/repo",
				"fatal: container 'no-such-container' does not exist in account '"+az.Account+"' (HTTP 404 ContainerNotFound); create it, or fix the URL")
		})
		t.Run("account", func(t *testing.T) {
			w := newWorld(t)
			w.setenv("AZURE_STORAGE_ACCOUNT", "") // the account comes from the URL; the key is the emulator's
			check(t, w, "az+"+server.String()+"/nosuchaccount/repos/r",
				"fatal: no storage account 'nosuchaccount' at "+server.String()+" (HTTP 404 ResourceNotFound); check the account name in the URL")
		})
	})
}
