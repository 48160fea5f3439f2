// Command gitpack times this project's pack writer and indexer on a repository, for
// bench/gitpack.sh, which runs git pack-objects and git index-pack beside it.
//
//	gitpack write <gitdir> <out.pack> [rev…]   every object reachable from the revisions (default:
//	                                          all refs), minus what ^rev reaches (an incremental pack)
//	gitpack walk <gitdir> - [rev…]        the walk alone (the first half of write)
//	gitpack index <gitdir> <in.pack>      index a pack into <gitdir>/objects/pack
//
// GITPACK_INDEX=1 makes write also keep each entry's record for the .idx, as a packchain
// push does; GITPACK_CPUPROFILE and GITPACK_HEAPPROFILE write profiles.
package main

import (
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
	"strings"
	"time"

	"git-remote-object-store/bench/internal/rss"
	"git-remote-object-store/gitpack"
	"git-remote-object-store/gitpack/object"
)

func main() {
	if len(os.Args) < 4 {
		fmt.Fprintln(os.Stderr, "usage: gitpack write|walk|index <gitdir> <pack> [rev...]")
		os.Exit(2)
	}
	repo, err := gitpack.Open(os.Args[2])
	check(err)
	if prof := os.Getenv("GITPACK_CPUPROFILE"); prof != "" {
		f, err := os.Create(prof)
		check(err)
		check(pprof.StartCPUProfile(f))
		defer pprof.StopCPUProfile()
	}
	if snap := os.Getenv("GITPACK_HEAPPROFILE"); snap != "" {
		go heapAtPeak(snap)
	}
	t0 := time.Now()
	switch os.Args[1] {
	case "write", "walk":
		var tips, haves []object.Hash
		if len(os.Args) == 4 {
			tips = allRefs(os.Args[2], repo)
		} else {
			for _, name := range os.Args[4:] {
				have := strings.HasPrefix(name, "^")
				h, err := repo.ResolveRevision(strings.TrimPrefix(name, "^"))
				check(err)
				if have {
					haves = append(haves, h)
				} else {
					tips = append(tips, h)
				}
			}
		}
		if os.Args[1] == "walk" {
			// The walk alone (os.Args[3] is ignored): the first half of write.
			n := 0
			check(repo.ReachableObjects(tips, haves, func(object.Hash, object.Type, string) error { n++; return nil }))
			pprof.StopCPUProfile()
			fmt.Printf("ours walk: %d objects in %.2fs, peak RSS %s\n", n, time.Since(t0).Seconds(), rss.Peak())
			return
		}
		f, err := os.Create(os.Args[3])
		check(err)
		// No buffering here: the pack writer buffers its output, as the indexer its input.
		res, err := repo.WritePack(f, tips, haves, gitpack.PackOptions{Index: os.Getenv("GITPACK_INDEX") == "1"})
		check(err)
		check(f.Close())
		pprof.StopCPUProfile()
		fmt.Printf("ours write: %d objects (%d reused, %d deltas) %d bytes in %.2fs, peak RSS %s\n",
			res.Objects, res.Reused, res.Deltas, res.Size, time.Since(t0).Seconds(), rss.Peak())
	case "index":
		f, err := os.Open(os.Args[3])
		check(err)
		// The phases as index-pack's progress names them: when each ended.
		var phases []string
		progress := func(done, total int64) {
			if done == total {
				phases = append(phases, fmt.Sprintf("%d entries at %.2fs", total, time.Since(t0).Seconds()))
			}
		}
		res, err := repo.IndexPack(f, gitpack.IndexOptions{Links: os.Getenv("GITPACK_LINKS") == "1", Progress: progress})
		check(err)
		fmt.Printf("ours index: %d objects in %.2fs (phases ended: %s), peak RSS %s, self-contained %v\n",
			res.Objects, time.Since(t0).Seconds(), strings.Join(phases, ", "), rss.Peak(), res.SelfContained)
	}
}

// allRefs resolves every ref of packed-refs and refs/ (what --all means).
func allRefs(gitDir string, repo *gitpack.Repo) []object.Hash {
	var out []object.Hash
	seen := map[string]bool{}
	add := func(name string) {
		if seen[name] {
			return
		}
		seen[name] = true
		if h, err := repo.Resolve(name); err == nil {
			out = append(out, h)
		}
	}
	if b, err := os.ReadFile(gitDir + "/packed-refs"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if f := strings.Fields(l); len(f) == 2 && !strings.HasPrefix(l, "#") {
				add(f[1])
			}
		}
	}
	walkRefs(gitDir, "refs", add)
	add("HEAD")
	return out
}

func walkRefs(gitDir, dir string, add func(string)) {
	ents, _ := os.ReadDir(gitDir + "/" + dir)
	for _, e := range ents {
		if e.IsDir() {
			walkRefs(gitDir, dir+"/"+e.Name(), add)
		} else {
			add(dir + "/" + e.Name())
		}
	}
}

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "gitpack:", err)
		os.Exit(1)
	}
}

// heapAtPeak writes a heap profile to path each time the in-use heap reaches a new
// high, so what holds memory at the peak can be read with go tool pprof.
func heapAtPeak(path string) {
	var peak uint64
	for range time.Tick(200 * time.Millisecond) {
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		if m.HeapInuse > peak+peak/20 {
			peak = m.HeapInuse
			if f, err := os.Create(path); err == nil {
				pprof.WriteHeapProfile(f)
				f.Close()
			}
		}
	}
}
