//go:build unix

package readme

import (
	"context"
	_ "embed"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"roster/internal/nettest"
	"roster/store/storetest"
)

// readmeAddr is where the walkthrough's commands reach the server.
const readmeAddr = "127.0.0.1:8080"

//go:embed preamble.bash
var preamble string

// TestREADME runs README.md's walkthrough on each engine: every block fenced
// as sh, in order, in one bash, from the repository root, as printed but
// for the server's address (a free port instead of readmeAddr, so that a
// server on it does not get in the way) and, on PostgreSQL, the database
// (ROSTER_DATABASE_URL names a fresh schema). README.md, "Testing",
// describes it for those who write the README.
func TestREADME(t *testing.T) {
	for _, tool := range []string{"bash", "curl", "jq"} {
		if _, err := exec.LookPath(tool); err != nil {
			if os.Getenv("CI") != "" {
				t.Fatalf("the README's walkthrough needs %s", tool)
			}
			t.Skipf("the README's walkthrough needs %s (README.md, Walkthrough)", tool)
		}
	}
	md, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	storetest.EachEngine(t, func(t *testing.T, engine string) {
		env := []string{}
		if url := storetest.DatabaseURL(t, engine); url != "" {
			env = append(env, "ROSTER_DATABASE_URL="+url)
		}
		addr := nettest.FreeAddr(t)
		script, err := walkthrough(string(md), addr)
		if err != nil {
			t.Fatal(err)
		}
		before := topLevel(t)
		runScript(t, script, append(env, "ROSTER_ADDR="+addr))
		if added := slices.DeleteFunc(topLevel(t), func(name string) bool { return slices.Contains(before, name) }); len(added) > 0 {
			t.Errorf("the walkthrough wrote %q into the repository: write under $WORK", added)
		}
	})
}

// expectLine is a line that announces the status of the next curl.
var expectLine = regexp.MustCompile(`^\s*# expect: ([1-5](?:[0-9]{2}|xx))\s*$`)

// otherShells are the info strings of blocks that hold shell commands but
// are not marked for the runner either way: a mistake, not prose.
var otherShells = []string{"bash", "shell", "console", "shell-session", "zsh"}

// walkthrough returns the script of md's walkthrough: line N of the script
// is line N of md, so that bash's line numbers are the README's. The lines
// of a block fenced "sh" are kept, but for readmeAddr, which becomes addr,
// and "# expect:" lines, which become calls of __expect; the fences become
// calls of __block and __end_block. Every other line is empty: prose,
// blocks of other languages, and blocks fenced "sh no-run", which are
// only shown.
func walkthrough(md, addr string) (string, error) {
	lines := strings.Split(md, "\n")
	script := make([]string, len(lines))
	open, run := 0, false // the line of the open fence, if any
	for i, l := range lines {
		n, trimmed := i+1, strings.TrimSpace(l)
		switch {
		case open == 0 && strings.HasPrefix(trimmed, "```"):
			open = n
			info := strings.Fields(strings.TrimPrefix(trimmed, "```"))
			switch {
			case slices.Equal(info, []string{"sh"}):
				run, script[i] = true, fmt.Sprintf("__block %d", n)
			case slices.Equal(info, []string{"sh", "no-run"}):
			case len(info) > 0 && (info[0] == "sh" || slices.Contains(otherShells, info[0])):
				return "", fmt.Errorf("README.md:%d: %s: fence shell commands as sh (run by TestREADME) or sh no-run (only shown)", n, trimmed)
			}
		case open != 0 && trimmed == "```":
			if run {
				script[i] = "__end_block"
			}
			open, run = 0, false
		case run:
			if m := expectLine.FindStringSubmatch(l); m != nil {
				script[i] = "__expect " + m[1]
			} else {
				script[i] = strings.ReplaceAll(l, readmeAddr, addr)
			}
		}
	}
	if open != 0 {
		return "", fmt.Errorf("README.md:%d: the block is not closed", open)
	}
	return strings.Join(script, "\n"), nil
}

// runScript runs script with bash and the preamble, in an environment of
// the test's own: the developer's ROSTER_ variables (an SMTP URL, a secret
// key) stay out, and the walkthrough's temporary files go under the test's
// directory. Everything it prints goes to the test's output, and on a
// failure the end of serve's log too.
func runScript(t *testing.T, script string, env []string) {
	dir := t.TempDir()
	tmp := filepath.Join(dir, "tmp")
	files := map[string]string{"README.bash": script, "preamble.bash": preamble}
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Mkdir(tmp, 0o700); err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	if deadline, ok := t.Deadline(); ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, deadline.Add(-30*time.Second))
		defer cancel()
	}
	cmd := exec.CommandContext(ctx, "bash", filepath.Join(dir, "README.bash"))
	cmd.Dir = root
	cmd.Env = append(slices.DeleteFunc(os.Environ(), func(kv string) bool {
		return strings.HasPrefix(kv, "ROSTER_") || strings.HasPrefix(kv, "BASH_ENV=") || strings.HasPrefix(kv, "TMPDIR=")
	}), append(env, "BASH_ENV="+filepath.Join(dir, "preamble.bash"), "TMPDIR="+tmp)...)
	cmd.Stdout, cmd.Stderr = t.Output(), t.Output()
	// The walkthrough starts serve in the background: its own process
	// group lets every process it leaves be stopped at once.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	killGroup := func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.Cancel = killGroup
	cmd.WaitDelay = 10 * time.Second
	err := cmd.Run()
	if cmd.Process != nil {
		killGroup()
	}
	if err != nil {
		t.Errorf("the walkthrough failed (%v); serve's log ends:\n%s", err, logTail(tmp))
	}
}

// logTail returns the last lines of the serve logs under dir.
func logTail(dir string) string {
	logs, _ := filepath.Glob(filepath.Join(dir, "*", "serve.log"))
	var b strings.Builder
	for _, name := range logs {
		text, err := os.ReadFile(name)
		if err != nil {
			continue
		}
		lines := strings.Split(strings.TrimSpace(string(text)), "\n")
		b.WriteString(strings.Join(lines[max(0, len(lines)-30):], "\n"))
	}
	return b.String()
}

// topLevel lists the files and directories at the repository's root.
func topLevel(t *testing.T) []string {
	names, err := filepath.Glob(filepath.Join(root, "*"))
	if err != nil {
		t.Fatal(err)
	}
	return names
}

func TestWalkthroughScript(t *testing.T) {
	md := strings.Join([]string{
		"# Title",                                // 1
		"```sh no-run",                           // 2
		"roster serve",                           // 3
		"```",                                    // 4
		"```sh",                                  // 5
		"curl -fsS http://127.0.0.1:8080/readyz", // 6
		"# expect: 404",                          // 7
		"curl -sS http://127.0.0.1:8080/nothing", // 8
		"```",                                    // 9
		"  ```sql",                               // 10
		"  SELECT 1;",                            // 11
		"  ```",                                  // 12
		"# expect: 404",                          // 13: prose, not a command
	}, "\n")
	got, err := walkthrough(md, "127.0.0.1:1234")
	if err != nil {
		t.Fatal(err)
	}
	want := strings.Join([]string{"", "", "", "", "__block 5", "curl -fsS http://127.0.0.1:1234/readyz",
		"__expect 404", "curl -sS http://127.0.0.1:1234/nothing", "__end_block", "", "", "", ""}, "\n")
	if got != want {
		t.Errorf("script:\n%s\nwant:\n%s", got, want)
	}

	for _, bad := range []string{"```bash\necho\n```", "```sh skip\necho\n```", "```console\n$ echo\n```", "```sh\necho"} {
		if _, err := walkthrough(bad, "127.0.0.1:1234"); err == nil || !strings.Contains(err.Error(), "README.md:1:") {
			t.Errorf("walkthrough(%q): %v, want an error at line 1", bad, err)
		}
	}
}

// TestPreamble: the harness fails a curl that answers what the text does
// not announce, and an announcement no curl uses, naming the README's line.
func TestPreamble(t *testing.T) {
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("needs bash")
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/ok" {
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	for _, c := range []struct {
		lines []string
		fails string // "" if the script succeeds
	}{
		{[]string{"curl -fsS $URL/ok"}, ""},
		{[]string{"__expect 404", "curl -sS $URL/nothing"}, ""},
		{[]string{"__expect 4xx", "X=$(curl -sS $URL/nothing)", "curl -fsS $URL/ok"}, ""},
		{[]string{"curl -sS $URL/nothing"}, "README.md:2: the answer was 404, not the 2xx the text announces"},
		{[]string{"__expect 4xx", "curl -sS $URL/ok"}, "README.md:3: the answer was 200, not the 4xx the text announces"},
		{[]string{"__expect 404", "curl -fsS $URL/nothing"}, "README.md:3: exit status 22"},
		{[]string{"__expect 404"}, `README.md:3: "# expect: 404" before no curl`},
		{[]string{"false", "true"}, "README.md:2: exit status 1"},
	} {
		script := strings.Join(slices.Concat([]string{"__block 1"}, c.lines, []string{"__end_block"}), "\n")
		out, err := runPreamble(t, script, "URL="+srv.URL)
		switch {
		case c.fails == "" && err != nil:
			t.Errorf("%q failed: %v\n%s", script, err, out)
		case c.fails != "" && (err == nil || !strings.Contains(out, c.fails)):
			t.Errorf("%q: %v, output %q; want a failure saying %q", script, err, out, c.fails)
		}
	}
}

// runPreamble runs script after the preamble, as TestREADME does.
func runPreamble(t *testing.T, script string, env ...string) (string, error) {
	dir := t.TempDir()
	for name, text := range map[string]string{"preamble.bash": preamble, "script.bash": script} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command("bash", filepath.Join(dir, "script.bash"))
	cmd.Env = append(os.Environ(), append(env, "BASH_ENV="+filepath.Join(dir, "preamble.bash"))...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}
