package openapi

import (
	"slices"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"roster/openapi/openapitest"
)

// loadSeeds returns the seed's documents, skipping the test when the seed
// file is absent.
func loadSeeds(t *testing.T) []*openapi3.T {
	t.Helper()
	seeds := openapitest.Seeds(t)
	if seeds == nil {
		t.Skip("seed not present")
	}
	return seeds
}

// Roster's responses are checked against both Roster's document and the
// seed's, so every seed operation must exist in Roster's document with every
// status the seed documents; a 2xx JSON body must require at least what the
// seed requires, and Roster's examples of it must satisfy the seed's schema.
// A request the seed accepts must not lack a field Roster requires.
func TestSeedOperationsAreDocumented(t *testing.T) {
	doc := load(t)
	n := 0
	for _, seed := range loadSeeds(t) {
		checkSeedOperations(t, doc, seed, &n)
	}
	if n == 0 {
		t.Fatal("no operations in the seed")
	}
}

func checkSeedOperations(t *testing.T, doc, seed *openapi3.T, n *int) {
	t.Helper()
	for path, seedItem := range seed.Paths.Map() {
		for method, seedOp := range seedItem.Operations() {
			*n++
			name := method + " " + path
			item := doc.Paths.Value(path)
			if item == nil || item.GetOperation(method) == nil {
				t.Errorf("%s: not in Roster's document", name)
				continue
			}
			op := item.GetOperation(method)
			for code, seedResp := range seedOp.Responses.Map() {
				resp := op.Responses.Value(code)
				if resp == nil {
					t.Errorf("%s: no %s response", name, code)
					continue
				}
				if !strings.HasPrefix(code, "2") {
					continue
				}
				seedSchema := jsonSchema(seedResp.Value.Content)
				if seedSchema == nil {
					continue
				}
				schema := jsonSchema(resp.Value.Content)
				if schema == nil {
					t.Errorf("%s %s: no application/json schema", name, code)
					continue
				}
				checkRequired(t, name+" "+code, seedSchema, schema)
				examples := responseExamples(resp.Value)
				if len(examples) == 0 {
					t.Errorf("%s %s: no example to check against the seed", name, code)
				}
				for i, ex := range examples {
					for which, s := range map[string]*openapi3.Schema{"Roster's": schema, "the seed's": seedSchema} {
						if err := visit(s, ex); err != nil {
							t.Errorf("%s %s: example %d does not satisfy %s schema: %v", name, code, i, which, err)
						}
					}
				}
			}
			if seedOp.RequestBody != nil && seedOp.RequestBody.Value != nil {
				seedBody := jsonSchema(seedOp.RequestBody.Value.Content)
				if op.RequestBody == nil || op.RequestBody.Value == nil {
					t.Errorf("%s: no request body", name)
				} else if body := jsonSchema(op.RequestBody.Value.Content); body == nil {
					t.Errorf("%s: no application/json request body", name)
				} else if seedBody != nil {
					for _, p := range required(body) {
						if !slices.Contains(required(seedBody), p) {
							t.Errorf("%s: request property %q is required by Roster, not by the seed", name, p)
						}
					}
				}
			}
		}
	}
}

// checkRequired reports a property the seed's schema requires that Roster's
// does not, at any depth the seed describes (properties and array items).
func checkRequired(t *testing.T, where string, seed, roster *openapi3.Schema) {
	t.Helper()
	for _, p := range required(seed) {
		if !slices.Contains(required(roster), p) {
			t.Errorf("%s: %q is required by the seed, not by Roster", where, p)
		}
	}
	for p, seedProp := range seed.Properties {
		if prop := property(roster, p); prop != nil && seedProp.Value != nil {
			checkRequired(t, where+"."+p, seedProp.Value, prop)
		} else if slices.Contains(required(seed), p) {
			t.Errorf("%s: property %q of the seed is not described by Roster", where, p)
		}
	}
	if seed.Items != nil && seed.Items.Value != nil {
		if roster.Items == nil || roster.Items.Value == nil {
			t.Errorf("%s: the seed has array items, Roster does not", where)
			return
		}
		checkRequired(t, where+"[]", seed.Items.Value, roster.Items.Value)
	}
}

// required lists the required properties of s, including those of its allOf.
func required(s *openapi3.Schema) []string {
	r := slices.Clone(s.Required)
	for _, sub := range s.AllOf {
		if sub.Value != nil {
			r = append(r, required(sub.Value)...)
		}
	}
	return r
}

// property finds a property of s or of its allOf.
func property(s *openapi3.Schema, name string) *openapi3.Schema {
	if p := s.Properties[name]; p != nil && p.Value != nil {
		return p.Value
	}
	for _, sub := range s.AllOf {
		if sub.Value != nil {
			if p := property(sub.Value, name); p != nil {
				return p
			}
		}
	}
	return nil
}

func jsonSchema(c openapi3.Content) *openapi3.Schema {
	mt := c.Get("application/json")
	if mt == nil || mt.Schema == nil {
		return nil
	}
	return mt.Schema.Value
}

// responseExamples collects the JSON examples of a response: its media
// type's example and examples, and its schema's examples.
func responseExamples(r *openapi3.Response) []any {
	mt := r.Content.Get("application/json")
	if mt == nil {
		return nil
	}
	var out []any
	if mt.Example != nil {
		out = append(out, mt.Example)
	}
	for _, ex := range mt.Examples {
		if ex.Value != nil {
			out = append(out, ex.Value.Value)
		}
	}
	if mt.Schema != nil && mt.Schema.Value != nil {
		out = append(out, mt.Schema.Value.Examples...)
	}
	return out
}

func visit(s *openapi3.Schema, v any) error {
	return s.VisitJSON(v, openapi3.EnableJSONSchema2020(), openapi3.EnableFormatValidation())
}

// A 429 tells the client when to try again.
func TestTooManyRequestsHaveRetryAfter(t *testing.T) {
	doc := load(t)
	n := 0
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			r := op.Responses.Status(429)
			if r == nil {
				continue
			}
			n++
			h := r.Value.Headers["Retry-After"]
			if h == nil || h.Value == nil || h.Value.Schema == nil || !h.Value.Schema.Value.Type.Is("integer") {
				t.Errorf("%s %s: 429 without an integer Retry-After header", method, path)
			}
		}
	}
	if n == 0 {
		t.Error("no 429 responses found")
	}
}

// The sign-in, API-key and admin-management bodies accept what Roster sends
// (including the seed's minimal bodies) and reject stray or missing fields.
func TestAuthAndAdminSchemas(t *testing.T) {
	doc := load(t)
	const (
		uid    = `"0TzPx1LmNoPqRsTuVwXy"`
		ts     = `"2025-07-14T09:32:11.123Z"`
		tokens = `"uid": ` + uid + `, "token": "aGVh.cGF5bG9hZA.c2ln", "token_type": "Bearer", "expires_in": 900, "refresh_token": "r", "refresh_expires_in": 2592000`
		me     = `"uid": ` + uid + `, "email": "a@example.com", "display_name": "A", "has_password": true, "email_verified": true, "clients": []`
		org    = `{"uid": "0TzPa9QbWcE4nKd8ZqR1", "company_name": "Acme", "role": "Owner"}`
		key    = `"key_id": "Ab3dE6gH9jK1", "name": "CI", "created_at": ` + ts
		admin  = `"uid": ` + uid + `, "email": "a@example.com", "display_name": "A", "status": "Active"`
		invite = `"invite_token": "t", "admin_uid": ` + uid + `, "admin_email": "a@example.com", "admin_display_name": "A", "invitee_email": "b@example.com", "status": "pending", "created_at": ` + ts
		made   = `"invite_token": "t", "admin_uid": ` + uid + `, "invitee_email": "b@example.com", "status": "pending", "created_at": ` + ts
	)
	checkBodies(t, doc, []bodyCase{
		{"AuthTokens", `{` + tokens + `}`, true},
		{"AuthTokens", `{` + strings.Replace(tokens, `"Bearer"`, `"bearer"`, 1) + `}`, false},
		{"AuthTokens", `{` + strings.Replace(tokens, `, "refresh_expires_in": 2592000`, ``, 1) + `}`, false},
		{"AuthTokens", `{` + strings.Replace(tokens, `"aGVh.cGF5bG9hZA.c2ln"`, `"opaque"`, 1) + `}`, false},
		{"AuthMe", `{` + me + `, "organization": ` + org + `}`, true},
		{"AuthMe", `{` + me + `, "organization": null}`, true},
		{"AuthMe", `{` + me + `}`, false},
		{"AuthMe", `{` + me + `, "organization": ` + strings.Replace(org, "Owner", "Member", 1) + `}`, false},
		{"AuthSignup", `{"email": "a@example.com", "password": "12345678", "display_name": "A"}`, true},
		{"AuthSignup", `{"email": "a@example.com", "password": "1234567", "display_name": "A"}`, false},
		{"AuthSignup", `{"email": "a@example.com", "password": "12345678"}`, false},
		{"AuthLogin", `{"email": "a@example.com"}`, false},
		{"AuthRefresh", `{"refresh_token": "r"}`, true},
		{"APIKeyList", `{"api_keys": []}`, true},
		{"APIKeyList", `{"api_keys": [{` + key + `, "last_used_at": null}, {` + key + `, "last_used_at": ` + ts + `}]}`, true},
		{"APIKeyList", `{"api_keys": [{` + key + `}]}`, false},
		{"APIKeyCreate", `{"name": "` + strings.Repeat("n", 100) + `"}`, true},
		{"APIKeyCreate", `{"name": "` + strings.Repeat("n", 101) + `"}`, false},
		{"APIKeyCreated", `{` + key + `, "api_key": "rst_Ab3dE6gH9jK1Zq8Rt2Vw5Yb7Nc4Md1Lf6Hg3Js9Kp0Ae"}`, true},
		{"APIKeyCreated", `{` + key + `, "api_key": "Ab3dE6gH9jK1"}`, false},
		{"AdminList", `{"query_count": 1, "users": [{` + admin + `}]}`, true},
		{"AdminList", `{"query_count": 1, "users": []}`, false},
		{"AdminList", `{"users": [{` + admin + `}]}`, false},
		{"AdminList", `{"query_count": 1, "users": [{` + strings.Replace(admin, `, "status": "Active"`, ``, 1) + `}]}`, false},
		{"SubAdminList", `{"query_count": 1, "users": [{` + admin + `, "role": "Admin"}]}`, true},
		{"SubAdminList", `{"query_count": 1, "users": [{` + admin + `, "role": "Viewer"}]}`, false},
		{"SubAdminList", `{"query_count": 1, "users": [{` + admin + `}]}`, false},
		{"InvitationList", `{"invitations": [{` + invite + `}]}`, true},
		{"InvitationList", `{"invitations": [{` + invite + `, "expires_at": ` + ts + `, "platform_link": "https://app.example.com/", "organization_uid": ` + uid + `, "company_name": "Acme"}]}`, true},
		{"InvitationList", `{"invitations": [{` + strings.Replace(invite, `"admin_email": "a@example.com", `, ``, 1) + `}]}`, false},
		{"InvitationCreated", `{` + made + `}`, true},
		{"InvitationCreated", `{` + made + `, "platform_link": "https://app.example.com/", "expires_at": ` + ts + `}`, true},
		{"InvitationCreated", `{` + strings.Replace(made, `"status": "pending", `, ``, 1) + `}`, false},
		{"InvitationCreate", `{"user_email": "b@example.com"}`, true},
		{"InvitationCreate", `{"platform_link": "https://app.example.com/"}`, false},
		{"InvitationReply", `{"invite_token": "t", "user_response": "decline"}`, true},
		{"InvitationReply", `{"invite_token": "t", "user_response": "maybe"}`, false},
		{"SubAdminCreate", `{"user_uid": ` + uid + `}`, true},
		{"SubAdminDelete", `{}`, false},
	})
}
