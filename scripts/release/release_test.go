package main

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"crypto/ed25519"
	"crypto/rand"
	"debug/buildinfo"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"runtime/debug"
	"strings"
	"testing"
	"time"

	"git-remote-object-store/internal/sshsig"
)

// The SBOM of a real Go binary (this test's own) has CycloneDX 1.5's required fields and
// lists the Go version and every module in the build info.
func TestSBOM(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	bi, err := buildinfo.ReadFile(exe)
	if err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(exe)
	when := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	out, err := SBOM(bi, data, "v1.2.3", "linux", "amd64", when)
	if err != nil {
		t.Fatal(err)
	}
	again, _ := SBOM(bi, data, "v1.2.3", "linux", "amd64", when)
	if !bytes.Equal(out, again) {
		t.Fatal("SBOM differs between two runs")
	}
	checkSBOM(t, out, bi)
}

func checkSBOM(t *testing.T, out []byte, bi *debug.BuildInfo) {
	t.Helper()
	var doc struct {
		BOMFormat    string `json:"bomFormat"`
		SpecVersion  string `json:"specVersion"`
		SerialNumber string `json:"serialNumber"`
		Version      int    `json:"version"`
		Metadata     struct {
			Timestamp string    `json:"timestamp"`
			Component component `json:"component"`
		} `json:"metadata"`
		Components   []component  `json:"components"`
		Dependencies []dependency `json:"dependencies"`
	}
	if err := json.Unmarshal(out, &doc); err != nil {
		t.Fatal(err)
	}
	if doc.BOMFormat != "CycloneDX" || doc.SpecVersion != "1.5" || doc.Version < 1 {
		t.Errorf("header: %q %q %d", doc.BOMFormat, doc.SpecVersion, doc.Version)
	}
	if !regexp.MustCompile(`^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`).MatchString(doc.SerialNumber) {
		t.Errorf("serialNumber %q", doc.SerialNumber)
	}
	if _, err := time.Parse(time.RFC3339, doc.Metadata.Timestamp); err != nil {
		t.Errorf("timestamp: %v", err)
	}
	types := map[string]bool{"application": true, "library": true, "framework": true}
	refs := map[string]bool{}
	all := append([]component{doc.Metadata.Component}, doc.Components...)
	for _, c := range all {
		if !types[c.Type] || c.Name == "" || c.BOMRef == "" {
			t.Errorf("component without type, name or bom-ref: %+v", c)
		}
		if refs[c.BOMRef] {
			t.Errorf("bom-ref %q twice", c.BOMRef)
		}
		refs[c.BOMRef] = true
		for _, h := range c.Hashes {
			if h.Alg != "SHA-256" || !regexp.MustCompile(`^[0-9a-f]{64}$`).MatchString(h.Content) {
				t.Errorf("hash %+v", h)
			}
		}
	}
	if len(doc.Metadata.Component.Hashes) != 1 {
		t.Error("the binary's hash is missing")
	}
	want := map[string]string{"stdlib": bi.GoVersion}
	for _, d := range bi.Deps {
		want[d.Path] = d.Version
	}
	for _, c := range doc.Components {
		if v, ok := want[c.Name]; ok && v == c.Version {
			delete(want, c.Name)
		}
	}
	if len(want) > 0 {
		t.Errorf("not listed: %v", want)
	}
	for _, d := range doc.Dependencies {
		if !refs[d.Ref] {
			t.Errorf("dependency on unknown ref %q", d.Ref)
		}
	}
}

// Archives: the same members at the same time give the same bytes, and read back.
func TestArchivesReproducible(t *testing.T) {
	when := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	ms := []member{{"bin", 0o755, []byte("binary")}, {"LICENSE", 0o644, []byte("licence")}}
	t1, _ := tarGz("d", ms, when)
	t2, _ := tarGz("d", ms, when)
	z1, _ := zipArchive("d", ms, when)
	z2, _ := zipArchive("d", ms, when)
	if !bytes.Equal(t1, t2) || !bytes.Equal(z1, z2) {
		t.Fatal("archives differ between two runs")
	}
	zr, _ := gzip.NewReader(bytes.NewReader(t1))
	tr := tar.NewReader(zr)
	var names []string
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if !h.ModTime.Equal(when) || h.Uid != 0 || h.Uname != "" {
			t.Errorf("%s: %v %d %q", h.Name, h.ModTime, h.Uid, h.Uname)
		}
		names = append(names, h.Name)
	}
	if strings.Join(names, " ") != "d/ d/bin d/LICENSE" {
		t.Errorf("tar members %q", names)
	}
	zz, err := zip.NewReader(bytes.NewReader(z1), int64(len(z1)))
	if err != nil || len(zz.File) != 3 || zz.File[1].Mode()&0o111 == 0 {
		t.Fatalf("zip: %v", err)
	}
}

func TestRefusals(t *testing.T) {
	_, key, _ := ed25519.GenerateKey(rand.Reader)
	for _, c := range []Config{
		{Version: "1.2.3", Key: key, Src: "../..", Dist: t.TempDir()},
		{Version: "v1.2", Key: key, Src: "../..", Dist: t.TempDir()},
		{Version: "v1.2.3", Src: "../..", Dist: t.TempDir()},
	} {
		if _, err := Release(c); err == nil {
			t.Errorf("%+v accepted", c.Version)
		}
	}
	full := t.TempDir()
	os.WriteFile(filepath.Join(full, "x"), nil, 0o644)
	if _, err := Release(Config{Version: "v1.2.3", Key: key, Src: "../..", Dist: full}); err == nil || !strings.Contains(err.Error(), "not empty") {
		t.Errorf("non-empty dist: %v", err)
	}
}

// TestReleaseTwice builds the whole release from two copies of the source in different
// directories, each committed with the same author, dates and message (so the same
// commit id), and compares every byte; then checks the signature with ssh-keygen and
// with the verify verb of the host's binary, and the binary's version output. It builds
// twelve binaries, the second six with an empty build cache (about three minutes on
// two cores), so -short skips it.
func TestReleaseTwice(t *testing.T) {
	if testing.Short() {
		t.Skip("slow: builds the release twice")
	}
	root, _ := filepath.Abs("../..")
	files, err := exec.Command("git", "-C", root, "ls-files", "-z", "--cached", "--others", "--exclude-standard").Output()
	if err != nil {
		t.Fatal(err)
	}
	kg, kerr := exec.LookPath("ssh-keygen")
	_, key, _ := ed25519.GenerateKey(rand.Reader)
	pub := sshsig.PublicKey(key.Public().(ed25519.PublicKey)).String()
	// Both copies are taken before either is built: the tree may change meanwhile.
	var srcs, dists [2]string
	var commits [2]string
	for i := range srcs {
		src := filepath.Join(t.TempDir(), []string{"a", "bb/src"}[i])
		for _, f := range strings.Split(strings.TrimRight(string(files), "\x00"), "\x00") {
			b, err := os.ReadFile(filepath.Join(root, f))
			if err != nil {
				continue // deleted in the work tree
			}
			os.MkdirAll(filepath.Dir(filepath.Join(src, f)), 0o755)
			os.WriteFile(filepath.Join(src, f), b, 0o644)
		}
		git := func(args ...string) string {
			cmd := exec.Command("git", append([]string{"-C", src}, args...)...)
			cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=r", "GIT_AUTHOR_EMAIL=r@example.org", "GIT_COMMITTER_NAME=r",
				"GIT_COMMITTER_EMAIL=r@example.org", "GIT_AUTHOR_DATE=2026-12-01T10:00:00Z", "GIT_COMMITTER_DATE=2026-12-01T10:00:00Z")
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("git %v: %v\n%s", args, err, out)
			}
			return string(out)
		}
		git("init", "-q", "-b", "main")
		git("add", "-A")
		git("commit", "-q", "--no-gpg-sign", "-m", "release test")
		commits[i] = git("rev-parse", "HEAD")
		srcs[i] = src
	}
	if commits[0] != commits[1] {
		t.Fatalf("the two copies differ (%s, %s): the tree changed while it was copied", commits[0], commits[1])
	}
	for i, src := range srcs {
		dists[i] = filepath.Join(t.TempDir(), "dist")
		c := Config{Version: "v9.8.7", Key: key, Src: src, Dist: dists[i]}
		if i == 1 {
			// An empty build cache: the second build compiles every package again, as on
			// another machine, instead of reusing the first one's results.
			c.Env = []string{"GOCACHE=" + t.TempDir()}
		}
		if _, err := Release(c); err != nil {
			t.Fatal(err)
		}
	}
	ents, _ := os.ReadDir(dists[0])
	if len(ents) != 3*len(Targets)+2 {
		t.Errorf("%d files in dist", len(ents))
	}
	for _, e := range ents {
		a, _ := os.ReadFile(filepath.Join(dists[0], e.Name()))
		b, err := os.ReadFile(filepath.Join(dists[1], e.Name()))
		if err != nil || !bytes.Equal(a, b) {
			t.Errorf("%s differs between the two builds", e.Name())
		}
		if e.Name() == "SHA256SUMS" {
			t.Logf("SHA256SUMS of both builds:\n%s", a)
		}
	}
	d := dists[0]
	os.WriteFile(filepath.Join(d, "..", "allowed_signers"), []byte("release@example.org "+pub+"\n"), 0o644)
	signers := filepath.Join(d, "..", "allowed_signers")
	if kerr == nil {
		cmd := exec.Command(kg, "-Y", "verify", "-f", signers, "-I", "release@example.org", "-n", "file", "-s", filepath.Join(d, "SHA256SUMS.sig"))
		cmd.Stdin = bytes.NewReader(must(os.ReadFile(filepath.Join(d, "SHA256SUMS"))))
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("ssh-keygen -Y verify: %v\n%s", err, out)
		} else {
			t.Logf("ssh-keygen: %s", out)
		}
	}
	host := filepath.Join(d, "git-remote-object-store_v9.8.7_"+runtime.GOOS+"_"+runtime.GOARCH)
	if runtime.GOOS == "windows" {
		host += ".exe"
	}
	out, err := exec.Command(host, "--version").Output()
	if err != nil || !strings.HasPrefix(string(out), "git-remote-object-store v9.8.7\ncommit: ") || strings.Contains(string(out), "dirty") ||
		!strings.Contains(string(out), "built:  2026-12-01T10:00:00Z") {
		t.Errorf("--version: %v\n%s", err, out)
	}
	bi, _ := buildinfo.ReadFile(host)
	checkSBOM(t, must(os.ReadFile(strings.TrimSuffix(host, ".exe")+".cdx.json")), bi)
	verify := func() error {
		out, err := exec.Command(host, "verify", "--key", signers, filepath.Join(d, "SHA256SUMS"), filepath.Join(d, "SHA256SUMS.sig")).CombinedOutput()
		t.Logf("verify: %s", out)
		return err
	}
	if err := verify(); err != nil {
		t.Errorf("verify: %v", err)
	}
	victim := filepath.Join(d, "git-remote-object-store_v9.8.7_windows_arm64.zip")
	b := must(os.ReadFile(victim))
	b[len(b)/2] ^= 1
	os.WriteFile(victim, b, 0o644)
	if err := verify(); err == nil {
		t.Error("verify accepted a flipped byte in an archive")
	}
}

func must(b []byte, err error) []byte {
	if err != nil {
		panic(err)
	}
	return b
}
