package openapi

import (
	"strings"
	"testing"
)

// The session and organization status schemas accept what Roster sends and
// refuse stray, missing or mistyped fields.
func TestAnalysisSessionSchemas(t *testing.T) {
	doc := load(t)
	session := `{"session_uid": "0TzQ7xVbWcE4nKd8ZqR3", "user_uid": "0TzQ5pVbWcE4nKd8ZqR2", "activity": "Running",
		"time": "2025-07-14T09:30:00.000Z", "duration": 1800.5, "created_at": "2025-07-14T10:01:12.345Z"`
	status := `{"session_number": 50, "uid": "0TzPx1LmNoPqRsTuVwXy", "role": "Owner", "payment_type": "Enterprise",
		"activity": ["Running"], "companyName": "Apple", "name": "Username", "organization_uid": "0TzPa9QbWcE4nKd8ZqR1"`
	checkBodies(t, doc, []bodyCase{
		{"Session", session + `}`, true},
		{"Session", session + `, "metrics": {"cadence": 172}}`, true},
		{"Session", session + `, "metrics": [1]}`, false},
		{"Session", session + `, "metrics": null}`, false},
		{"Session", session + `, "admin_uid": "x"}`, false},
		{"Session", strings.Replace(session, `"duration": 1800.5`, `"duration": 0`, 1) + `}`, false},
		{"Session", strings.Replace(session, `, "created_at": "2025-07-14T10:01:12.345Z"`, ``, 1) + `}`, false},
		{"SessionRecorded", `{"session": ` + session + `}, "session_number": 0}`, true},
		{"SessionRecorded", `{"session": ` + session + `}, "session_number": -1}`, false},
		{"SessionPage", `{"sessions": [], "last_uid": ""}`, true},
		{"SessionPage", `{"sessions": [` + session + `}], "last_uid": "0TzQ7xVbWcE4nKd8ZqR3"}`, true},
		{"SessionPage", `{"sessions": []}`, false},
		{"SessionCreate", `{"activity": "Running", "duration": 60}`, true},
		{"SessionCreate", `{"activity": "Running", "duration": 60, "time": null, "metrics": null}`, true},
		{"SessionCreate", `{"activity": "Swimming", "duration": 60}`, false},
		{"SessionCreate", `{"activity": "Running", "duration": 86401}`, false},
		{"SessionCreate", `{"activity": "Running"}`, false},
		{"SessionCreate", `{"activity": "Running", "duration": 60, "user_uid": "x"}`, false},
		{"OrganizationStatus", status + `}`, true},
		{"OrganizationStatus", strings.Replace(status, `"Owner"`, `"admin"`, 1) + `}`, false},
		{"OrganizationStatus", strings.Replace(status, `, "organization_uid": "0TzPa9QbWcE4nKd8ZqR1"`, ``, 1) + `}`, false},
		{"OrganizationStatus", status + `, "client_limit": 0}`, false},
	})
}
