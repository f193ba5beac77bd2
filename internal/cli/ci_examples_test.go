package cli

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/reposync/reposync/internal/iostreams"
)

// TestCIExamples parses every CI example and checks that each reposync
// command line in it names a command and flags that exist.
func TestCIExamples(t *testing.T) {
	files, _ := filepath.Glob("../../examples/ci/github-actions/*.yml")
	files = append(files, "../../examples/ci/gitlab-ci.yml")
	if len(files) < 4 {
		t.Fatalf("found %d CI examples, want the three GitHub workflows and the GitLab file", len(files))
	}
	ios, _, _, _ := iostreams.Test()
	root := NewCmdRoot(&Factory{IO: ios, Getenv: func(string) string { return "" }})
	seen := map[string]bool{}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			var doc any
			if err := yaml.Unmarshal(data, &doc); err != nil {
				t.Fatalf("not valid YAML: %v", err)
			}
			var scripts []string
			collectScripts(doc, &scripts)
			n := 0
			for _, s := range scripts {
				for _, line := range commandLines(s) {
					n++
					args := line[1:]
					cmd, rest, err := root.Find(args)
					if err != nil || cmd == root {
						t.Errorf("%q: no such command", strings.Join(line, " "))
						continue
					}
					seen[cmd.Name()] = true
					for _, a := range rest {
						if !strings.HasPrefix(a, "--") {
							continue
						}
						name := strings.SplitN(strings.TrimPrefix(a, "--"), "=", 2)[0]
						if cmd.Flags().Lookup(name) == nil && cmd.InheritedFlags().Lookup(name) == nil {
							t.Errorf("%q: %s has no flag --%s", strings.Join(line, " "), cmd.Name(), name)
						}
					}
				}
			}
			if n == 0 {
				t.Error("no reposync command found")
			}
		})
	}
	for _, want := range []string{"validate", "plan", "apply"} {
		if !seen[want] {
			t.Errorf("no CI example runs reposync %s", want)
		}
	}
}

// collectScripts gathers the strings under `run` (GitHub) and `script`
// (GitLab) keys.
func collectScripts(v any, out *[]string) {
	switch x := v.(type) {
	case map[string]any:
		for k, val := range x {
			if k == "run" || k == "script" || k == "before_script" {
				switch s := val.(type) {
				case string:
					*out = append(*out, s)
				case []any:
					for _, it := range s {
						if str, ok := it.(string); ok {
							*out = append(*out, str)
						}
					}
				}
				continue
			}
			collectScripts(val, out)
		}
	case []any:
		for _, it := range x {
			collectScripts(it, out)
		}
	}
}

var shellSplit = regexp.MustCompile(`\s*(?:&&|\|\||;|\||\n)\s*`)

// commandLines splits a shell snippet into simple commands and returns the
// ones that run reposync, as words, stopping at redirections.
func commandLines(script string) [][]string {
	var out [][]string
	for _, part := range shellSplit.Split(script, -1) {
		words := strings.Fields(part)
		for i, w := range words {
			if w != "reposync" {
				continue
			}
			var line []string
			for _, x := range words[i:] {
				if strings.HasPrefix(x, ">") || strings.HasPrefix(x, "2>") || x == "||" {
					break
				}
				line = append(line, x)
			}
			out = append(out, line)
			break
		}
	}
	return out
}

// TestCIRecipesInstallARefThatExists: every recipe installs reposync at the
// ref REPOSYNC_VERSION names, fetched so that a full commit SHA (a pin)
// works as well as a branch or a tag, and that ref exists in this
// repository: the recipes once pinned a tag that was never made.
func TestCIRecipesInstallARefThatExists(t *testing.T) {
	files, _ := filepath.Glob("../../examples/ci/github-actions/*.yml")
	files = append(files, "../../examples/ci/gitlab-ci.yml")
	version := regexp.MustCompile(`(?m)^\s*REPOSYNC_VERSION: (\S+)`)
	refs := map[string]bool{}
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		m := version.FindStringSubmatch(string(data))
		if m == nil {
			t.Errorf("%s: no REPOSYNC_VERSION", file)
			continue
		}
		refs[m[1]] = true
		if strings.Contains(string(data), "--branch") || !strings.Contains(string(data), `fetch --quiet --depth 1 "`) || !strings.Contains(string(data), `" "$REPOSYNC_VERSION"`) {
			t.Errorf("%s: reposync is not installed by fetching $REPOSYNC_VERSION (a clone --branch cannot take a commit SHA)", file)
		}
	}
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("no git to resolve the refs")
	}
	for ref := range refs {
		local := exec.Command("git", "rev-parse", "--verify", "--quiet", ref+"^{commit}")
		remote := exec.Command("git", "rev-parse", "--verify", "--quiet", "refs/remotes/origin/"+ref+"^{commit}")
		if local.Run() != nil && remote.Run() != nil {
			t.Errorf("the recipes install reposync at %q, which is no commit, tag or branch of this repository", ref)
		}
	}
}
