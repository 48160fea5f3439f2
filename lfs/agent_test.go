package lfs_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"git-remote-object-store/internal/testenv"
	"git-remote-object-store/lfs"
	"git-remote-object-store/store"
)

func oidOf(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// session runs the agent over the given request lines and returns its replies.
func session(t *testing.T, st store.Store, lines ...string) []map[string]any {
	t.Helper()
	a := &lfs.Agent{
		TempDir:       filepath.Join(t.TempDir(), "tmp"),
		ProgressEvery: 4,
		Open: func(_ context.Context, remote string) (store.Store, error) {
			if remote != "origin" {
				return nil, fmt.Errorf("no remote %q", remote)
			}
			return st, nil
		},
	}
	var out bytes.Buffer
	if err := a.Serve(t.Context(), strings.NewReader(strings.Join(lines, "\n")+"\n"), &out); err != nil {
		t.Fatalf("Serve: %v", err)
	}
	var replies []map[string]any
	dec := json.NewDecoder(&out)
	for dec.More() {
		var m map[string]any
		if err := dec.Decode(&m); err != nil {
			t.Fatal(err)
		}
		replies = append(replies, m)
	}
	return replies
}

// completes returns the complete events of a session.
func completes(replies []map[string]any) []map[string]any {
	var out []map[string]any
	for _, r := range replies {
		if r["event"] == "complete" {
			out = append(out, r)
		}
	}
	return out
}

func errMsg(r map[string]any) string {
	if e, ok := r["error"].(map[string]any); ok {
		return fmt.Sprint(e["code"], " ", e["message"])
	}
	return ""
}

func TestUploadDownloadRoundTrip(t *testing.T) {
	st := testenv.FSStore(t)
	content := []byte("hello, large file storage\n")
	oid := oidOf(content)
	path := filepath.Join(t.TempDir(), "obj")
	os.WriteFile(path, content, 0o644)
	init := `{"event":"init","operation":"upload","remote":"origin","concurrent":true,"concurrenttransfers":3}`
	up := fmt.Sprintf(`{"event":"upload","oid":%q,"size":%d,"path":%q,"action":null}`, oid, len(content), path)

	replies := session(t, st, init, up, `{"event":"terminate"}`)
	if len(replies) == 0 || len(replies[0]) != 0 {
		t.Fatalf("init reply = %v, want {}", replies)
	}
	c := completes(replies)
	if len(c) != 1 || errMsg(c[0]) != "" || c[0]["oid"] != oid {
		t.Fatalf("upload: %v", replies)
	}
	var last float64
	for _, r := range replies {
		if r["event"] == "progress" {
			last = r["bytesSoFar"].(float64)
		}
	}
	if int(last) != len(content) {
		t.Fatalf("progress ended at %v bytes, want %d", last, len(content))
	}
	info, err := st.Head(t.Context(), "lfs/"+oid)
	if err != nil || info.Size != int64(len(content)) {
		t.Fatalf("stored object: %+v %v", info, err)
	}
	// Again: already there, so no upload (the stored object keeps its time).
	replies = session(t, st, init, up)
	if c := completes(replies); len(c) != 1 || errMsg(c[0]) != "" {
		t.Fatalf("second upload: %v", replies)
	}
	if again, _ := st.Head(t.Context(), "lfs/"+oid); !again.LastModified.Equal(info.LastModified) || again.ETag != info.ETag {
		t.Fatal("an object already on the bucket was uploaded again")
	}

	down := fmt.Sprintf(`{"event":"download","oid":%q,"size":%d,"action":null}`, oid, len(content))
	replies = session(t, st, `{"event":"init","operation":"download","remote":"origin"}`, down)
	c = completes(replies)
	if len(c) != 1 || errMsg(c[0]) != "" {
		t.Fatalf("download: %v", replies)
	}
	got, err := os.ReadFile(c[0]["path"].(string))
	if err != nil || !bytes.Equal(got, content) {
		t.Fatalf("downloaded %q, %v", got, err)
	}
}

func TestTransferErrors(t *testing.T) {
	st := testenv.FSStore(t)
	good := []byte("good\n")
	oid := oidOf(good)
	if _, err := st.Put(t.Context(), "lfs/"+oid, bytes.NewReader([]byte("evil\n")), 5, store.Cond{}); err != nil {
		t.Fatal(err)
	}
	liar := filepath.Join(t.TempDir(), "liar")
	os.WriteFile(liar, []byte("not what the oid says\n"), 0o644)
	missing := strings.Repeat("0", 64)
	initD := `{"event":"init","operation":"download","remote":"origin"}`
	for _, c := range []struct {
		name  string
		lines []string
		want  string
	}{
		{"damaged", []string{initD, fmt.Sprintf(`{"event":"download","oid":%q,"size":5}`, oid)}, "500 object " + oid + " on the remote is damaged"},
		{"missing", []string{initD, fmt.Sprintf(`{"event":"download","oid":%q,"size":5}`, missing)}, "404 object " + missing + " is not on the remote"},
		{"bad oid", []string{initD, `{"event":"download","oid":"../../etc/passwd","size":5}`}, "400 bad oid"},
		{"wrong size", []string{initD, fmt.Sprintf(`{"event":"download","oid":%q,"size":6}`, oid)}, "git-lfs expects 6"},
		{"before init", []string{fmt.Sprintf(`{"event":"download","oid":%q,"size":5}`, oid)}, "400 download before init"},
		{"upload of a file that is not its oid", []string{`{"event":"init","operation":"upload","remote":"origin"}`,
			fmt.Sprintf(`{"event":"upload","oid":%q,"size":22,"path":%q}`, missing, liar)}, "not to its oid"},
	} {
		t.Run(c.name, func(t *testing.T) {
			replies := session(t, st, c.lines...)
			cs := completes(replies)
			if len(cs) != 1 || !strings.Contains(errMsg(cs[0]), c.want) {
				t.Fatalf("replies %v; want an error containing %q", replies, c.want)
			}
			if cs[0]["path"] != nil {
				t.Fatalf("a failed download reported a path: %v", cs[0])
			}
		})
	}
	if _, err := st.Head(t.Context(), "lfs/"+missing); err == nil {
		t.Fatal("the lying file was uploaded")
	}
	// A remote that cannot be opened fails init with a message.
	replies := session(t, st, `{"event":"init","operation":"download","remote":"elsewhere"}`)
	if len(replies) != 1 || !strings.Contains(errMsg(replies[0]), `open remote "elsewhere"`) {
		t.Fatalf("init of an unknown remote: %v", replies)
	}
	// A damaged download leaves nothing behind in the temp dir.
	a := &lfs.Agent{TempDir: t.TempDir(), Open: func(context.Context, string) (store.Store, error) { return st, nil }}
	var out bytes.Buffer
	a.Serve(t.Context(), strings.NewReader(initD+"\n"+fmt.Sprintf(`{"event":"download","oid":%q,"size":5}`, oid)+"\n"), &out)
	if left, _ := os.ReadDir(a.TempDir); len(left) != 0 {
		t.Fatalf("a damaged download left %d files in the temp dir", len(left))
	}
}

func TestServeRejectsGarbage(t *testing.T) {
	a := &lfs.Agent{TempDir: t.TempDir(), Open: func(context.Context, string) (store.Store, error) { return nil, nil }}
	for _, in := range []string{"not json\n", `{"event":"explode"}` + "\n", strings.Repeat("x", 2<<20) + "\n"} {
		if err := a.Serve(t.Context(), strings.NewReader(in), &bytes.Buffer{}); err == nil {
			t.Errorf("Serve accepted %.40q", in)
		}
	}
}

func FuzzParseRequest(f *testing.F) {
	f.Add([]byte(`{"event":"init","operation":"upload","remote":"origin","concurrent":true,"concurrenttransfers":3}`))
	f.Add([]byte(`{"event":"upload","oid":"` + strings.Repeat("a", 64) + `","size":3,"path":"/tmp/x","action":null}`))
	f.Add([]byte(`{"event":"download","oid":"` + strings.Repeat("b", 64) + `","size":0}`))
	f.Add([]byte(`{"event":"terminate"}`))
	f.Fuzz(func(t *testing.T, line []byte) {
		r, err := lfs.ParseRequest(line)
		if err != nil {
			return
		}
		if (r.Event == "upload" || r.Event == "download") && (len(r.Oid) != 64 || strings.Trim(r.Oid, "0123456789abcdef") != "" || r.Size < 0) {
			t.Fatalf("accepted %+v", r)
		}
	})
}
