//go:build unix

package e2e

import (
	"bytes"
	"fmt"
	"io"
	"log"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"git-remote-object-store/engine"
	"git-remote-object-store/internal/testenv"
)

// countingProxy is a reverse proxy on 127.0.0.1 that counts the request body bytes it
// forwards. It keeps the Host header the client sent, so a SigV4 signature (which covers
// it) still verifies; Azure Shared Key does not sign the host.
type countingProxy struct {
	srv  *httptest.Server
	sent atomic.Int64
	// requests counts the requests that reached the proxy; gate, when set, runs before
	// each is forwarded with its number, and a false answer fails it instead.
	requests atomic.Int64
	gate     atomic.Pointer[func(n int64) bool]
}

func newCountingProxy(t *testing.T, target string) *countingProxy {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	u.Path, u.RawPath = "", ""
	p := &countingProxy{}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.DisableCompression = true // pass bodies through as the server sent them
	rp := &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) {
			r.SetURL(u)
			r.Out.Host = r.In.Host
			if r.Out.Body != nil && r.Out.Body != http.NoBody {
				r.Out.Body = &countingBody{ReadCloser: r.Out.Body, n: &p.sent}
			}
		},
		Transport: tr,
		ErrorLog:  log.New(io.Discard, "", 0), // a killed client makes it complain
	}
	p.srv = httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		n := p.requests.Add(1)
		if g := p.gate.Load(); g != nil && !(*g)(n) {
			http.Error(rw, "dropped by the test proxy", http.StatusBadGateway)
			return
		}
		rp.ServeHTTP(rw, r)
	}))
	t.Cleanup(p.srv.Close)
	return p
}

// host is the proxy's host:port.
func (p *countingProxy) host() string { return strings.TrimPrefix(p.srv.URL, "http://") }

type countingBody struct {
	io.ReadCloser
	n *atomic.Int64
}

func (c *countingBody) Read(b []byte) (int, error) {
	n, err := c.ReadCloser.Read(b)
	c.n.Add(int64(n))
	return n, err
}

// bigRepo makes a repository holding files × size bytes of random (incompressible)
// content in one commit, packed without compression or deltas so that pushes reuse the
// stored entries instead of spending the test's time deflating.
func bigRepo(w *world, files int, size int64) string {
	w.t.Helper()
	dir := filepath.Join(w.t.TempDir(), "big")
	w.git(w.home, "init", "-q", dir)
	rng := rand.NewChaCha8([32]byte{42})
	buf := make([]byte, 1<<20)
	for i := 0; i < files; i++ {
		f, err := os.Create(filepath.Join(dir, fmt.Sprintf("blob%d.bin", i)))
		if err != nil {
			w.t.Fatal(err)
		}
		for n := int64(0); n < size; n += int64(len(buf)) {
			rng.Read(buf)
			f.Write(buf[:min(int64(len(buf)), size-n)])
		}
		if err := f.Close(); err != nil {
			w.t.Fatal(err)
		}
	}
	w.git(dir, "-c", "core.compression=0", "-c", "core.bigFileThreshold=1m", "add", "-A")
	w.git(dir, "commit", "-q", "-m", "big")
	w.git(dir, "-c", "pack.compression=0", "-c", "core.bigFileThreshold=1m", "repack", "-adq")
	return dir
}

func packBytes(t *testing.T, dir string) int64 {
	packs, _ := filepath.Glob(filepath.Join(dir, ".git", "objects", "pack", "pack-*.pack"))
	var n int64
	for _, p := range packs {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		n += fi.Size()
	}
	return n
}

// pushCmd is `git push -q url main` in dir, in a process group of its own (so git and
// the helper it starts can be killed together), with its output collected.
func (w *world) pushCmd(dir, url string) (*exec.Cmd, *bytes.Buffer) {
	cmd := exec.Command("git", "push", "-q", url, "main")
	cmd.Dir, cmd.Env = dir, w.environ()
	out := new(bytes.Buffer)
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	return cmd, out
}

// pushKilled runs `git push url main` in its own process group and kills the group
// (git and the helper it started) with SIGKILL once the proxy has forwarded at least
// limit request body bytes. It fails the test if the push ends by itself first.
func (w *world) pushKilled(dir, url string, p *countingProxy, limit int64) {
	w.t.Helper()
	cmd, out := w.pushCmd(dir, url)
	if err := cmd.Start(); err != nil {
		w.t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	tick := time.NewTicker(2 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case err := <-exited:
			w.t.Fatalf("the push ended (%v) after %d bytes, before it could be killed at %d\n%s", err, p.sent.Load(), limit, out.String())
		case <-tick.C:
			if p.sent.Load() >= limit {
				syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
				<-exited
				return
			}
		}
	}
}

// TestResumableFirstPush kills a large first push part-way and pushes again: the second
// push must send only what the first did not finish, and leave a remote that clones and
// no upload record behind. For each cloud backend and engine, through a counting proxy.
func TestResumableFirstPush(t *testing.T) {
	if testing.Short() {
		t.Skip("pushes 200 MiB per backend and engine")
	}
	const (
		files    = 4
		fileSize = 50 << 20
	)
	type target struct {
		name string
		url  func(t *testing.T, p func(target string) *countingProxy, engine string) string
	}
	targets := []target{{
		name: "s3",
		url: func(t *testing.T, proxy func(string) *countingProxy, engine string) string {
			cfg := testenv.S3Bucket(t)
			p := proxy(cfg.Endpoint)
			return "s3+http://" + p.host() + "/" + cfg.Bucket + "/team/repo?engine=" + engine
		},
	}, {
		name: "azblob",
		url: func(t *testing.T, proxy func(string) *countingProxy, engine string) string {
			cfg := testenv.AzureContainer(t)
			p := proxy(cfg.Endpoint)
			u, err := url.Parse(cfg.Endpoint)
			if err != nil {
				t.Fatal(err)
			}
			return "az+http://" + p.host() + u.Path + "/" + cfg.Container + "/team/repo?engine=" + engine
		},
	}}
	w := newWorld(t)
	start := time.Now()
	src := bigRepo(w, files, fileSize)
	total := packBytes(t, src)
	head := w.git(src, "rev-parse", "HEAD")
	t.Logf("repository: %d MiB packed, made in %s", total>>20, time.Since(start).Round(time.Millisecond))
	records := filepath.Join(src, ".git", "object-store", "uploads")
	t.Cleanup(func() {
		t.Logf("whole test: %s", time.Since(start).Round(time.Millisecond))
		if left, _ := filepath.Glob(filepath.Join(records, "*")); len(left) != 0 {
			t.Errorf("files left in %s: %v", records, left)
		}
	})
	for _, tg := range targets {
		for _, eng := range []string{"bundle", "packchain"} {
			t.Run(tg.name+"/"+eng, func(t *testing.T) {
				t.Parallel() // Azurite is slow: let the S3 runs overlap it
				w := &world{t: t, home: w.home}
				// The killed push leaves its ref lock behind; let it go stale quickly.
				w.setenv("GIT_REMOTE_S3_LOCK_TTL_SECONDS", "2")
				var p *countingProxy
				remote := tg.url(t, func(target string) *countingProxy {
					p = newCountingProxy(t, target)
					return p
				}, eng)
				began := time.Now()
				w.pushKilled(src, remote, p, total*7/10)
				first := p.sent.Load()
				killed := time.Since(began)
				if n := recordsFor(t, records, remote); n != 1 {
					t.Fatalf("%d upload records of this remote after the killed push, want one", n)
				}
				if eng == "bundle" {
					time.Sleep(3 * time.Second) // past the ref lock's TTL
				}
				p.sent.Store(0)
				began = time.Now()
				out := w.git(src, "push", "-q", remote, "main")
				second := p.sent.Load()
				if !strings.Contains(out, "Resumed the upload of") {
					t.Errorf("the second push did not say it resumed:\n%s", out)
				}
				t.Logf("total %d MiB; killed push sent %.1f MiB (%.0f%%) in %s; second push sent %.1f MiB (%.0f%%) in %s",
					total>>20, mib(first), pct(first, total), killed.Round(time.Millisecond),
					mib(second), pct(second, total), time.Since(began).Round(time.Millisecond))
				// What the killed push had not sent, the parts it had on the wire when it
				// died (16 MiB each on both backends), which the store never kept, and a
				// MiB for the other requests (refs, manifest, the packchain's index).
				if limit := total - first + engine.ResumeBuffers*16<<20 + 1<<20; second > limit {
					t.Errorf("the second push sent %d bytes, %.0f%% of the %d, more than the %d the first left: it did not resume", second, pct(second, total), total, limit)
				}
				if n := recordsFor(t, records, remote); n != 0 {
					t.Errorf("%d upload records of this remote left after the push", n)
				}
				clone := w.clone(remote)
				if got := w.git(clone, "rev-parse", "HEAD"); got != head {
					t.Fatalf("clone HEAD %s, pushed %s", got, head)
				}
				w.fsck(clone)
			})
		}
	}
}

// recordsFor counts the upload records (and records being written) in dir that belong to
// the remote at url (its bucket or container name appears in the record's scope).
func recordsFor(t *testing.T, dir, remote string) int {
	t.Helper()
	u, err := url.Parse(remote)
	if err != nil {
		t.Fatal(err)
	}
	bucket := strings.Split(strings.TrimPrefix(u.Path, "/"), "/")
	name := bucket[0]
	if strings.HasPrefix(u.Scheme, "az") {
		name = bucket[1] // the path starts with the account
	}
	entries, _ := os.ReadDir(dir)
	n := 0
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err == nil && bytes.Contains(b, []byte(" "+name+" ")) {
			n++
		}
	}
	return n
}

func mib(n int64) float64        { return float64(n) / (1 << 20) }
func pct(n, total int64) float64 { return 100 * float64(n) / float64(total) }
