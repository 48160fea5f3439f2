package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestRunnableDocs runs every shell block the docs mark runnable (a fence opened with
// "```sh runnable"), as written, each file's blocks in order in one fresh directory with
// its own HOME and this build's helpers on PATH: a command in the docs that stops
// working fails the tests. Blocks are run with bash -e, so every line must succeed.
func TestRunnableDocs(t *testing.T) {
	if testing.Short() {
		t.Skip("runs git")
	}
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("no git")
	}
	files, _ := filepath.Glob("docs/*.md")
	files = append(files, "README.md")
	bin := buildBinary(t)
	binDir := filepath.Dir(bin)
	if out, err := exec.Command(bin, "install", "--bin-dir", binDir).CombinedOutput(); err != nil {
		t.Fatalf("install: %v\n%s", err, out)
	}
	ran := 0
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		blocks := runnableBlocks(string(data))
		if len(blocks) == 0 {
			continue
		}
		t.Run(f, func(t *testing.T) {
			home := t.TempDir()
			work := filepath.Join(home, "work-dir")
			os.Mkdir(work, 0o755)
			var env []string
			for _, kv := range os.Environ() {
				if !strings.HasPrefix(kv, "GIT_") && !strings.HasPrefix(kv, "HOME=") && !strings.HasPrefix(kv, "PATH=") {
					env = append(env, kv)
				}
			}
			env = append(env, "HOME="+home, "PATH="+binDir+string(os.PathListSeparator)+os.Getenv("PATH"),
				"GIT_CONFIG_NOSYSTEM=1", "GIT_AUTHOR_NAME=Doc", "GIT_AUTHOR_EMAIL=doc@example.com",
				"GIT_COMMITTER_NAME=Doc", "GIT_COMMITTER_EMAIL=doc@example.com")
			for i, b := range blocks {
				cmd := exec.Command("bash", "-e", "-c", b)
				cmd.Dir, cmd.Env = work, env
				out, err := cmd.CombinedOutput()
				if err != nil {
					t.Fatalf("block %d of %s failed: %v\n%s\n--- output ---\n%s", i+1, f, err, b, out)
				}
				ran++
			}
		})
	}
	if ran == 0 {
		t.Fatal("no runnable block in the docs")
	}
}

// runnableBlocks returns the bodies of the fenced blocks opened with "```sh runnable",
// their indentation (a block inside a list item) removed.
func runnableBlocks(md string) []string {
	var out []string
	lines := strings.Split(md, "\n")
	for i := 0; i < len(lines); i++ {
		open := strings.TrimSpace(lines[i])
		if open != "```sh runnable" {
			continue
		}
		indent := lines[i][:len(lines[i])-len(strings.TrimLeft(lines[i], " "))]
		var body []string
		for i++; i < len(lines) && strings.TrimSpace(lines[i]) != "```"; i++ {
			body = append(body, strings.TrimPrefix(lines[i], indent))
		}
		out = append(out, strings.Join(body, "\n")+"\n")
	}
	return out
}
