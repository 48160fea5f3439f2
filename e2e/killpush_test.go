//go:build unix

package e2e

import (
	"fmt"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"git-remote-object-store/internal/testenv"
)

// TestKillAtEveryRequest kills a push with SIGKILL just before each of the store
// requests an update push makes, one kill per request number: before the first listing,
// while the lock is taken, mid-upload, before and after the compare-and-swap or the old
// bundle's deletion, before the lock's release. After every kill the remote must clone
// and fsck at the old commit or the new one, and the next push must land.
func TestKillAtEveryRequest(t *testing.T) {
	type target struct {
		name string
		url  func(t *testing.T, p *countingProxy, engine string) string
		addr func(t *testing.T) string
	}
	targets := []target{{
		name: "s3",
		addr: func(t *testing.T) string { return testenv.S3(t).Endpoint },
		url: func(t *testing.T, p *countingProxy, engine string) string {
			cfg := testenv.S3Bucket(t)
			return "s3+http://" + p.host() + "/" + cfg.Bucket + "/team/repo?engine=" + engine
		},
	}, {
		name: "azblob",
		addr: func(t *testing.T) string { return testenv.AzureContainer(t).Endpoint },
		url: func(t *testing.T, p *countingProxy, engine string) string {
			cfg := testenv.AzureContainer(t)
			u, err := url.Parse(cfg.Endpoint)
			if err != nil {
				t.Fatal(err)
			}
			return "az+http://" + p.host() + u.Path + "/" + cfg.Container + "/team/repo?engine=" + engine
		},
	}}
	for _, tg := range targets {
		for _, eng := range []string{"bundle", "packchain"} {
			t.Run(tg.name+"/"+eng, func(t *testing.T) {
				w := newWorld(t)
				// A killed bundle push leaves its ref lock behind; let it go stale quickly.
				w.setenv("GIT_REMOTE_S3_LOCK_TTL_SECONDS", "1")
				p := newCountingProxy(t, tg.addr(t))
				remote := tg.url(t, p, eng)
				src := w.repo(2)
				w.git(src, "push", "-q", remote, "main")

				// How many requests one update push makes, undisturbed.
				w.commit(src, "step.txt", "measure\n")
				before := p.requests.Load()
				w.git(src, "push", "-q", remote, "main")
				total := p.requests.Load() - before
				if total < 3 {
					t.Fatalf("an update push made %d store requests; the proxy is not in the path", total)
				}
				for k := int64(1); k <= total; k++ {
					old := w.git(src, "rev-parse", "HEAD")
					next := w.commit(src, "step.txt", fmt.Sprintf("kill before request %d\n", k))
					w.pushKilledAtRequest(src, remote, p, k)
					// The lock a killed bundle push held must go stale before the next push.
					waitLockTTL(eng)
					clone := w.clone(remote)
					w.fsck(clone)
					got := w.git(clone, "rev-parse", "HEAD")
					if got != old && got != next {
						t.Fatalf("killed before request %d of %d: the remote is at %s, neither the old %s nor the new %s", k, total, got, old, next)
					}
					// The next push lands, whatever the kill left behind.
					w.commit(src, "step.txt", fmt.Sprintf("after kill %d\n", k))
					if out, err := w.try(src, "push", remote, "main"); err != nil {
						t.Fatalf("after a kill before request %d of %d, the next push failed: %v\n%s", k, total, err, out)
					}
				}
				w.fsck(w.clone(remote))
			})
		}
	}
}

// pushKilledAtRequest runs `git push url main` in its own process group and kills the
// group (git and its helper) when the push's k-th store request reaches the proxy, before
// that request is forwarded. A push that makes fewer requests simply ends.
func (w *world) pushKilledAtRequest(dir, url string, p *countingProxy, k int64) {
	w.t.Helper()
	cmd, out := w.pushCmd(dir, url)
	first := p.requests.Load() + 1
	var pid atomic.Int64
	var once sync.Once
	killed := make(chan struct{})
	gate := func(n int64) bool {
		if n-first+1 < k {
			return true
		}
		once.Do(func() {
			for pid.Load() == 0 { // Start has not returned yet
				time.Sleep(time.Millisecond)
			}
			// Marked before the kill: Wait may return as soon as the signal lands, and
			// must then see that the death was ours, not the push failing by itself.
			close(killed)
			syscall.Kill(-int(pid.Load()), syscall.SIGKILL)
		})
		return false
	}
	p.gate.Store(&gate)
	defer p.gate.Store(nil)
	if err := cmd.Start(); err != nil {
		w.t.Fatal(err)
	}
	pid.Store(int64(cmd.Process.Pid))
	err := cmd.Wait()
	select {
	case <-killed:
	default:
		if err != nil && !strings.Contains(out.String(), "Everything up-to-date") {
			w.t.Fatalf("the push failed by itself before request %d: %v\n%s", k, err, out.String())
		}
	}
}

// waitLockTTL waits out the bundle engine's ref lock TTL (1 s in these tests, judged on
// whole seconds of the store's clock).
func waitLockTTL(engine string) {
	if engine == "bundle" {
		time.Sleep(2100 * time.Millisecond)
	}
}
