package api_test

import (
	"testing"

	"roster/openapi"
)

func TestHealthAndDocument(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		for _, path := range []string{"/healthz", "/readyz"} {
			r := e.do(req{Method: "GET", Path: path})
			expect(t, r, 200)
			if string(r.Body) != "{\"status\":\"ok\"}\n" {
				t.Errorf("%s: %s", path, r.Body)
			}
		}
		r := e.do(req{Method: "GET", Path: "/openapi.json"})
		expect(t, r, 200)
		if string(r.Body) != string(openapi.Document) || r.Header.Get("Content-Type") != "application/json" {
			t.Errorf("openapi.json: %s, %d bytes", r.Header.Get("Content-Type"), len(r.Body))
		}
		if r.Header.Get("X-Request-ID") == "" {
			t.Error("no X-Request-ID")
		}
	})
}
