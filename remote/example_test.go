package remote_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"os/exec"
	"path/filepath"

	"git-remote-object-store/engine"
	"git-remote-object-store/gitpack"
	"git-remote-object-store/remote"
)

// Example opens a remote on the directory backend, pushes a branch from one repository,
// lists the remote's refs and fetches the branch's objects into another repository:
// what the remote helper does for `git push` and `git clone`, without git in between.
func Example() {
	ctx := context.Background()
	dir, src, dst := exampleRepos()
	defer os.RemoveAll(dir)

	r, err := remote.Open(ctx, "fs+file://"+filepath.Join(dir, "bucket")+"?engine=packchain")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("engine:", r.Kind)

	// Push: the engine is bound to the repository the objects come from.
	tip, err := src.Resolve("refs/heads/main")
	if err != nil {
		log.Fatal(err)
	}
	push, err := r.Engine(src, os.Stderr)
	if err != nil {
		log.Fatal(err)
	}
	results, err := push.Push(ctx, []engine.Update{{Src: tip, Dst: "refs/heads/main"}}, engine.Options{})
	if err != nil {
		log.Fatal(err)
	}
	for _, res := range results {
		fmt.Println("pushed", res.Dst, "error:", res.Err)
	}

	// Fetch: bound to the repository the objects go to; git would then update its refs.
	fetch, err := r.Engine(dst, os.Stderr)
	if err != nil {
		log.Fatal(err)
	}
	refs, err := fetch.List(ctx, false)
	if err != nil {
		log.Fatal(err)
	}
	var wants []engine.Ref
	for _, ref := range refs {
		if ref.Symref != "" {
			fmt.Println("remote has", ref.Name, "->", ref.Symref)
		} else {
			fmt.Println("remote has", ref.Name)
			wants = append(wants, ref)
		}
	}
	if err := fetch.Fetch(ctx, wants, engine.Options{}); err != nil {
		log.Fatal(err)
	}
	fmt.Println("fetched the tip:", dst.Has(tip))
	// Output:
	// engine: packchain
	// pushed refs/heads/main error: <nil>
	// remote has HEAD -> refs/heads/main
	// remote has refs/heads/main
	// fetched the tip: true
}

// ExampleRemote_Engine reads one file of a packchain remote without cloning it, through
// the engine.Maintainer interface that engines keeping packs implement.
func ExampleRemote_Engine() {
	ctx := context.Background()
	dir, src, _ := exampleRepos()
	defer os.RemoveAll(dir)
	r, err := remote.Open(ctx, "fs+file://"+filepath.Join(dir, "bucket")+"?engine=packchain")
	if err != nil {
		log.Fatal(err)
	}
	e, err := r.Engine(src, os.Stderr)
	if err != nil {
		log.Fatal(err)
	}
	tip, _ := src.Resolve("refs/heads/main")
	if _, err := e.Push(ctx, []engine.Update{{Src: tip, Dst: "refs/heads/main"}}, engine.Options{}); err != nil {
		log.Fatal(err)
	}

	// A management verb needs no local repository.
	e, err = r.Engine(nil, os.Stderr)
	if err != nil {
		log.Fatal(err)
	}
	m, ok := e.(engine.Maintainer)
	if !ok {
		log.Fatal("not an engine that keeps packs")
	}
	if err := m.Cat(ctx, "main", "README", os.Stdout); err != nil {
		log.Fatal(err)
	}
	// Output:
	// hello from the bucket
}

// exampleRepos makes a scratch directory holding a repository with one commit on main
// (made by the real git, as the tests use it) and an empty one, both opened.
func exampleRepos() (dir string, src, dst *gitpack.Repo) {
	dir, err := os.MkdirTemp("", "remote-example-")
	if err != nil {
		log.Fatal(err)
	}
	git := func(args ...string) {
		cmd := exec.Command("git", args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL=/dev/null",
			"GIT_AUTHOR_NAME=A", "GIT_AUTHOR_EMAIL=a@example.com", "GIT_COMMITTER_NAME=A", "GIT_COMMITTER_EMAIL=a@example.com")
		if out, err := cmd.CombinedOutput(); err != nil {
			log.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	git("init", "-q", "-b", "main", "src")
	if err := os.WriteFile(filepath.Join(dir, "src", "README"), []byte("hello from the bucket\n"), 0o644); err != nil {
		log.Fatal(err)
	}
	git("-C", "src", "add", "README")
	git("-C", "src", "commit", "-q", "-m", "first")
	git("init", "-q", "--bare", "dst.git")
	if src, err = gitpack.Open(filepath.Join(dir, "src", ".git")); err != nil {
		log.Fatal(err)
	}
	if dst, err = gitpack.Open(filepath.Join(dir, "dst.git")); err != nil {
		log.Fatal(err)
	}
	return dir, src, dst
}
