package e2e

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"git-remote-object-store/packchain"
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

// stressRounds is how many rounds the eight-pusher tests run: GROS_STRESS_ROUNDS, or 8
// in the everyday suite, where every backend × engine pair runs both tests (a round is
// about 24 git processes; 50 rounds everywhere would take half an hour on two cores).
// `make stress` runs them at 50 rounds.
func stressRounds(t *testing.T) int {
	if v := os.Getenv("GROS_STRESS_ROUNDS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			t.Fatalf("GROS_STRESS_ROUNDS=%q is not a positive number", v)
		}
		return n
	}
	return 8
}

// lightCommit adds an empty commit (one git process) and returns nothing: the stress
// tests need many commits, not content.
func (w *world) lightCommit(dir, msg string) {
	w.t.Helper()
	w.git(dir, "commit", "-q", "--allow-empty", "-m", msg)
}

// syncTo moves dir's main to the remote's main in one git process: the commits are
// empty, so the work tree needs no update.
func (w *world) syncTo(dir string) {
	w.t.Helper()
	w.git(dir, "fetch", "-q", "--update-head-ok", "origin", "+refs/heads/main:refs/heads/main")
}

// Eight pushers race for one ref, round after round: each round exactly one wins, every
// loser is told to fetch first (or, with the bundle engine, that the ref is locked), and
// every push that reported success is in the remote's history at the end.
func TestEightPushersOneRef(t *testing.T) {
	forEach(t, func(t *testing.T, w *world, newURL func() string, _ remoteKind) {
		const pushers = 8
		rounds := stressRounds(t)
		url := newURL()
		w.git(w.repo(1), "push", "-q", url, "main")
		cl := w.clones(url, pushers)
		var winners []string
		for r := range rounds {
			outs, errs := make([]string, pushers), make([]error, pushers)
			parallel(pushers, func(i int) {
				w.lightCommit(cl[i], fmt.Sprintf("pusher %d round %d", i, r))
				outs[i], errs[i] = w.try(cl[i], "push", "origin", "main")
			})
			won := -1
			for i := range cl {
				if errs[i] == nil {
					if won >= 0 {
						t.Fatalf("round %d: pushers %d and %d both won", r, won, i)
					}
					won = i
				} else if !strings.Contains(outs[i], "fetch first") && !strings.Contains(outs[i], "locked by another push") {
					t.Fatalf("round %d: loser %d was not told to fetch first:\n%s", r, i, outs[i])
				}
			}
			if won < 0 {
				t.Fatalf("round %d: nobody won:\n%s", r, strings.Join(outs, "\n"))
			}
			winners = append(winners, fmt.Sprintf("pusher %d round %d", won, r))
			parallel(pushers, func(i int) { w.syncTo(cl[i]) })
		}
		final := w.clone(url)
		w.fsck(final)
		log := "\n" + w.git(final, "log", "--format=%s") + "\n"
		for _, c := range winners {
			if !strings.Contains(log, "\n"+c+"\n") {
				t.Fatalf("acknowledged push %q was lost:\n%s", c, log)
			}
		}
		if n := strings.Count(strings.TrimSpace(log), "\n") + 1; n != rounds+1 {
			t.Fatalf("remote main has %d commits, want %d", n, rounds+1)
		}
	})
}

// Eight pushers push eight different refs at once, round after round: every push
// lands, and at the end every ref holds every commit its pusher was told had landed.
func TestEightPushersEightRefs(t *testing.T) {
	forEach(t, func(t *testing.T, w *world, newURL func() string, _ remoteKind) {
		const pushers = 8
		rounds := stressRounds(t)
		url := newURL()
		w.git(w.repo(1), "push", "-q", url, "main")
		cl := w.clones(url, pushers)
		for r := range rounds {
			outs, errs := make([]string, pushers), make([]error, pushers)
			parallel(pushers, func(i int) {
				w.lightCommit(cl[i], fmt.Sprintf("pusher %d round %d", i, r))
				outs[i], errs[i] = w.try(cl[i], "push", "origin", fmt.Sprintf("HEAD:refs/heads/b%d", i))
			})
			for i := range cl {
				if errs[i] != nil {
					t.Fatalf("round %d: push to b%d failed:\n%s", r, i, outs[i])
				}
			}
		}
		final := w.clone(url)
		for i := range cl {
			log := "\n" + w.git(final, "log", "--format=%s", fmt.Sprintf("origin/b%d", i)) + "\n"
			for r := range rounds {
				if c := fmt.Sprintf("pusher %d round %d", i, r); !strings.Contains(log, "\n"+c+"\n") {
					t.Fatalf("acknowledged push %q to b%d was lost:\n%s", c, i, log)
				}
			}
		}
		w.fsck(final)
	})
}

// Compaction and gc run while four pushers keep pushing: every push lands or is told to
// fetch first, and the remote is whole afterwards.
func TestPackchainCompactAndGCDuringPushes(t *testing.T) {
	forPackchain(t, func(t *testing.T, w *world, newURL func() string, _ remoteKind) {
		const pushers, rounds = 4, 6
		// The smallest grace gc allows is the push window: make both small, so gc
		// really deletes while pushes and compactions are between upload and CAS.
		w.setenv(packchain.PushWindowEnv, "6s")
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
				for _, args := range [][]string{{"compact", "-q", url}, {"gc", "--grace", "6s", url}} {
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
		time.Sleep(7100 * time.Millisecond) // the grace, and a second of Last-Modified rounding
		if out, err := w.tool("gc", "--grace", "6s", url); err != nil {
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
