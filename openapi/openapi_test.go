package openapi

import (
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"roster/openapi/openapitest"
)

var prefixes = []string{"/client-management/clients", "/user-management/users"}

func load(t *testing.T) *openapi3.T {
	t.Helper()
	doc, err := openapi3.NewLoader().LoadFromData(Document)
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	return doc
}

func TestDocumentIsValid(t *testing.T) {
	doc := load(t)
	if doc.OpenAPI != "3.1.0" {
		t.Errorf("openapi = %q, want 3.1.0", doc.OpenAPI)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("validate: %v", err)
	}
}

// Every operation that needs credentials must document the 401 it can answer.
func TestAuthenticatedOperationsDocument401(t *testing.T) {
	doc := load(t)
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			if op.Security != nil && len(*op.Security) == 0 {
				continue
			}
			if op.Responses.Status(401) == nil {
				t.Errorf("%s %s: no 401 response", method, path)
			}
		}
	}
}

// The v1 and v2 prefixes are served by the same handlers, so their
// operations must be the same apart from operationId and tags.
func TestPrefixesHaveTheSameOperations(t *testing.T) {
	doc := load(t)
	ops := make([]map[string]string, len(prefixes)) // "METHOD suffix" → operation JSON
	for i, prefix := range prefixes {
		ops[i] = map[string]string{}
		for path, item := range doc.Paths.Map() {
			suffix, ok := strings.CutPrefix(path, prefix)
			if !ok {
				continue
			}
			params, err := json.Marshal(item.Parameters)
			if err != nil {
				t.Fatal(err)
			}
			for method, op := range item.Operations() {
				o := *op
				o.OperationID, o.Tags = "", nil
				b, err := json.Marshal(&o)
				if err != nil {
					t.Fatal(err)
				}
				ops[i][method+" "+suffix] = string(params) + string(b)
			}
		}
		if len(ops[i]) == 0 {
			t.Fatalf("no operations under %s", prefix)
		}
	}
	for i := 1; i < len(prefixes); i++ {
		for _, key := range union(ops[0], ops[i]) {
			a, inA := ops[0][key]
			b, inB := ops[i][key]
			switch {
			case !inA:
				t.Errorf("%s only under %s", key, prefixes[i])
			case !inB:
				t.Errorf("%s only under %s", key, prefixes[0])
			case a != b:
				t.Errorf("%s differs between %s and %s:\n%s\n%s", key, prefixes[0], prefixes[i], around(a, b), around(b, a))
			}
		}
	}
}

// around returns the part of a near its first difference from b.
func around(a, b string) string {
	i := 0
	for i < len(a) && i < len(b) && a[i] == b[i] {
		i++
	}
	from, to := max(0, i-60), min(len(a), i+60)
	return "…" + a[from:to] + "…"
}

func union(a, b map[string]string) []string {
	var keys []string
	for k := range a {
		keys = append(keys, k)
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	return keys
}

// Responses Roster sends must validate, and stray or missing fields must not.
func TestSchemasAcceptAndRejectBodies(t *testing.T) {
	doc := load(t)
	client := `{
		"user_uid": "0TzQ5pVbWcE4nKd8ZqR2", "email": "a@example.com", "display_name": "A",
		"phone": null, "age": "30", "gender": "male", "height": 177.8, "weight": null,
		"ycom": 1.01, "leg_length": null, "shoeSize": "8.5", "brand": null, "shoeModel": null,
		"preferable_activities": ["Running", "Vertical Jump"],
		"profile_photo": "https://roster.example/photos/org/c.jpg?exp=1&sig=x",
		"profile_photo_thumbnail": "https://roster.example/photos/org/c.thumb.jpg?exp=1&sig=x",
		"last_session": null, "admin_uid": "0TzPx1LmNoPqRsTuVwXy",
		"created_at": "2024-12-02T19:17:30.371Z", "updated_at": "2024-12-02T19:17:30.371Z",
		"sessions_count": 0, "external_id": null, "sessions_limit": null, "status": "active", "deactivated_at": null`
	withNotes := client + `, "notes": {"text": null, "updated_at": "2025-07-14T09:32:11.123Z"}}`
	noNotes := client + `}`
	checkBodies(t, doc, []bodyCase{
		{"ClientDetails", withNotes, true},
		{"ClientDetails", client + `, "notes": null}`, true},
		{"ClientDetails", noNotes, false},
		{"ClientSummary", noNotes, true},
		{"ClientSummary", withNotes, false},
		{"Client", client + `, "extra": 1}`, false},
		{"Client", strings.Replace(noNotes, `"age": "30"`, `"age": 30`, 1), false},
		{"Client", strings.Replace(noNotes, `"gender": "male"`, `"gender": "Male"`, 1), false},
		{"Client", strings.Replace(noNotes, `"phone": null, `, ``, 1), false},
		{"ClientList", `{"users": [` + noNotes + `]}`, true},
		{"ClientList", `{"users": [` + withNotes + `]}`, false},
		{"ClientList", `{"users": [], "query_count": 0}`, false},
		{"ClientPage", `{"users": [` + noNotes + `], "query_count": 11, "query_count_exact": true, "page": 2, "per_page": 10, "pages": 2}`, true},
		{"ClientPage", `{"users": [], "query_count": 1000, "query_count_exact": false, "page": 101, "per_page": 10, "pages": 100}`, true},
		{"ClientPage", `{"users": [], "query_count": 0, "query_count_exact": true, "page": 1, "per_page": 10, "pages": 0}`, true},
		{"ClientPage", `{"users": [], "query_count": 0, "query_count_exact": true, "page": 1, "per_page": 51, "pages": 0}`, false},
		{"ClientPage", `{"users": [], "query_count": 0, "query_count_exact": "yes", "page": 1, "per_page": 10, "pages": 0}`, false},
		{"ClientPage", `{"users": [], "query_count": 0, "page": 1, "per_page": 10, "pages": 0}`, false},
		{"ClientPage", `{"users": [` + noNotes + `], "query_count": 1}`, false},
		{"ClientCreated", `{"userData": ` + client + `, "notes": null}}`, true},
		{"FilterPage", `{"query_count": 1, "users": [` + noNotes + `], "first_uid": "a", "last_uid": "a"}`, true},
		{"FilterPage", `{"query_count": 1, "users": [` + noNotes + `], "first_uid": "a"}`, false},
		{"Error", `{"error": "age: must be between 0 and 150"}`, true},
		{"Error", `{"error": "x", "detail": "y"}`, false},
		{"UpdatedMessage", `{"message": "User information updated successfully."}`, true},
		{"UpdatedMessage", `{"message": "done"}`, false},
		{"Status", `{"status": "ok"}`, true},
		{"ClientCreate", `{"email": "a@example.com", "display_name": "A", "age": "23", "height": 175, "gender": "Female", "preferable_activities": "[\"Running\"]"}`, true},
		{"ClientCreate", `{"email": "a@example.com", "display_name": "A", "preferable_activities": ["Running"], "brand": null}`, true},
		{"ClientCreate", `{"email": "a@example.com"}`, false},
		{"ClientCreate", `{"email": "a@example.com", "display_name": "A", "user_uid": "x"}`, false},
		{"ClientCreate", `{"email": "a@example.com", "display_name": "A", "age": 151}`, false},
		{"ClientCreate", `{"email": "a@example.com", "display_name": "A", "preferable_activities": ["Swimming"]}`, false},
		{"ClientUpdate", `{"user_uid": "0TzQ5pVbWcE4nKd8ZqR2", "weight": "", "gender": null}`, true},
		{"ClientUpdate", `{"user_uid": "0TzQ5pVbWcE4nKd8ZqR2", "colour": "red"}`, false},
	})
}

// kin-openapi's Validate checks media-type examples but not the JSON Schema
// "examples" keyword of a schema, so those are checked here.
func TestSchemaExamplesAreValid(t *testing.T) {
	doc := load(t)
	n := 0
	for name, ref := range doc.Components.Schemas {
		for i, ex := range ref.Value.Examples {
			n++
			if err := ref.Value.VisitJSON(ex, openapi3.EnableJSONSchema2020(), openapi3.EnableFormatValidation()); err != nil {
				t.Errorf("schema %s, example %d: %v", name, i, err)
			}
		}
	}
	if n == 0 {
		t.Error("no schema examples found")
	}
}

// The admin-management seed is the specification Roster's admin endpoints
// must satisfy; this checks that kin-openapi can read and validate it.
func TestAdminManagementSeedIsValid(t *testing.T) {
	data, err := os.ReadFile(openapitest.Path(openapitest.SeedFile))
	if errors.Is(err, fs.ErrNotExist) {
		t.Skip("seed not present")
	}
	if err != nil {
		t.Fatal(err)
	}
	doc, err := openapi3.NewLoader().LoadFromData(data)
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("validate: %v", err)
	}
}

// bodyCase is a body that a schema of the document must accept (ok) or
// refuse.
type bodyCase struct {
	schema string
	body   string
	ok     bool
}

func checkBodies(t *testing.T, doc *openapi3.T, cases []bodyCase) {
	t.Helper()
	for _, c := range cases {
		ref := doc.Components.Schemas[c.schema]
		if ref == nil {
			t.Fatalf("no schema %s", c.schema)
		}
		var v any
		if err := json.Unmarshal([]byte(c.body), &v); err != nil {
			t.Fatalf("%s: bad test body: %v", c.schema, err)
		}
		err := visit(ref.Value, v)
		if (err == nil) != c.ok {
			t.Errorf("%s %s: ok = %v, want %v (%v)", c.schema, c.body, err == nil, c.ok, err)
		}
	}
}
