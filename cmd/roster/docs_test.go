package main

import (
	"net/http"
	"strings"
	"testing"

	"roster"
)

// TestServeDocs: serve answers /docs beside /openapi.json, which the page
// renders, both without credentials and each with a request id (and a line
// in the access log); the API still answers what is not /docs.
func TestServeDocs(t *testing.T) {
	s := startServe(t, "--data", t.TempDir())
	for _, c := range []struct {
		path, contentType string
		status            int
	}{
		{"/docs", "text/html; charset=utf-8", http.StatusOK},
		{"/openapi.json", "application/json", http.StatusOK},
		{"/docsx", "application/json", http.StatusNotFound},
	} {
		res, err := http.Get(s.url + c.path)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != c.status || res.Header.Get("Content-Type") != c.contentType {
			t.Errorf("GET %s: %d %q, want %d %q", c.path, res.StatusCode, res.Header.Get("Content-Type"), c.status, c.contentType)
		}
		if !roster.ValidUID(res.Header.Get("X-Request-ID")) {
			t.Errorf("GET %s: X-Request-ID %q", c.path, res.Header.Get("X-Request-ID"))
		}
		if csp := res.Header.Get("Content-Security-Policy"); c.path == "/docs" && !strings.Contains(csp, "script-src 'self'") {
			t.Errorf("GET /docs: Content-Security-Policy %q", csp)
		}
	}
	s.stop()
	if !strings.Contains(s.logs.String(), `"path":"/docs"`) {
		t.Errorf("no access-log line for /docs:\n%s", s.logs.String())
	}
}
