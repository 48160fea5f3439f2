// Command synth writes a `git fast-import` stream of a synthetic repository to stdout,
// for bench/large.sh: generated on the fly so that multi-GiB and million-file repositories
// never have to be committed or downloaded. The same flags always give the same stream,
// so runs on different days and machines push byte-identical repositories.
//
//	synth -mode big -size-mb 6400 -blob-mb 100 | git fast-import --quiet
//	synth -mode many -files 1000000 | git fast-import --quiet
//
// big: incompressible blobs totalling about size-mb MiB, spread over a few commits. Random
// bytes defeat both zlib and delta compression, so the pack is as large as the data; that
// is what pushes a single stored object past S3's 5 GiB single-PUT limit.
//
// many: files small distinct text files, per-dir to a directory, spread over a few
// commits, so the object count is about files blobs plus files/per-dir trees.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"strings"
)

// epoch is the first commit's date: fixed, for a deterministic stream (commit ids included).
const epoch = 1700000000

func main() {
	mode := flag.String("mode", "", "big or many")
	sizeMB := flag.Int64("size-mb", 6400, "big: total blob bytes, in MiB")
	blobMB := flag.Int64("blob-mb", 100, "big: size of each blob, in MiB (the last one takes the remainder)")
	files := flag.Int("files", 100000, "many: number of files")
	perDir := flag.Int("per-dir", 1000, "many: files per directory")
	commits := flag.Int("commits", 5, "number of commits the content is spread over")
	flag.Parse()
	w := bufio.NewWriterSize(os.Stdout, 1<<20)
	// With `feature done`, fast-import fails on a stream cut short (a killed generator)
	// instead of quietly importing part of the repository.
	fmt.Fprint(w, "feature done\n")
	var err error
	switch {
	case *commits < 1:
		err = fmt.Errorf("-commits must be at least 1")
	case *mode == "big" && *sizeMB > 0 && *blobMB > 0:
		err = big(w, *sizeMB<<20, *blobMB<<20, *commits)
	case *mode == "many" && *files > 0 && *perDir > 0:
		err = many(w, *files, *perDir, *commits)
	default:
		err = fmt.Errorf("usage: synth -mode big -size-mb N -blob-mb M | -mode many -files N [-per-dir D] [-commits C]")
	}
	if err == nil {
		fmt.Fprint(w, "done\n")
		err = w.Flush()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "synth:", err)
		os.Exit(1)
	}
}

// commit writes a commit on refs/heads/main that adds the blobs marked first..last to its
// parent's tree (fast-import continues the branch from its previous commit).
func commit(w *bufio.Writer, n int, msg string, first, last int, path func(mark int) string) {
	when := epoch + 3600*n
	fmt.Fprintf(w, "commit refs/heads/main\nauthor Synth <synth@example.com> %d +0000\ncommitter Synth <synth@example.com> %d +0000\ndata %d\n%s\n",
		when, when, len(msg), msg)
	for m := first; m <= last; m++ {
		fmt.Fprintf(w, "M 100644 :%d %s\n", m, path(m))
	}
	w.WriteString("\n")
}

// big writes ceil(total/blob) random blobs, the i-th from a ChaCha8 stream seeded by i
// alone: any one blob can be regenerated without the others, and none is ever held in
// memory (fast-import streams blobs past core.bigFileThreshold itself).
func big(w *bufio.Writer, total, blob int64, commits int) error {
	nblobs := int((total + blob - 1) / blob)
	commits = min(commits, nblobs)
	buf := make([]byte, 1<<20)
	for c := range commits {
		first, last := c*nblobs/commits, (c+1)*nblobs/commits-1
		for i := first; i <= last; i++ {
			size := min(blob, total-int64(i)*blob)
			var seed [32]byte
			copy(seed[:], fmt.Sprintf("synth big blob %d", i))
			src := rand.NewChaCha8(seed)
			fmt.Fprintf(w, "blob\nmark :%d\ndata %d\n", i+1, size)
			for left := size; left > 0; {
				n := min(left, int64(len(buf)))
				src.Read(buf[:n])
				if _, err := w.Write(buf[:n]); err != nil {
					return err
				}
				left -= n
			}
			w.WriteString("\n")
		}
		commit(w, c, fmt.Sprintf("add %d random blobs", last-first+1), first+1, last+1,
			func(m int) string { return fmt.Sprintf("data/%02d/blob-%05d.bin", c, m-1) })
	}
	return w.Flush()
}

// words is the vocabulary of the many-mode files: text that compresses like source
// code does, not like random bytes.
var words = strings.Fields(`the of and to in is for on that with as by this from at be are or an it
	not which have has was were will can all one but more new data file git object store push fetch clone
	pack tree blob commit ref head branch merge index write read stream part size time node path test`)

// many writes files text files of 200 to 500 bytes, each distinct by its first line and
// random by a PCG seeded with its number. Commit c adds the files [c*files/commits,
// (c+1)*files/commits), so later commits touch new directories and the trees stay few.
func many(w *bufio.Writer, files, perDir, commits int) error {
	commits = min(commits, files)
	var sb strings.Builder
	for c := range commits {
		first, last := c*files/commits, (c+1)*files/commits-1
		for i := first; i <= last; i++ {
			r := rand.New(rand.NewPCG(0x5e7, uint64(i)))
			sb.Reset()
			fmt.Fprintf(&sb, "file %d\n", i)
			for target := 200 + r.IntN(300); sb.Len() < target; {
				for k := range 8 {
					if k > 0 {
						sb.WriteByte(' ')
					}
					sb.WriteString(words[r.IntN(len(words))])
				}
				sb.WriteByte('\n')
			}
			if _, err := fmt.Fprintf(w, "blob\nmark :%d\ndata %d\n%s\n", i+1, sb.Len(), sb.String()); err != nil {
				return err
			}
		}
		commit(w, c, fmt.Sprintf("add %d files", last-first+1), first+1, last+1,
			func(m int) string { return fmt.Sprintf("d%04d/f%07d.txt", (m-1)/perDir, m-1) })
	}
	return w.Flush()
}
