package e2e

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

// clones makes n clones of url with origin set.
func (w *world) clones(url string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = w.clone(url)
	}
	return out
}

// parallel runs fn(i) for i in [0, n) at once and waits.
func parallel(n int, fn func(i int)) {
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() { defer wg.Done(); fn(i) }()
	}
	wg.Wait()
}

// Eight pushers race for one ref, twenty rounds: each round exactly one wins, every
// loser is told to fetch first, and every winner's commit is on the remote at the end.
func TestPackchainEightPushersOneRef(t *testing.T) {
	forPackchain(t, func(t *testing.T, w *world, newURL func() string, _ remoteKind) {
		const pushers, rounds = 8, 20
		url := newURL()
		w.git(w.repo(1), "push", "-q", url, "main")
		cl := w.clones(url, pushers)
		var winners []string
		for r := range rounds {
			outs, errs := make([]string, pushers), make([]error, pushers)
			parallel(pushers, func(i int) {
				w.commit(cl[i], fmt.Sprintf("p%d.txt", i), fmt.Sprintf("round %d\n", r))
				outs[i], errs[i] = w.try(cl[i], "push", "origin", "main")
			})
			won := -1
			for i := range cl {
				if errs[i] == nil {
					if won >= 0 {
						t.Fatalf("round %d: pushers %d and %d both won", r, won, i)
					}
					won = i
				} else if !strings.Contains(outs[i], "fetch first") {
					t.Fatalf("round %d: loser %d was not told to fetch first:\n%s", r, i, outs[i])
				}
			}
			if won < 0 {
				t.Fatalf("round %d: nobody won:\n%s", r, strings.Join(outs, "\n"))
			}
			winners = append(winners, fmt.Sprintf("p%d.txt round %d", won, r))
			parallel(pushers, func(i int) {
				w.git(cl[i], "fetch", "-q", "origin")
				w.git(cl[i], "reset", "-q", "--hard", "origin/main")
			})
		}
		final := w.clone(url)
		w.fsck(final)
		log := w.git(final, "log", "--format=%s")
		for _, c := range winners {
			if !strings.Contains(log, "change "+c) {
				t.Fatalf("winning commit %q was lost:\n%s", c, log)
			}
		}
		if n := strings.Count(log, "\n") + 1; n != rounds+1 {
			t.Fatalf("remote main has %d commits, want %d", n, rounds+1)
		}
	})
}

// Eight pushers to eight different refs at once all land, in one manifest.
func TestPackchainEightPushersEightRefs(t *testing.T) {
	forPackchain(t, func(t *testing.T, w *world, newURL func() string, _ remoteKind) {
		const pushers = 8
		url := newURL()
		w.git(w.repo(1), "push", "-q", url, "main")
		cl := w.clones(url, pushers)
		for round := range 3 {
			outs, errs := make([]string, pushers), make([]error, pushers)
			parallel(pushers, func(i int) {
				w.commit(cl[i], "own.txt", fmt.Sprintf("pusher %d round %d\n", i, round))
				outs[i], errs[i] = w.try(cl[i], "push", "origin", fmt.Sprintf("HEAD:refs/heads/b%d", i))
			})
			for i := range cl {
				if errs[i] != nil {
					t.Fatalf("round %d: push to b%d failed:\n%s", round, i, outs[i])
				}
			}
		}
		ls := w.git(cl[0], "ls-remote", url)
		for i := range cl {
			if !strings.Contains(ls, w.git(cl[i], "rev-parse", "HEAD")+"\trefs/heads/b"+fmt.Sprint(i)) {
				t.Fatalf("b%d is not at its pusher's commit:\n%s", i, ls)
			}
		}
		w.fsck(w.clone(url))
	})
}

// Compaction and gc run while four pushers keep pushing: every push lands or is told to
// fetch first, and the remote is whole afterwards.
func TestPackchainCompactAndGCDuringPushes(t *testing.T) {
	forPackchain(t, func(t *testing.T, w *world, newURL func() string, _ remoteKind) {
		const pushers, rounds = 4, 6
		url := newURL()
		w.git(w.repo(2), "push", "-q", url, "main")
		cl := w.clones(url, pushers)
		stop := make(chan struct{})
		var maintErr []string
		var mu sync.Mutex
		done := make(chan struct{})
		go func() {
			defer close(done)
			for {
				select {
				case <-stop:
					return
				default:
				}
				for _, args := range [][]string{{"compact", "-q", url}, {"gc", "--grace", "3s", url}} {
					if out, err := w.tool(args...); err != nil {
						mu.Lock()
						maintErr = append(maintErr, fmt.Sprintf("%s: %v\n%s", args[0], err, out))
						mu.Unlock()
					}
				}
				time.Sleep(100 * time.Millisecond)
			}
		}()
		parallel(pushers, func(i int) {
			for r := range rounds {
				w.commit(cl[i], "own.txt", fmt.Sprintf("pusher %d round %d\n", i, r))
				ref := fmt.Sprintf("HEAD:refs/heads/b%d", i)
				if i == 0 { // one pusher deletes and recreates a branch, so compaction drops objects
					ref = "HEAD:refs/heads/churn"
					if r%2 == 1 {
						ref = ":refs/heads/churn"
					}
				}
				if out, err := w.try(cl[i], "push", "origin", ref); err != nil {
					mu.Lock()
					maintErr = append(maintErr, fmt.Sprintf("push %s: %v\n%s", ref, err, out))
					mu.Unlock()
				}
			}
		})
		close(stop)
		<-done
		if len(maintErr) > 0 {
			t.Fatalf("failures during concurrent maintenance:\n%s", strings.Join(maintErr, "\n"))
		}
		// One last compaction and gc past the grace, then check everything.
		w.tool("compact", "-q", url)
		time.Sleep(3100 * time.Millisecond)
		if out, err := w.tool("gc", "--grace", "3s", url); err != nil {
			t.Fatalf("final gc: %v\n%s", err, out)
		}
		final := w.clone(url)
		w.fsck(final)
		ls := w.git(final, "ls-remote", url)
		for i := 1; i < pushers; i++ {
			if !strings.Contains(ls, w.git(cl[i], "rev-parse", "HEAD")+"\trefs/heads/b"+fmt.Sprint(i)) {
				t.Fatalf("b%d is not at its pusher's commit:\n%s", i, ls)
			}
			w.git(final, "fetch", "-q", "origin", fmt.Sprintf("b%d", i))
		}
		w.fsck(final)
	})
}
