package api_test

import (
	"strings"
	"testing"
)

// TestJSONLeavesAmpersands: &, < and > are written as they are in every
// JSON the API writes (details, notes, lists, exports, messages), not as
// \u0026, \u003c and \u003e, which guard JSON pasted into HTML and only
// garble it elsewhere. No answer is a page: each says what it is, with
// nosniff.
func TestJSONLeavesAmpersands(t *testing.T) {
	const text = "Ann & Bob <coach>"
	each(t, func(t *testing.T, e *env) {
		prefix := prefixes[0]
		c := e.create(prefix, map[string]any{"email": "ab@example.com", "display_name": text, "brand": text})
		expect(t, e.json("POST", prefix+"/save-notes/"+c.UserUID, map[string]string{"note": text}), 200)
		for name, r := range map[string]response{
			"details":  e.get(prefix + "/" + c.UserUID),
			"list":     e.get(prefix + "/"),
			"filter":   e.get(prefix + "/filter/?limit=1"),
			"NDJSON":   e.get(prefix + "/export/"),
			"CSV":      e.get(prefix + "/export/?format=csv"),
			"an error": e.json("PUT", prefix+"/", map[string]any{"user_uid": c.UserUID, "preferable_activities": []string{text}}),
		} {
			body := string(r.Body)
			if !strings.Contains(body, text) || strings.Contains(body, `\u00`) {
				t.Errorf("%s: %d %s", name, r.Status, body)
			}
			if ct := r.Header.Get("Content-Type"); r.Header.Get("X-Content-Type-Options") != "nosniff" ||
				!strings.Contains(ct, "json") && !strings.HasPrefix(ct, "text/csv") {
				t.Errorf("%s: Content-Type %q, X-Content-Type-Options %q", name, ct, r.Header.Get("X-Content-Type-Options"))
			}
		}
	})
}
