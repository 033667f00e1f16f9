package api

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"
)

// TestAccessLogLine: a line is one JSON object with the request's
// attributes, whatever bytes the path holds, and the duration in
// milliseconds.
func TestAccessLogLine(t *testing.T) {
	var out bytes.Buffer
	at := time.Date(2026, 12, 6, 16, 14, 17, 117093105, time.UTC)
	paths := []string{"/client-management/clients/abc", "/a\"b\\c\n\x00<&>", "/bad\xff\xfeutf8/\u2028"}
	for _, path := range paths {
		accessLog{&out}.write(at, "mrTx7yS1KMbOVS4s", "GET", path, 404, 1500*time.Microsecond, "127.0.0.1:41148")
	}
	// Each byte that is not UTF-8 becomes U+FFFD, as encoding/json does.
	wantPaths := []string{paths[0], paths[1], "/bad\ufffd\ufffdutf8/\u2028"}
	lines := bytes.Split(bytes.TrimSuffix(out.Bytes(), []byte("\n")), []byte("\n"))
	if len(lines) != len(paths) {
		t.Fatalf("wrote %d lines for %d requests:\n%s", len(lines), len(paths), out.String())
	}
	for i, line := range lines {
		var got map[string]any
		if err := json.Unmarshal(line, &got); err != nil {
			t.Fatalf("line %d is not JSON (%v): %s", i, err, line)
		}
		want := map[string]any{"time": "2026-12-06T16:14:17.117093105Z", "level": "INFO", "msg": "request",
			"request_id": "mrTx7yS1KMbOVS4s", "method": "GET", "status": 404.0, "duration_ms": 1.5, "remote": "127.0.0.1:41148"}
		for k, v := range want {
			if got[k] != v {
				t.Errorf("line %d: %s = %v, want %v", i, k, got[k], v)
			}
		}
		if got["path"] != wantPaths[i] {
			t.Errorf("line %d: path %q, want %q", i, got["path"], wantPaths[i])
		}
	}
}
