package api_test

import (
	"io"
	"net/http"
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

// TestUnknownRoutesAnswerJSON: a path or method that matches no route is
// answered with the same JSON error body as every other error.
func TestUnknownRoutesAnswerJSON(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		for _, tt := range []struct {
			method, path string
			status       int
			want, allow  string
		}{
			{"GET", "/nowhere", 404, "no such path: /nowhere", ""},
			{"PATCH", "/client-management/clients/", 405, "method PATCH is not allowed on /client-management/clients/", "DELETE, GET, HEAD, POST, PUT"},
		} {
			r, err := http.NewRequest(tt.method, e.srv.URL+tt.path, nil)
			if err != nil {
				t.Fatal(err)
			}
			res, err := http.DefaultClient.Do(r)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(res.Body)
			res.Body.Close()
			got := response{Status: res.StatusCode, Header: res.Header, Body: body}
			if got.Status != tt.status || got.errorText(t) != tt.want || res.Header.Get("Allow") != tt.allow ||
				res.Header.Get("Content-Type") != "application/json" {
				t.Errorf("%s %s: %d %s (Allow %q)", tt.method, tt.path, got.Status, body, res.Header.Get("Allow"))
			}
		}
	})
}
