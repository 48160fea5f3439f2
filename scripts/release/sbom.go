package main

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/url"
	"runtime/debug"
	"strings"
	"time"
)

// CycloneDX 1.5 JSON, the fields a binary's SBOM needs.
type (
	bom struct {
		BOMFormat    string       `json:"bomFormat"`
		SpecVersion  string       `json:"specVersion"`
		SerialNumber string       `json:"serialNumber"`
		Version      int          `json:"version"`
		Metadata     metadata     `json:"metadata"`
		Components   []component  `json:"components"`
		Dependencies []dependency `json:"dependencies"`
	}
	metadata struct {
		Timestamp string    `json:"timestamp"`
		Tools     tools     `json:"tools"`
		Component component `json:"component"`
	}
	tools struct {
		Components []component `json:"components"`
	}
	component struct {
		Type       string     `json:"type"`
		BOMRef     string     `json:"bom-ref,omitempty"`
		Name       string     `json:"name"`
		Version    string     `json:"version,omitempty"`
		Purl       string     `json:"purl,omitempty"`
		Hashes     []hash     `json:"hashes,omitempty"`
		Licenses   []license  `json:"licenses,omitempty"`
		Properties []property `json:"properties,omitempty"`
	}
	hash struct {
		Alg     string `json:"alg"`
		Content string `json:"content"`
	}
	license struct {
		License struct {
			ID string `json:"id"`
		} `json:"license"`
	}
	property struct {
		Name  string `json:"name"`
		Value string `json:"value"`
	}
	dependency struct {
		Ref       string   `json:"ref"`
		DependsOn []string `json:"dependsOn"`
	}
)

// SBOM describes one binary from its build info: the module and version it was built
// from, the Go toolchain (as the component "stdlib", the way Go scanners name it), every
// dependency module, and the build settings. Everything in it is derived from the
// binary and the commit time, so it is reproducible too.
func SBOM(bi *debug.BuildInfo, binary []byte, version, goos, goarch string, when time.Time) ([]byte, error) {
	sum := sha256.Sum256(binary)
	q := url.Values{"goos": {goos}, "goarch": {goarch}}.Encode()
	main := component{
		Type:    "application",
		BOMRef:  "pkg:golang/" + purlPath(bi.Main.Path) + "@" + version + "?" + q,
		Name:    bi.Main.Path,
		Version: version,
		Hashes:  []hash{{"SHA-256", hex.EncodeToString(sum[:])}},
	}
	main.Purl = main.BOMRef
	var l license
	l.License.ID = "Apache-2.0"
	main.Licenses = []license{l}
	main.Properties = append(main.Properties, property{"go.version", bi.GoVersion}, property{"go.path", bi.Path})
	for _, s := range bi.Settings {
		main.Properties = append(main.Properties, property{"go.build." + s.Key, s.Value})
	}
	goVer := strings.TrimPrefix(bi.GoVersion, "go")
	comps := []component{{
		Type:    "library",
		BOMRef:  "pkg:golang/stdlib@" + goVer,
		Name:    "stdlib",
		Version: bi.GoVersion,
		Purl:    "pkg:golang/stdlib@" + goVer,
		Properties: []property{
			{"go.toolchain", bi.GoVersion},
		},
	}}
	for _, d := range bi.Deps {
		m := d
		if d.Replace != nil {
			m = d.Replace
		}
		c := component{
			Type:    "library",
			BOMRef:  "pkg:golang/" + purlPath(m.Path) + "@" + m.Version,
			Name:    m.Path,
			Version: m.Version,
		}
		c.Purl = c.BOMRef
		if m.Sum != "" {
			c.Properties = append(c.Properties, property{"go.module.sum", m.Sum})
		}
		if d.Replace != nil {
			c.Properties = append(c.Properties, property{"go.module.replaces", d.Path + "@" + d.Version})
		}
		comps = append(comps, c)
	}
	deps := []dependency{{Ref: main.BOMRef, DependsOn: []string{}}}
	for _, c := range comps {
		deps[0].DependsOn = append(deps[0].DependsOn, c.BOMRef)
		deps = append(deps, dependency{Ref: c.BOMRef, DependsOn: []string{}})
	}
	b := bom{
		BOMFormat:    "CycloneDX",
		SpecVersion:  "1.5",
		SerialNumber: "urn:uuid:" + uuidFrom(sum[:]),
		Version:      1,
		Metadata: metadata{
			Timestamp: when.UTC().Format(time.RFC3339),
			Tools: tools{Components: []component{{
				Type: "application", Name: project + "/scripts/release", Version: version,
			}}},
			Component: main,
		},
		Components:   comps,
		Dependencies: deps,
	}
	out, err := json.MarshalIndent(b, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(out, '\n'), nil
}

// purlPath escapes a module path for a purl: each segment percent-encoded, the slashes kept.
func purlPath(p string) string {
	segs := strings.Split(p, "/")
	for i, s := range segs {
		segs[i] = url.PathEscape(s)
	}
	return strings.Join(segs, "/")
}

// uuidFrom makes an RFC 4122 UUID (version 5 form, variant 10) from a digest, so the
// serial number is the same on every rebuild of the same binary.
func uuidFrom(sum []byte) string {
	var u [16]byte
	copy(u[:], sum)
	u[6] = u[6]&0x0f | 0x50
	u[8] = u[8]&0x3f | 0x80
	h := hex.EncodeToString(u[:])
	return fmt.Sprintf("%s-%s-%s-%s-%s", h[:8], h[8:12], h[12:16], h[16:20], h[20:])
}
