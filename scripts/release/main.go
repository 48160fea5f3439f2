// Command release builds a signed, reproducible release of git-remote-object-store
// (make release VERSION=vX.Y.Z SIGNING_KEY=<path>):
//
//   - the binary for linux, darwin and windows on amd64 and arm64, built with
//     CGO_ENABLED=0 -trimpath -buildvcs=true and fixed -ldflags, so the same commit gives
//     the same bytes in any directory on any machine with the same Go release;
//   - per target a .tar.gz (unix) or .zip (windows) holding the binary, LICENSE, NOTICE,
//     README.md and CHANGELOG.md, with fixed order, owners, modes and times (the
//     commit's), so the archives are reproducible too;
//   - per binary a CycloneDX 1.5 JSON SBOM made from the binary's own build info
//     (debug/buildinfo, what `go version -m` prints): Go version, module, every dependency;
//   - SHA256SUMS over all of them, and SHA256SUMS.sig, an SSH signature (namespace
//     "file") made with an unencrypted OpenSSH ed25519 key, which
//     `ssh-keygen -Y verify` and `git object-store verify` check.
//
// It refuses to run without a key, with a key of another kind, from a dirty tree (unless
// -allow-dirty) and into a non-empty output directory.
package main

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"crypto/ed25519"
	"crypto/sha256"
	"debug/buildinfo"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime/debug"
	"sort"
	"strings"
	"time"

	"git-remote-object-store/internal/sshsig"
)

const project = "git-remote-object-store"

// Targets is what a release ships.
var Targets = []string{"linux/amd64", "linux/arm64", "darwin/amd64", "darwin/arm64", "windows/amd64", "windows/arm64"}

// docFiles go into every archive beside the binary.
var docFiles = []string{"LICENSE", "NOTICE", "README.md", "CHANGELOG.md"}

var versionRE = regexp.MustCompile(`^v(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)(-[0-9A-Za-z.-]+)?$`)

// Config is one release run.
type Config struct {
	Version    string
	Key        ed25519.PrivateKey
	Src        string   // the module's root
	Dist       string   // output directory, created; must be empty if it exists
	Targets    []string // default Targets
	AllowDirty bool
	Log        io.Writer
	// Env is added to go build's environment: a test gives one build its own GOCACHE,
	// so it compiles everything again as another machine would.
	Env []string
}

func main() {
	var c Config
	var keyPath, targets string
	flag.StringVar(&c.Version, "version", "", "release version, vX.Y.Z")
	flag.StringVar(&keyPath, "key", "", "OpenSSH ed25519 private key (unencrypted) that signs SHA256SUMS")
	flag.StringVar(&c.Dist, "dist", "dist", "output directory")
	flag.StringVar(&c.Src, "src", ".", "the module's root")
	flag.StringVar(&targets, "targets", strings.Join(Targets, ","), "comma-separated GOOS/GOARCH list")
	flag.BoolVar(&c.AllowDirty, "allow-dirty", false, "release from a tree with uncommitted changes (the binaries say -dirty)")
	flag.Parse()
	if flag.NArg() != 0 {
		fail(fmt.Errorf("unexpected argument %q", flag.Arg(0)))
	}
	if keyPath == "" {
		fail(errors.New("no signing key: make release VERSION=vX.Y.Z SIGNING_KEY=<path to an OpenSSH ed25519 private key>; the key is never kept in the repository"))
	}
	key, err := sshsig.ReadPrivateKey(keyPath)
	if err != nil {
		fail(fmt.Errorf("signing key: %w", err))
	}
	c.Key = key
	c.Targets = strings.Split(targets, ",")
	c.Log = os.Stdout
	files, err := Release(c)
	if err != nil {
		fail(err)
	}
	fmt.Printf("\n%s:\n", c.Dist)
	for _, f := range files {
		fmt.Printf("  %10d  %s\n", f.Size, f.Name)
	}
	fmt.Printf("\nsigned by %s\nverify: ssh-keygen -Y verify -f allowed_signers -I <principal> -n file -s SHA256SUMS.sig < SHA256SUMS\n",
		sshsig.PublicKey(key.Public().(ed25519.PublicKey)).String())
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "release:", err)
	os.Exit(1)
}

// File is one file Release wrote.
type File struct {
	Name string
	Size int64
}

// Release builds, packs, describes and signs every target into c.Dist.
func Release(c Config) ([]File, error) {
	if !versionRE.MatchString(c.Version) {
		return nil, fmt.Errorf("version %q is not vMAJOR.MINOR.PATCH[-PRERELEASE]", c.Version)
	}
	if c.Key == nil {
		return nil, errors.New("no signing key")
	}
	if len(c.Targets) == 0 {
		c.Targets = Targets
	}
	if c.Log == nil {
		c.Log = io.Discard
	}
	src, err := filepath.Abs(c.Src)
	if err != nil {
		return nil, err
	}
	if _, err := os.Stat(filepath.Join(src, "go.mod")); err != nil {
		return nil, fmt.Errorf("%s is not the module's root: %w", src, err)
	}
	if ents, err := os.ReadDir(c.Dist); err == nil && len(ents) > 0 {
		return nil, fmt.Errorf("%s is not empty; remove it first", c.Dist)
	}
	if err := os.MkdirAll(c.Dist, 0o755); err != nil {
		return nil, err
	}
	docs := map[string][]byte{}
	for _, d := range docFiles {
		if docs[d], err = os.ReadFile(filepath.Join(src, d)); err != nil {
			return nil, err
		}
	}
	var names []string
	for _, t := range c.Targets {
		goos, goarch, ok := strings.Cut(t, "/")
		if !ok {
			return nil, fmt.Errorf("target %q is not GOOS/GOARCH", t)
		}
		base := fmt.Sprintf("%s_%s_%s_%s", project, c.Version, goos, goarch)
		exe := ""
		if goos == "windows" {
			exe = ".exe"
		}
		bin := base + exe
		fmt.Fprintf(c.Log, "build   %s\n", bin)
		if err := build(src, filepath.Join(c.Dist, bin), goos, goarch, c.Version, c.Env); err != nil {
			return nil, err
		}
		bi, err := buildinfo.ReadFile(filepath.Join(c.Dist, bin))
		if err != nil {
			return nil, fmt.Errorf("%s: build info: %w", bin, err)
		}
		mtime, dirty, err := vcsInfo(bi)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", bin, err)
		}
		if dirty && !c.AllowDirty {
			return nil, errors.New("the tree has uncommitted changes (vcs.modified=true); commit them, or pass -allow-dirty (ALLOW_DIRTY=1)")
		}
		binBytes, err := os.ReadFile(filepath.Join(c.Dist, bin))
		if err != nil {
			return nil, err
		}
		members := []member{{name: project + exe, mode: 0o755, data: binBytes}}
		for _, d := range docFiles {
			members = append(members, member{name: d, mode: 0o644, data: docs[d]})
		}
		var archive []byte
		var arcName string
		if goos == "windows" {
			arcName = base + ".zip"
			archive, err = zipArchive(base, members, mtime)
		} else {
			arcName = base + ".tar.gz"
			archive, err = tarGz(base, members, mtime)
		}
		if err != nil {
			return nil, err
		}
		fmt.Fprintf(c.Log, "archive %s\n", arcName)
		if err := os.WriteFile(filepath.Join(c.Dist, arcName), archive, 0o644); err != nil {
			return nil, err
		}
		sbom, err := SBOM(bi, binBytes, c.Version, goos, goarch, mtime)
		if err != nil {
			return nil, err
		}
		sbomName := base + ".cdx.json"
		fmt.Fprintf(c.Log, "sbom    %s\n", sbomName)
		if err := os.WriteFile(filepath.Join(c.Dist, sbomName), sbom, 0o644); err != nil {
			return nil, err
		}
		names = append(names, bin, arcName, sbomName)
	}
	sort.Strings(names)
	var sums bytes.Buffer
	for _, n := range names {
		b, err := os.ReadFile(filepath.Join(c.Dist, n))
		if err != nil {
			return nil, err
		}
		sum := sha256.Sum256(b)
		fmt.Fprintf(&sums, "%s  %s\n", hex.EncodeToString(sum[:]), n)
	}
	if err := os.WriteFile(filepath.Join(c.Dist, "SHA256SUMS"), sums.Bytes(), 0o644); err != nil {
		return nil, err
	}
	sig, err := sshsig.Sign(c.Key, "file", bytes.NewReader(sums.Bytes()))
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(c.Dist, "SHA256SUMS.sig"), sig, 0o644); err != nil {
		return nil, err
	}
	fmt.Fprintf(c.Log, "signed  SHA256SUMS\n")
	names = append(names, "SHA256SUMS", "SHA256SUMS.sig")
	var files []File
	for _, n := range names {
		fi, err := os.Stat(filepath.Join(c.Dist, n))
		if err != nil {
			return nil, err
		}
		files = append(files, File{n, fi.Size()})
	}
	return files, nil
}

// build runs go build for one target with everything that could differ between
// machines pinned: no cgo, no paths (-trimpath), no build id, the environment's GOFLAGS
// and architecture levels overridden. The release version is the one thing set by -X
// (build info cannot know it); commit and time come from -buildvcs.
func build(src, out, goos, goarch, version string, env []string) error {
	abs, err := filepath.Abs(out)
	if err != nil {
		return err
	}
	cmd := exec.Command("go", "build", "-trimpath", "-buildvcs=true",
		"-ldflags=-s -w -buildid= -X main.version="+version, "-o", abs, ".")
	cmd.Dir = src
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS="+goos, "GOARCH="+goarch, "GOFLAGS=",
		"GOAMD64=v1", "GOARM64=v8.0", "GOEXPERIMENT=", "GOWORK=off")
	cmd.Env = append(cmd.Env, env...)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build %s/%s: %v\n%s", goos, goarch, err, out)
	}
	return nil
}

// vcsInfo is the commit's time (every date the release writes) and whether the tree
// was dirty.
func vcsInfo(bi *debug.BuildInfo) (time.Time, bool, error) {
	var t time.Time
	dirty, rev := false, false
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.time":
			var err error
			if t, err = time.Parse(time.RFC3339, s.Value); err != nil {
				return t, false, fmt.Errorf("vcs.time %q: %v", s.Value, err)
			}
		case "vcs.modified":
			dirty = s.Value == "true"
		case "vcs.revision":
			rev = true
		}
	}
	if !rev || t.IsZero() {
		return t, false, errors.New("no commit in the build info: release from a git checkout")
	}
	return t.UTC(), dirty, nil
}

type member struct {
	name string
	mode int64
	data []byte
}

// tarGz writes members under dir/ in the given order, owned by 0:0 with no names, at
// mtime; gzip's header carries no name and no time.
func tarGz(dir string, members []member, mtime time.Time) ([]byte, error) {
	var buf bytes.Buffer
	zw, err := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	if err != nil {
		return nil, err
	}
	tw := tar.NewWriter(zw)
	hdr := func(h *tar.Header) error {
		h.ModTime, h.Format = mtime, tar.FormatPAX
		h.Uid, h.Gid, h.Uname, h.Gname = 0, 0, "", ""
		return tw.WriteHeader(h)
	}
	if err := hdr(&tar.Header{Typeflag: tar.TypeDir, Name: dir + "/", Mode: 0o755}); err != nil {
		return nil, err
	}
	for _, m := range members {
		if err := hdr(&tar.Header{Typeflag: tar.TypeReg, Name: dir + "/" + m.name, Mode: m.mode, Size: int64(len(m.data))}); err != nil {
			return nil, err
		}
		if _, err := tw.Write(m.data); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// zipArchive writes members under dir/ in the given order at mtime.
func zipArchive(dir string, members []member, mtime time.Time) ([]byte, error) {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	h := &zip.FileHeader{Name: dir + "/", Modified: mtime}
	h.SetMode(os.ModeDir | 0o755)
	if _, err := zw.CreateHeader(h); err != nil {
		return nil, err
	}
	for _, m := range members {
		h := &zip.FileHeader{Name: dir + "/" + m.name, Method: zip.Deflate, Modified: mtime}
		h.SetMode(os.FileMode(m.mode))
		w, err := zw.CreateHeader(h)
		if err != nil {
			return nil, err
		}
		if _, err := w.Write(m.data); err != nil {
			return nil, err
		}
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
