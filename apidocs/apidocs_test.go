package apidocs

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"roster/openapi"
)

// newServer serves /docs beside what the API would answer: the OpenAPI
// document at /openapi.json, and a JSON 404 for anything else, which
// shows when a request reaches the API rather than /docs.
func newServer(t *testing.T) *httptest.Server {
	t.Helper()
	api := http.NewServeMux()
	api.HandleFunc("GET /openapi.json", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write(openapi.Document)
	})
	api.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusNotFound)
		io.WriteString(w, `{"error":"api"}`)
	})
	mux := http.NewServeMux()
	mux.Handle("/", api)
	mux.Handle("/docs", Handler())
	mux.Handle("/docs/", Handler())
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

type answer struct {
	status int
	header http.Header
	body   string
}

func do(t *testing.T, method, url string, header http.Header) answer {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	// Redirects are answers to check, not to follow.
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return answer{resp.StatusCode, resp.Header, string(b)}
}

var scriptTag = regexp.MustCompile(`<script src="docs/(redoc\.[0-9a-f]{12}\.js)"></script>`)

func TestPage(t *testing.T) {
	srv := newServer(t)
	a := do(t, "GET", srv.URL+"/docs", nil)
	if a.status != http.StatusOK || a.header.Get("Content-Type") != "text/html; charset=utf-8" {
		t.Fatalf("GET /docs: %d %q", a.status, a.header.Get("Content-Type"))
	}
	m := scriptTag.FindStringSubmatch(a.body)
	if m == nil || m[1] != scriptName {
		t.Fatalf("page does not load %s:\n%s", scriptName, a.body)
	}
	if !strings.Contains(a.body, `<redoc spec-url="openapi.json">`) {
		t.Errorf("page does not name the spec:\n%s", a.body)
	}
	if strings.Count(a.body, "<script") != 1 {
		t.Errorf("page has a script besides the bundle:\n%s", a.body)
	}
	if a.header.Get("X-Content-Type-Options") != "nosniff" || a.header.Get("Cache-Control") != "no-cache" {
		t.Errorf("headers: %v", a.header)
	}

	csp := directives(t, a.header.Get("Content-Security-Policy"))
	if got := csp["script-src"]; len(got) != 1 || got[0] != "'self'" {
		t.Errorf("script-src %q, want only 'self'", got)
	}
	if got := csp["default-src"]; len(got) != 1 || got[0] != "'none'" {
		t.Errorf("default-src %q, want 'none'", got)
	}
	for name, sources := range csp {
		for _, s := range sources {
			if s == "'unsafe-eval'" || s == "*" || (s == "'unsafe-inline'" && name != "style-src") {
				t.Errorf("%s allows %s", name, s)
			}
		}
	}

	// A browser that has the page asks again with its ETag.
	again := do(t, "GET", srv.URL+"/docs", http.Header{"If-None-Match": {a.header.Get("Etag")}})
	if again.status != http.StatusNotModified || again.body != "" {
		t.Errorf("GET /docs with its ETag: %d %q", again.status, again.body)
	}
}

// directives parses a Content-Security-Policy into its directives.
func directives(t *testing.T, policy string) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	for d := range strings.SplitSeq(policy, ";") {
		f := strings.Fields(d)
		if len(f) == 0 {
			continue
		}
		if _, dup := out[f[0]]; dup {
			t.Errorf("CSP repeats %s: %s", f[0], policy)
		}
		out[f[0]] = f[1:]
	}
	if len(out) == 0 {
		t.Fatal("no Content-Security-Policy")
	}
	return out
}

func TestScript(t *testing.T) {
	srv := newServer(t)
	url := srv.URL + "/docs/" + scriptName
	// The header set, Go's client neither asks for gzip nor decompresses.
	identity := http.Header{"Accept-Encoding": {"identity"}}
	a := do(t, "GET", url, identity)
	if a.status != http.StatusOK || a.body != string(redoc) {
		t.Fatalf("GET %s: %d, %d bytes, want the %d of the bundle", url, a.status, len(a.body), len(redoc))
	}
	want := map[string]string{
		"Content-Type":           "text/javascript; charset=utf-8",
		"Cache-Control":          "public, max-age=31536000, immutable",
		"X-Content-Type-Options": "nosniff",
		"Vary":                   "Accept-Encoding",
		"Content-Encoding":       "",
		"Content-Length":         strconv.Itoa(len(redoc)),
	}
	for k, v := range want {
		if got := a.header.Get(k); got != v {
			t.Errorf("%s: %q, want %q", k, got, v)
		}
	}

	head := do(t, "HEAD", url, identity)
	if head.status != http.StatusOK || head.body != "" || head.header.Get("Content-Length") != want["Content-Length"] ||
		head.header.Get("Content-Type") != want["Content-Type"] {
		t.Errorf("HEAD: %d, %d bytes, headers %v", head.status, len(head.body), head.header)
	}

	z := do(t, "GET", url, http.Header{"Accept-Encoding": {"br;q=1.0, gzip;q=0.8"}})
	if z.status != http.StatusOK || z.header.Get("Content-Encoding") != "gzip" || len(z.body) >= len(redoc)/2 {
		t.Fatalf("GET with gzip: %d %q, %d bytes", z.status, z.header.Get("Content-Encoding"), len(z.body))
	}
	zr, err := gzip.NewReader(strings.NewReader(z.body))
	if err != nil {
		t.Fatal(err)
	}
	if b, err := io.ReadAll(zr); err != nil || !bytes.Equal(b, redoc) {
		t.Errorf("gzip body: %d bytes, %v; want the bundle", len(b), err)
	}

	// Each encoding has its own ETag, which answers 304 to its own.
	etag, zetag := a.header.Get("Etag"), z.header.Get("Etag")
	if etag == "" || zetag == "" || etag == zetag {
		t.Errorf("ETags %q and %q", etag, zetag)
	}
	for _, c := range []struct {
		encoding, etag string
		status         int
	}{
		{"identity", etag, http.StatusNotModified},
		{"gzip", zetag, http.StatusNotModified},
		{"gzip", etag, http.StatusOK},
	} {
		got := do(t, "GET", url, http.Header{"Accept-Encoding": {c.encoding}, "If-None-Match": {c.etag}})
		if got.status != c.status {
			t.Errorf("GET %s with If-None-Match %s: %d, want %d", c.encoding, c.etag, got.status, c.status)
		}
	}
}

func TestAcceptsGzip(t *testing.T) {
	for v, want := range map[string]bool{
		"":                   false,
		"identity":           false,
		"gzip":               true,
		"GZIP":               true,
		"deflate, gzip, br":  true,
		"gzip;q=0":           false,
		"gzip; q=0.000":      false,
		"br, gzip;q=0.1":     true,
		"x-gzip":             false,
		"gzip;q=nonsense":    false,
		"*":                  false,
		"br;q=0.5,gzip;q=1":  true,
		"identity, gzip;q=0": false,
	} {
		if got := acceptsGzip(http.Header{"Accept-Encoding": {v}}); got != want {
			t.Errorf("acceptsGzip(%q) = %v, want %v", v, got, want)
		}
	}
}

// TestElsewhere: what /docs does not serve is a 404 or a 405, and what is
// not under /docs is the API's.
func TestElsewhere(t *testing.T) {
	srv := newServer(t)
	for _, c := range []struct {
		method, path string
		status       int
		body         string
	}{
		{"GET", "/docs/redoc.000000000000.js", http.StatusNotFound, "404 page not found\n"},
		{"HEAD", "/docs/redoc.000000000000.js", http.StatusNotFound, ""},
		{"GET", "/docs/a/b", http.StatusNotFound, "404 page not found\n"},
		{"GET", "/docsx", http.StatusNotFound, `{"error":"api"}`},
		{"GET", "/doc", http.StatusNotFound, `{"error":"api"}`},
		{"POST", "/docs", http.StatusMethodNotAllowed, "method not allowed\n"},
		{"DELETE", "/docs/" + scriptName, http.StatusMethodNotAllowed, "method not allowed\n"},
	} {
		a := do(t, c.method, srv.URL+c.path, nil)
		if a.status != c.status || (c.body != "" && a.body != c.body) {
			t.Errorf("%s %s: %d %q, want %d %q", c.method, c.path, a.status, a.body, c.status, c.body)
		}
		if c.status == http.StatusMethodNotAllowed && a.header.Get("Allow") != "GET, HEAD" {
			t.Errorf("%s %s: Allow %q", c.method, c.path, a.header.Get("Allow"))
		}
	}

	a := do(t, "GET", srv.URL+"/docs/", nil)
	if a.status != http.StatusMovedPermanently || a.header.Get("Location") != "../docs" {
		t.Errorf("GET /docs/: %d to %q, want 301 to ../docs", a.status, a.header.Get("Location"))
	}
}
