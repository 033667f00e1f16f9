package apidocs

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"

	"roster/openapi"
)

// TestChromium opens /docs in headless Chromium and checks that Redoc
// rendered every operation of the document, and that the page's policy
// refused nothing Redoc needs. It skips without Chromium.
func TestChromium(t *testing.T) {
	bin := chromium(t)
	srv := newServer(t)
	args := []string{"--headless", "--disable-gpu", "--user-data-dir=" + t.TempDir(),
		// The console, CSP refusals included, goes to stderr.
		"--enable-logging=stderr", "--v=0",
		// Virtual time: the page is dumped once it has rendered and
		// waits for nothing, however busy the machine.
		"--virtual-time-budget=60000",
		"--dump-dom", srv.URL + "/docs"}
	if os.Geteuid() == 0 {
		args = append([]string{"--no-sandbox"}, args...) // Chromium's sandbox refuses root
	}
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(t.Context(), bin, args...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s: %v\n%s", bin, err, stderr.String())
	}
	dom := stdout.String()

	summaries := operationSummaries(t)
	for _, s := range summaries {
		if !strings.Contains(dom, textEscaper.Replace(s)) {
			t.Errorf("operation %q not rendered", s)
		}
	}
	for _, refusal := range refusals(stderr.String()) {
		t.Errorf("Content-Security-Policy refused: %s", refusal)
	}
	if t.Failed() {
		t.Logf("%d operations; DOM (%d bytes) starts: %.2000s", len(summaries), len(dom), dom)
	}
}

// chromium returns the path of a Chromium, or skips the test.
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Skip("no Chromium (apt-get install chromium)")
	return ""
}

// operationSummaries are the summaries of the document's operations, which
// Redoc shows as their titles.
func operationSummaries(t *testing.T) []string {
	t.Helper()
	var doc struct {
		Paths map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(openapi.Document, &doc); err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, item := range doc.Paths {
		for _, raw := range item {
			var op struct {
				Summary string `json:"summary"`
			}
			// Path-level parameters are an array, not an operation.
			if json.Unmarshal(raw, &op) == nil && op.Summary != "" {
				out = append(out, op.Summary)
			}
		}
	}
	if len(out) == 0 {
		t.Fatal("the document has no operation summaries")
	}
	return out
}

// textEscaper escapes text as Chromium serializes a text node.
var textEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")

var cspRefusal = regexp.MustCompile(`"([^"\n]*violates the following Content Security Policy[^\n]*)`)

// refusals are the policy's refusals in Chromium's log, except the one
// expected: Redoc's logo from Redocly's CDN, which the page must not load.
func refusals(log string) []string {
	var out []string
	for _, m := range cspRefusal.FindAllStringSubmatch(log, -1) {
		if !strings.HasPrefix(m[1], "Loading the image 'https://cdn.redoc.ly/") {
			out = append(out, m[1])
		}
	}
	return out
}
