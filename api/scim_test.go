package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"roster"
	"roster/api"
	"roster/scim"
	"roster/store/storetest"
)

// scimUser is a User as the tests read it.
type scimUser struct {
	ID          string         `json:"id"`
	ExternalID  string         `json:"externalId"`
	UserName    string         `json:"userName"`
	DisplayName string         `json:"displayName"`
	Active      bool           `json:"active"`
	Athlete     map[string]any `json:"urn:roster:params:scim:schemas:extension:athlete:2.0:User"`
	Meta        struct {
		Location, Version string
	} `json:"meta"`
}

type scimList struct {
	TotalResults, StartIndex, ItemsPerPage int
	Resources                              []scimUser
}

type scimErr struct {
	Schemas                  []string
	Status, ScimType, Detail string
}

// scimDo sends a SCIM request with the organization's API key as a bearer
// token, as SCIM clients send it.
func (e *env) scimDo(method, path string, body any, header ...string) response {
	e.t.Helper()
	r := req{Method: method, Path: "/scim/v2" + path, Header: map[string]string{"Authorization": "Bearer " + e.org.APIKey}}
	for i := 0; i+1 < len(header); i += 2 {
		r.Header[header[i]] = header[i+1]
	}
	switch b := body.(type) {
	case nil:
	case string:
		r.ContentType, r.Body = "application/scim+json", []byte(b)
	default:
		r.ContentType = "application/scim+json"
		r.Body, _ = json.Marshal(b)
	}
	return e.do(r)
}

// scimError checks that r is a SCIM error of the status and scimType.
func scimError(t *testing.T, r response, status int, scimType string) {
	t.Helper()
	var got scimErr
	r.decode(t, &got)
	if r.Status != status || got.Status != fmt.Sprint(status) || got.ScimType != scimType || got.Detail == "" ||
		!slices.Equal(got.Schemas, []string{scim.ErrorSchema}) || r.Header.Get("Content-Type") != "application/scim+json" {
		t.Errorf("%d %s (%s), want a SCIM error %d %q", r.Status, r.Body, r.Header.Get("Content-Type"), status, scimType)
	}
}

func newUser(email, name string) map[string]any {
	return map[string]any{"schemas": []string{scim.UserSchema}, "userName": email, "displayName": name}
}

// TestSCIMUsers creates, reads, replaces, patches and deletes Users, and
// checks each change through the client routes and the audit log.
func TestSCIMUsers(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		body := newUser("Ann@Example.com", "Ann")
		body["externalId"] = "hr-1"
		body["phoneNumbers"] = []any{map[string]any{"value": "+41 79 000 00 00", "type": "mobile"}}
		body[scim.AthleteSchema] = map[string]any{"age": 31, "shoeSize": 42.5, "preferable_activities": []string{"Running"}}
		created := e.scimDo("POST", "/Users", body)
		ann := decodeAs[scimUser](t, created, 201)
		if created.Header.Get("Location") != "/scim/v2/Users/"+ann.ID || created.Header.Get("ETag") != ann.Meta.Version ||
			ann.UserName != "Ann@Example.com" || ann.ExternalID != "hr-1" || !ann.Active || ann.Athlete["age"] != 31.0 {
			t.Fatalf("created: %v %s", created.Header, created.Body)
		}
		stored := decodeAs[map[string]any](t, e.get(prefixes[0]+"/"+ann.ID), 200)
		if stored["email"] != "Ann@Example.com" || stored["external_id"] != "hr-1" || stored["phone"] != "+41 79 000 00 00" || stored["shoeSize"] != "42.5" {
			t.Errorf("stored: %v", stored)
		}
		if got := decodeAs[scimUser](t, e.scimDo("GET", "/Users/"+ann.ID, nil), 200); got.Meta.Version != ann.Meta.Version {
			t.Errorf("read back: %+v", got)
		}

		// A taken userName, letter case aside, is a uniqueness conflict.
		scimError(t, e.scimDo("POST", "/Users", newUser("ann@example.COM", "Other")), 409, "uniqueness")
		// Bad bodies.
		scimError(t, e.scimDo("POST", "/Users", map[string]any{"userName": "b@example.com", "displayName": "B", "favouriteColour": "b"}), 400, "invalidSyntax")
		undeclared := newUser("b@example.com", "B")
		undeclared[scim.EnterpriseSchema] = map[string]any{"department": "x"}
		scimError(t, e.scimDo("POST", "/Users", undeclared), 400, "invalidSyntax")
		scimError(t, e.scimDo("POST", "/Users", map[string]any{"userName": 7, "displayName": "B"}), 400, "invalidValue")
		scimError(t, e.scimDo("POST", "/Users", map[string]any{"userName": "b@example.com"}), 400, "invalidValue")
		scimError(t, e.scimDo("POST", "/Users", `{"userName": "b@example.com",`), 400, "invalidSyntax")
		scimError(t, e.scimDo("POST", "/Users", `{"userName":"`+strings.Repeat("b", 1<<20)+`"}`), 413, "")
		if list := decodeAs[scimList](t, e.scimDo("GET", "/Users", nil), 200); list.TotalResults != 1 {
			t.Errorf("after the refused creates: %+v", list)
		}

		// PATCH: active false deactivates as the client routes do.
		e.clock.Advance(time.Second)
		patch := map[string]any{"schemas": []string{scim.PatchSchema}, "Operations": []any{
			map[string]any{"op": "Replace", "path": "active", "value": false},
			map[string]any{"op": "add", "path": "name.formatted", "value": "Ann B."},
			map[string]any{"op": "remove", "path": scim.AthleteSchema + ":age"},
		}}
		patched := decodeAs[scimUser](t, e.scimDo("PATCH", "/Users/"+ann.ID, patch), 200)
		stored = decodeAs[map[string]any](t, e.get(prefixes[0]+"/"+ann.ID), 200)
		if patched.Active || patched.DisplayName != "Ann B." || patched.Athlete["age"] != nil ||
			stored["status"] != "deactivated" || stored["display_name"] != "Ann B." || stored["age"] != nil {
			t.Errorf("patched: %+v; stored %v", patched, stored)
		}
		actions := []string{}
		for _, en := range e.audit(e.org.APIKey, "object_uid="+ann.ID).Entries {
			actions = append(actions, en.Action)
		}
		if !slices.Contains(actions, "client.deactivate") || !slices.Contains(actions, "client.update") {
			t.Errorf("audit log: %v", actions)
		}

		// If-Match with an old version: 412, nothing changed.
		replace := newUser("ann@example.com", "Ann C.")
		scimError(t, e.scimDo("PUT", "/Users/"+ann.ID, replace, "If-Match", ann.Meta.Version), 412, "")
		scimError(t, e.scimDo("DELETE", "/Users/"+ann.ID, nil, "If-Match", ann.Meta.Version), 412, "")
		if now := decodeAs[scimUser](t, e.scimDo("GET", "/Users/"+ann.ID, nil), 200); now.Meta.Version != patched.Meta.Version {
			t.Errorf("changed by a failed precondition: %+v", now)
		}
		// PUT replaces: what it leaves out is cleared, active by default.
		e.clock.Advance(time.Second)
		put := decodeAs[scimUser](t, e.scimDo("PUT", "/Users/"+ann.ID, replace, "If-Match", patched.Meta.Version), 200)
		stored = decodeAs[map[string]any](t, e.get(prefixes[0]+"/"+ann.ID), 200)
		if put.DisplayName != "Ann C." || !put.Active || put.ExternalID != "" || put.Athlete != nil ||
			stored["external_id"] != nil || stored["status"] != "active" || stored["shoeSize"] != nil {
			t.Errorf("replaced: %+v; stored %v", put, stored)
		}

		// Another organization's User is not found, as an unknown one.
		other := e.do(req{Method: "GET", Path: "/scim/v2/Users/" + ann.ID, Header: map[string]string{"Authorization": "Bearer " + e.other.APIKey}})
		scimError(t, other, 404, "")
		scimError(t, e.scimDo("GET", "/Users/00000000000000000000", nil), 404, "")
		scimError(t, e.do(req{Method: "GET", Path: "/scim/v2/Users"}), 401, "")

		expect(t, e.scimDo("DELETE", "/Users/"+ann.ID, nil, "If-Match", put.Meta.Version), 204)
		expect(t, e.get(prefixes[0]+"/"+ann.ID), 404)
		scimError(t, e.scimDo("DELETE", "/Users/"+ann.ID, nil), 404, "")
	})
}

// TestSCIMFilters lists Users with each operator and combinations, and
// refuses filters that do not parse or name unknown attributes.
func TestSCIMFilters(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		ids := map[string]string{}
		for i, name := range []string{"Ann", "Bob", "Cleo", "Dan_"} {
			body := newUser(strings.ToLower(name)+"@example.com", name+" Smith")
			if i%2 == 0 {
				body["externalId"] = "HR-" + name
			}
			ids[name] = decodeAs[scimUser](t, e.scimDo("POST", "/Users", body), 201).ID
			e.clock.Advance(time.Minute)
		}
		expect(t, e.scimDo("PATCH", "/Users/"+ids["Bob"], map[string]any{"schemas": []string{scim.PatchSchema},
			"Operations": []any{map[string]any{"op": "replace", "value": map[string]any{"active": false}}}}), 200)
		tests := []struct {
			filter string
			want   []string
		}{
			{`userName eq "ANN@example.com"`, []string{"Ann"}},
			{`emails.value eq "cleo@example.com"`, []string{"Cleo"}},
			{`userName ne "ann@example.com"`, []string{"Bob", "Cleo", "Dan_"}},
			{`userName co "LEO@"`, []string{"Cleo"}},
			{`userName sw "d"`, []string{"Dan_"}},
			{`userName ew "o@example.com"`, []string{"Cleo"}},
			{`displayName co "_"`, []string{"Dan_"}},
			{`externalId pr`, []string{"Ann", "Cleo"}},
			{`externalId eq "hr-ann"`, nil}, // caseExact
			{`externalId sw "HR-C"`, []string{"Cleo"}},
			{`externalId co "nn"`, []string{"Ann"}},
			{`externalId ew "eo"`, []string{"Cleo"}},
			{`externalId ne "HR-Ann"`, []string{"Bob", "Cleo", "Dan_"}},
			{`active eq false`, []string{"Bob"}},
			{`active eq true and displayName sw "c"`, []string{"Cleo"}},
			{`userName sw "a" or userName sw "b"`, []string{"Ann", "Bob"}},
			{`not (externalId pr) and active eq true`, []string{"Dan_"}},
			{`(userName sw "a" or userName sw "c") and externalId pr`, []string{"Ann", "Cleo"}},
			{`meta.lastModified gt "2000-01-01T00:00:00Z"`, []string{"Ann", "Bob", "Cleo", "Dan_"}},
			{`meta.created lt "2000-01-01T00:00:00Z"`, nil},
		}
		for _, tt := range tests {
			list := decodeAs[scimList](t, e.scimDo("GET", "/Users?filter="+url.QueryEscape(tt.filter)+"&sortBy=userName", nil), 200)
			var got []string
			for _, u := range list.Resources {
				for name, id := range ids {
					if id == u.ID {
						got = append(got, name)
					}
				}
			}
			if !slices.Equal(got, tt.want) || list.TotalResults != len(tt.want) || list.ItemsPerPage != len(tt.want) {
				t.Errorf("filter %s: %v (total %d), want %v", tt.filter, got, list.TotalResults, tt.want)
			}
		}
		for _, bad := range []string{`userName eq`, `userName xx "a"`, `nickName eq "a"`, `active eq "yes"`,
			`meta.created gt "yesterday"`, `emails[type eq "work"]`, `userName gt "a"`} {
			scimError(t, e.scimDo("GET", "/Users?filter="+url.QueryEscape(bad), nil), 400, "invalidFilter")
		}
		// attributes and excludedAttributes choose what each User shows.
		only := e.scimDo("GET", "/Users?filter="+url.QueryEscape(`userName eq "ann@example.com"`)+"&attributes=userName", nil)
		if !strings.Contains(string(only.Body), `"Resources":[{"id":"`+ids["Ann"]+`","schemas":["`+scim.UserSchema+`"],"userName":"ann@example.com"}]`) {
			t.Errorf("attributes=userName: %s", only.Body)
		}
		without := decodeAs[map[string]any](t, e.scimDo("GET", "/Users/"+ids["Ann"]+"?excludedAttributes=meta,emails", nil), 200)
		if without["meta"] != nil || without["emails"] != nil || without["userName"] != "ann@example.com" {
			t.Errorf("excludedAttributes=meta,emails: %v", without)
		}
		scimError(t, e.scimDo("GET", "/Users?sortBy=nickName", nil), 400, "invalidValue")
		scimError(t, e.scimDo("GET", "/Users?count=many", nil), 400, "invalidValue")
	})
}

// TestSCIMPaging pages through 250 Users in each sort order.
func TestSCIMPaging(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		for i := range 250 {
			e.scimDo("POST", "/Users", newUser(fmt.Sprintf("u%03d@example.com", 249-i), fmt.Sprintf("User %03d", i)))
		}
		for _, order := range []string{"sortBy=userName", "sortBy=displayName&sortOrder=descending", "sortBy=meta.created", ""} {
			var names []string
			for start := 1; start <= 250; start += 100 {
				list := decodeAs[scimList](t, e.scimDo("GET", fmt.Sprintf("/Users?startIndex=%d&count=100&%s", start, order), nil), 200)
				if list.TotalResults != 250 || list.StartIndex != start || list.ItemsPerPage != min(100, 251-start) {
					t.Fatalf("%s page at %d: total %d, start %d, items %d", order, start, list.TotalResults, list.StartIndex, list.ItemsPerPage)
				}
				for _, u := range list.Resources {
					names = append(names, u.UserName)
				}
			}
			sorted := slices.Sorted(slices.Values(names))
			if strings.Contains(order, "userName") && !slices.Equal(names, sorted) ||
				strings.Contains(order, "descending") && !slices.Equal(names, sorted) || len(slices.Compact(sorted)) != 250 {
				t.Errorf("%s: not in order or not each once: %v", order, names[:5])
			}
		}
		if list := decodeAs[scimList](t, e.scimDo("GET", "/Users?count=0", nil), 200); list.TotalResults != 250 || len(list.Resources) != 0 {
			t.Errorf("count=0: %+v", list)
		}
		if list := decodeAs[scimList](t, e.scimDo("GET", "/Users?count=500&startIndex=-3", nil), 200); list.ItemsPerPage != 100 || list.StartIndex != 1 {
			t.Errorf("count over the maximum: %d items from %d", list.ItemsPerPage, list.StartIndex)
		}
	})
}

// TestSCIMDiscovery reads the discovery documents.
func TestSCIMDiscovery(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		spc := decodeAs[map[string]any](t, e.scimDo("GET", "/ServiceProviderConfig", nil), 200)
		if spc["patch"].(map[string]any)["supported"] != true || spc["bulk"].(map[string]any)["supported"] != false {
			t.Errorf("ServiceProviderConfig: %v", spc)
		}
		if list := decodeAs[scimList](t, e.scimDo("GET", "/ResourceTypes", nil), 200); list.TotalResults != 1 {
			t.Errorf("ResourceTypes: %+v", list)
		}
		expect(t, e.scimDo("GET", "/ResourceTypes/User", nil), 200)
		if list := decodeAs[scimList](t, e.scimDo("GET", "/Schemas", nil), 200); list.TotalResults != 2 {
			t.Errorf("Schemas: %+v", list)
		}
		ext := decodeAs[map[string]any](t, e.scimDo("GET", "/Schemas/"+scim.AthleteSchema, nil), 200)
		if attrs := ext["attributes"].([]any); len(attrs) != 10 {
			t.Errorf("athlete schema: %d attributes", len(attrs))
		}
	})
}

// TestSCIMLimitsAndCallers checks the plan's client limit, the media
// types, PATCH errors over HTTP, and who may call: a signed-in Admin's
// bearer token as an API key may.
func TestSCIMLimitsAndCallers(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		free := storetest.NewOrg(t, e.st, "Free")
		e.org = free
		for i := range roster.PlanClientLimits["Free"] {
			expect(t, e.scimDo("POST", "/Users", newUser(fmt.Sprintf("c%d@example.com", i), "C")), 201)
		}
		// A plan's limit is a 403 that says so (the client routes' 404 is
		// a missing resource to SCIM), whether the User would be active.
		inactive := newUser("inactive@example.com", "Inactive")
		inactive["active"] = false
		for _, body := range []map[string]any{newUser("over@example.com", "Over"), inactive} {
			r := e.scimDo("POST", "/Users", body)
			scimError(t, r, 403, "")
			if msg := decodeAs[scimErr](t, r, 403).Detail; msg != "client limit of 25 reached for the Free plan" {
				t.Errorf("over the limit: %q", msg)
			}
		}
		if list := decodeAs[scimList](t, e.scimDo("GET", "/Users?count=0", nil), 200); int64(list.TotalResults) != roster.PlanClientLimits["Free"] {
			t.Errorf("over the limit: %d clients", list.TotalResults)
		}

		r := e.do(req{Method: "POST", Path: "/scim/v2/Users", Header: map[string]string{"Authorization": "Bearer " + free.APIKey},
			ContentType: "text/plain", Body: []byte(`{}`)})
		scimError(t, r, 415, "")
		id := decodeAs[scimList](t, e.scimDo("GET", "/Users?count=1", nil), 200).Resources[0].ID
		r = e.do(req{Method: "PATCH", Path: "/scim/v2/Users/" + id, Header: map[string]string{"Authorization": "Bearer " + free.APIKey},
			ContentType: "application/json", Body: []byte(`{"schemas":["` + scim.PatchSchema + `"],"Operations":[{"op":"replace","path":"displayName","value":"D"}]}`)})
		if u := decodeAs[scimUser](t, r, 200); u.DisplayName != "D" { // application/json is read too
			t.Errorf("PATCH as application/json: %s", r.Body)
		}
		list := decodeAs[scimList](t, e.scimDo("GET", "/Users?count=1", nil), 200)
		for ops, scimType := range map[string]string{
			`[{"op":"replace","path":"id","value":"x"}]`:                                   "mutability",
			`[{"op":"replace","path":"favouriteColour","value":"x"}]`:                      "invalidPath",
			`[{"op":"replace","path":"name.nickName","value":"x"}]`:                        "invalidPath",
			`[{"op":"add","path":"urn:okta:custom:User:level","value":"x"}]`:               "invalidPath",
			`[{"op":"add","path":"` + scim.EnterpriseSchema + `:grade","value":"x"}]`:      "invalidPath",
			`[{"op":"replace","path":"emails[type eq \"home\"].value","value":"x@y.com"}]`: "noTarget",
			`[{"op":"copy","path":"title"}]`:                                               "invalidSyntax",
		} {
			scimError(t, e.scimDo("PATCH", "/Users/"+id, `{"schemas":["`+scim.PatchSchema+`"],"Operations":`+ops+`}`), 400, scimType)
		}
		if got := decodeAs[scimUser](t, e.scimDo("GET", "/Users/"+id, nil), 200); got.Meta.Version != list.Resources[0].Meta.Version {
			t.Errorf("a refused PATCH changed the User")
		}

		// A signed-in Admin may; a person who is not staff may not.
		admin := e.subAdminOf(free.APIKey, "scim-admin@example.com")
		r = e.do(req{Method: "GET", Path: "/scim/v2/Users/" + id, Header: bearer(admin.Token)})
		expect(t, r, 200)
		outsider := e.signup("outsider@example.com")
		scimError(t, e.do(req{Method: "GET", Path: "/scim/v2/Users/" + id, Header: bearer(outsider.Token)}), 403, "")
		scimError(t, e.do(req{Method: "GET", Path: "/scim/v2/Users", Header: map[string]string{"Authorization": "Bearer rst_wrong"}}), 401, "")
	})
}

// TestSCIMIdentityProviders provisions Users as Entra ID and Okta do, with
// the attributes they send by default: those Roster does not store (title,
// locale, addresses, groups, password, the enterprise extension…) are
// accepted and ignored, the others stored, and a PATCH of the family name
// alone keeps the given name.
func TestSCIMIdentityProviders(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		stored := func(id string) map[string]any {
			t.Helper()
			return decodeAs[map[string]any](t, e.get(prefixes[0]+"/"+id), 200)
		}
		// Entra ID's create, with its default attribute mappings.
		entra := decodeAs[scimUser](t, e.scimDo("POST", "/Users", `{
			"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
			"externalId": "ann.lee",
			"userName": "ann.lee@contoso.example",
			"active": true,
			"addresses": [{"type": "work", "formatted": "Bahnhofstrasse 1, 8001 Zürich", "streetAddress": "Bahnhofstrasse 1",
				"locality": "Zürich", "postalCode": "8001", "country": "CH", "primary": false}],
			"displayName": "Ann Lee",
			"emails": [{"primary": true, "type": "work", "value": "ann.lee@contoso.example"}],
			"meta": {"resourceType": "User"},
			"name": {"formatted": "Ann Lee", "familyName": "Lee", "givenName": "Ann"},
			"phoneNumbers": [{"type": "mobile", "value": "+41 79 000 00 00"}, {"type": "fax", "value": "+41 44 000 00 01"}],
			"preferredLanguage": "de-CH",
			"title": "Head coach",
			"userType": "Member",
			"roles": [],
			"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"employeeNumber": "1001", "department": "Athletics",
				"manager": {"value": "26118915-6090-4610-87a4-49d0767a9c8b"}}
		}`), 201)
		if got := stored(entra.ID); got["email"] != "ann.lee@contoso.example" || got["display_name"] != "Ann Lee" ||
			got["external_id"] != "ann.lee" || got["phone"] != "+41 79 000 00 00" || got["status"] != "active" {
			t.Errorf("Entra ID's create: %v", got)
		}
		// Entra ID's changes: one operation per changed attribute, the
		// family name without the given name, addresses by filter.
		patched := decodeAs[map[string]any](t, e.scimDo("PATCH", "/Users/"+entra.ID, `{
			"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
			"Operations": [
				{"op": "Replace", "path": "name.familyName", "value": "Jones"},
				{"op": "Replace", "path": "emails[type eq \"work\"].value", "value": "ann.jones@contoso.example"},
				{"op": "Replace", "path": "title", "value": "Coach"},
				{"op": "Replace", "path": "addresses[type eq \"work\"].locality", "value": "Bern"},
				{"op": "Add", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department", "value": "Youth"},
				{"op": "Add", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager", "value": "5d9d4a7a-1c3b-4f0e-9a43-2f1d0f6e7b21"}
			]
		}`), 200)
		if got := stored(entra.ID); got["display_name"] != "Ann Jones" || got["email"] != "ann.jones@contoso.example" ||
			patched["userName"] != "ann.jones@contoso.example" || patched["title"] != nil || patched[scim.EnterpriseSchema] != nil {
			t.Errorf("Entra ID's PATCH: %v; stored %v", patched, got)
		}
		expect(t, e.scimDo("PATCH", "/Users/"+entra.ID, `{"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
			"Operations": [{"op": "Replace", "path": "active", "value": "False"}]}`), 200)
		if got := stored(entra.ID); got["status"] != "deactivated" {
			t.Errorf("Entra ID's deactivation: %v", got)
		}

		// Okta's create, its update (a PUT of the whole User) and its
		// deactivation.
		okta := decodeAs[scimUser](t, e.scimDo("POST", "/Users", `{
			"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
			"userName": "bea.moser@example.com",
			"name": {"givenName": "Bea", "familyName": "Moser"},
			"emails": [{"primary": true, "value": "bea.moser@example.com", "type": "work"}],
			"displayName": "Bea Moser",
			"locale": "en-US",
			"externalId": "00ujl29u0le5T6Aj10h7",
			"groups": [],
			"password": "1mz050nq",
			"active": true
		}`), 201)
		if got := stored(okta.ID); got["email"] != "bea.moser@example.com" || got["display_name"] != "Bea Moser" ||
			got["external_id"] != "00ujl29u0le5T6Aj10h7" {
			t.Errorf("Okta's create: %v", got)
		}
		expect(t, e.scimDo("PUT", "/Users/"+okta.ID, `{
			"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
			"id": "`+okta.ID+`",
			"userName": "bea.moser@example.com",
			"externalId": "00ujl29u0le5T6Aj10h7",
			"name": {"givenName": "Bea", "familyName": "Keller"},
			"emails": [{"primary": true, "value": "bea.moser@example.com", "type": "work"}],
			"active": true,
			"groups": [],
			"locale": "en-US",
			"meta": {"resourceType": "User"}
		}`), 200)
		expect(t, e.scimDo("PATCH", "/Users/"+okta.ID, `{"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
			"Operations": [{"op": "replace", "value": {"active": false, "password": "p4ssw0rd"}}]}`), 200)
		if got := stored(okta.ID); got["display_name"] != "Bea Keller" || got["external_id"] != "00ujl29u0le5T6Aj10h7" || got["status"] != "deactivated" {
			t.Errorf("Okta's update and deactivation: %v", got)
		}
		// What the Users show: the stored attributes only.
		for _, id := range []string{entra.ID, okta.ID} {
			u := decodeAs[map[string]any](t, e.scimDo("GET", "/Users/"+id, nil), 200)
			for _, attr := range []string{"title", "locale", "addresses", "groups", "password", scim.EnterpriseSchema} {
				if u[attr] != nil {
					t.Errorf("User %s shows %s: %v", id, attr, u)
				}
			}
		}
	})
}

// TestSCIMLocation checks that a User's location is absolute under the
// configured public URL.
func TestSCIMLocation(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		r := e.scimDo("POST", "/Users", newUser("ann@example.com", "Ann"))
		u := decodeAs[scimUser](t, r, 201)
		want := "https://roster.example.com/scim/v2/Users/" + u.ID
		if u.Meta.Location != want || r.Header.Get("Location") != want {
			t.Errorf("location %q, Location %q; want %q", u.Meta.Location, r.Header.Get("Location"), want)
		}
	}, func(c *api.Config) { c.PublicURL = "https://roster.example.com/" })
}

// TestSCIMChangesAreAnnounced: SCIM changes clients through the same store
// code as the client routes, so their webhooks go out as for those.
func TestSCIMChangesAreAnnounced(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		rc := newReceiver(t)
		e.hook(rc.srv.URL, "*")
		ann := decodeAs[scimUser](t, e.scimDo("POST", "/Users", newUser("ann@example.com", "Ann")), 201)
		e.clock.Advance(time.Second)
		deactivate := map[string]any{"schemas": []string{scim.PatchSchema}, "Operations": []any{
			map[string]any{"op": "replace", "path": "active", "value": false}}}
		expect(t, e.scimDo("PATCH", "/Users/"+ann.ID, deactivate), 200)
		e.clock.Advance(time.Second)
		expect(t, e.scimDo("PUT", "/Users/"+ann.ID, newUser("ann@example.com", "Ann B.")), 200)
		// A refused create announces nothing.
		scimError(t, e.scimDo("POST", "/Users", newUser("ANN@example.com", "Twin")), 409, "uniqueness")
		expect(t, e.scimDo("DELETE", "/Users/"+ann.ID, nil), 204)

		e.dispatcher(local).DeliverDue(context.Background())
		var got []string
		for _, g := range rc.received() {
			if g.Event.Data["user_uid"] != ann.ID {
				t.Errorf("%s announced %v, not the User %s", g.Event.Type, g.Event.Data, ann.ID)
			}
			got = append(got, g.Event.Type)
		}
		// The PUT makes the User active again and changes its name: two changes.
		want := []string{roster.EventClientCreated, roster.EventClientDeactivated, roster.EventClientUpdated,
			roster.EventClientReactivated, roster.EventClientDeleted}
		slices.Sort(got)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("events %v, want %v", got, want)
		}
	})
}

// TestSCIMBadFilters checks that filters the store cannot evaluate are
// refused as invalidFilter, not failed as 500: nesting deeper than the
// engines' expression depth, too many comparisons, and invalid UTF-8.
func TestSCIMBadFilters(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		expect(t, e.scimDo("POST", "/Users", newUser("ann@example.com", "Ann")), 201)
		deep := strings.Repeat("not (", 600) + `userName eq "a"` + strings.Repeat(")", 600)
		many := strings.Repeat(`userName eq "a" or `, 80) + `userName eq "b"`
		for _, bad := range []string{deep, many} {
			scimError(t, e.scimDo("GET", "/Users?filter="+url.QueryEscape(bad), nil), 400, "invalidFilter")
		}
		scimError(t, e.scimDo("GET", "/Users?filter=externalId%20eq%20%22%FF%22", nil), 400, "invalidFilter")
		scimError(t, e.scimDo("GET", "/Users?filter=userName%20eq%20%22a%FFb%22", nil), 400, "invalidFilter")
		// A long chain of one operator is as shallow as it is wide.
		chain := strings.Repeat(`userName eq "a" or `, 40) + `userName eq "ann@example.com"`
		if list := decodeAs[scimList](t, e.scimDo("GET", "/Users?filter="+url.QueryEscape(chain), nil), 200); list.TotalResults != 1 {
			t.Errorf("a chain of 41 comparisons: %d Users, want 1", list.TotalResults)
		}
	})
}

// TestSCIMBadBodies checks that a body whose strings are not valid UTF-8
// is refused as invalidSyntax, on POST, PUT and PATCH, rather than stored
// with U+FFFD in place of its bytes, and that nothing changes.
func TestSCIMBadBodies(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		u := decodeAs[scimUser](t, e.scimDo("POST", "/Users", newUser("ann@example.com", "Ann")), 201)
		user := `{"schemas":["` + scim.UserSchema + `"],"userName":"bob@example.com","displayName":"Bob"}`
		for _, attr := range []string{"userName", "displayName"} {
			bad := strings.Replace(user, `"`+attr+`":"`, `"`+attr+`":"`+"\xff", 1)
			scimError(t, e.scimDo("POST", "/Users", bad), 400, "invalidSyntax")
			scimError(t, e.scimDo("PUT", "/Users/"+u.ID, bad), 400, "invalidSyntax")
		}
		withExternal := strings.Replace(user, `}`, `,"externalId":"HR-`+"\xff"+`"}`, 1)
		scimError(t, e.scimDo("POST", "/Users", withExternal), 400, "invalidSyntax")
		scimError(t, e.scimDo("PATCH", "/Users/"+u.ID, `{"schemas":["`+scim.PatchSchema+`"],"Operations":[{"op":"replace","path":"externalId","value":"`+"\xfe"+`"}]}`),
			400, "invalidSyntax")
		list := decodeAs[scimList](t, e.scimDo("GET", "/Users", nil), 200)
		if list.TotalResults != 1 || list.Resources[0].UserName != "ann@example.com" || list.Resources[0].ExternalID != "" ||
			list.Resources[0].Meta.Version != u.Meta.Version {
			t.Errorf("after refused bodies: %+v", list)
		}
	})
}

// TestSCIMRemoveRequired checks that PATCH may not remove userName or
// displayName, which a User must have, and that the refusal changes
// nothing.
func TestSCIMRemoveRequired(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		u := decodeAs[scimUser](t, e.scimDo("POST", "/Users", newUser("ann@example.com", "Ann")), 201)
		for _, path := range []string{"userName", "displayName", "name", "name.formatted", "emails", "emails.value",
			scim.UserSchema + ":userName", "USERNAME", `emails[type eq \"work\"]`, `emails[type eq \"work\"].value`} {
			ops := `[{"op":"remove","path":"` + path + `"}]`
			scimError(t, e.scimDo("PATCH", "/Users/"+u.ID, `{"schemas":["`+scim.PatchSchema+`"],"Operations":`+ops+`}`), 400, "mutability")
		}
		got := decodeAs[scimUser](t, e.scimDo("GET", "/Users/"+u.ID, nil), 200)
		if got.UserName != "ann@example.com" || got.DisplayName != "Ann" || got.Meta.Version != u.Meta.Version {
			t.Errorf("after refused removals: %+v", got)
		}
	})
}

// TestSCIMZeroTime checks that a filter's time before any client's, the
// zero time included, compares as that time rather than as no time.
func TestSCIMZeroTime(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		expect(t, e.scimDo("POST", "/Users", newUser("ann@example.com", "Ann")), 201)
		expect(t, e.scimDo("POST", "/Users", newUser("bob@example.com", "Bob")), 201)
		for filter, want := range map[string]int{
			`meta.lastModified gt "0001-01-01T00:00:00Z"`: 2, `meta.created ge "0001-01-01T00:00:00Z"`: 2,
			`meta.created ne "0001-01-01T00:00:00Z"`: 2, `meta.created lt "0001-01-01T00:00:00Z"`: 0,
			`meta.created eq "0001-01-01T00:00:00Z"`: 0, `meta.created gt "0001-01-01T01:00:00+02:00"`: 2,
		} {
			if list := decodeAs[scimList](t, e.scimDo("GET", "/Users?filter="+url.QueryEscape(filter), nil), 200); list.TotalResults != want {
				t.Errorf("%s: %d Users, want %d", filter, list.TotalResults, want)
			}
		}
	})
}

// trail is what the changes of the client uid left, as the API shows
// them: the actions of its audit entries, and the types of the events
// delivered about it to rc (due deliveries are made first), both sorted.
func (e *env) trail(rc *receiver, uid string) (actions, events []string) {
	e.t.Helper()
	for _, en := range e.audit(e.org.APIKey, "object_uid="+uid).Entries {
		actions = append(actions, en.Action)
	}
	e.dispatcher(local).DeliverDue(context.Background())
	for _, g := range rc.received() {
		if g.Event.Data["user_uid"] == uid {
			events = append(events, g.Event.Type)
		}
	}
	slices.Sort(actions)
	slices.Sort(events)
	return actions, events
}

// TestSCIMCreateInactive: a POST with active false leaves exactly one
// client, deactivated, counted as such by the client routes' lists and
// filter page, with the audit entries and events of the REST API's create
// and deactivation.
func TestSCIMCreateInactive(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		rc := newReceiver(t)
		e.hook(rc.srv.URL, "*")
		kept := e.create(prefixes[0], map[string]any{"email": "kept@example.com", "display_name": "Kept"})
		rest := e.create(prefixes[0], map[string]any{"email": "rest@example.com", "display_name": "Rest"})
		expect(t, e.json("POST", prefixes[0]+"/deactivate/", map[string]string{"user_uid": rest.UserUID}), 200)

		body := newUser("ann@example.com", "Ann")
		body["active"] = false
		r := e.scimDo("POST", "/Users", body)
		ann := decodeAs[scimUser](t, r, 201)
		if ann.Active || r.Header.Get("ETag") != ann.Meta.Version {
			t.Errorf("created: %v %s", r.Header, r.Body)
		}
		if got := decodeAs[scimUser](t, e.scimDo("GET", "/Users/"+ann.ID, nil), 200); got.Active || got.Meta.Version != ann.Meta.Version {
			t.Errorf("read back: %+v", got)
		}
		if stored := decodeAs[map[string]any](t, e.get(prefixes[0]+"/"+ann.ID), 200); stored["status"] != "deactivated" {
			t.Errorf("stored: %v", stored)
		}
		inactive := decodeAs[scimList](t, e.scimDo("GET", "/Users?filter="+url.QueryEscape("active eq false"), nil), 200)
		if all := decodeAs[scimList](t, e.scimDo("GET", "/Users?count=0", nil), 200); all.TotalResults != 3 || inactive.TotalResults != 2 {
			t.Errorf("Users: %d, inactive %+v", all.TotalResults, inactive)
		}
		var filter listPage
		decodeAsInto(t, e.get(prefixes[0]+"/filter/?limit=10"), 200, &filter)
		var deactivated listPage
		decodeAsInto(t, e.get(prefixes[0]+"/?deactivated=true&per_page=10"), 200, &deactivated)
		if filter.QueryCount != 1 || !slices.Equal(uidsOf(filter.Users), []string{kept.UserUID}) || deactivated.QueryCount != 2 || len(deactivated.Users) != 2 ||
			!slices.Contains(uidsOf(deactivated.Users), ann.ID) {
			t.Errorf("filter page %+v; deactivated list %+v", filter, deactivated)
		}

		restActions, restEvents := e.trail(rc, rest.UserUID)
		actions, events := e.trail(rc, ann.ID)
		if !slices.Equal(actions, []string{"client.create", "client.deactivate"}) || !slices.Equal(actions, restActions) ||
			!slices.Equal(events, []string{roster.EventClientCreated, roster.EventClientDeactivated}) || !slices.Equal(events, restEvents) {
			t.Errorf("SCIM: audit %v, events %v; REST: audit %v, events %v", actions, events, restActions, restEvents)
		}
		// Never active, it is announced deactivated from its creation on.
		for _, g := range rc.received() {
			if g.Event.Data["user_uid"] == ann.ID && g.Event.Data["status"] != "deactivated" {
				t.Errorf("%s shows it %v", g.Event.Type, g.Event.Data["status"])
			}
		}
	})
}

// TestSCIMChangesAreWhole: a PUT or PATCH that changes fields and active
// makes both in one transaction, under one If-Match: a stale version,
// another organization's User, or the database refusing the deactivation
// after the fields were written leaves the User exactly as it was, with
// no audit entry or event; made, it leaves those of an update and a
// deactivation. A POST with active false that the database refuses to
// deactivate leaves no User.
func TestSCIMChangesAreWhole(t *testing.T) {
	storetest.EachEngine(t, func(t *testing.T, engine string) {
		dir, dbURL := t.TempDir(), storetest.DatabaseURL(t, engine)
		st := storetest.OpenAt(t, dir, dbURL)
		t.Cleanup(func() { st.Close() })
		e := newEnv(t, st)
		rc := newReceiver(t)
		e.hook(rc.srv.URL, "*")
		ann := decodeAs[scimUser](t, e.scimDo("POST", "/Users", newUser("ann@example.com", "Ann")), 201)
		e.clock.Advance(time.Second)

		replace := newUser("ann@example.com", "Ann B.")
		replace["active"] = false
		patch := map[string]any{"schemas": []string{scim.PatchSchema}, "Operations": []any{
			map[string]any{"op": "replace", "path": "active", "value": false},
			map[string]any{"op": "replace", "path": "displayName", "value": "Ann B."},
		}}
		unchanged := func(when string) {
			t.Helper()
			got := decodeAs[scimUser](t, e.scimDo("GET", "/Users/"+ann.ID, nil), 200)
			if got.Meta.Version != ann.Meta.Version || got.DisplayName != "Ann" || !got.Active {
				t.Errorf("%s: %+v", when, got)
			}
			actions, events := e.trail(rc, ann.ID)
			if !slices.Equal(actions, []string{"client.create"}) || !slices.Equal(events, []string{roster.EventClientCreated}) {
				t.Errorf("%s: audit %v, events %v", when, actions, events)
			}
		}
		stale := `W/"1"`
		scimError(t, e.scimDo("PUT", "/Users/"+ann.ID, replace, "If-Match", stale), 412, "")
		scimError(t, e.scimDo("PATCH", "/Users/"+ann.ID, patch, "If-Match", stale), 412, "")
		unchanged("a stale If-Match")
		theirs := req{Method: "PUT", Path: "/scim/v2/Users/" + ann.ID, Header: map[string]string{"Authorization": "Bearer " + e.other.APIKey},
			ContentType: "application/scim+json"}
		theirs.Body, _ = json.Marshal(replace)
		scimError(t, e.do(theirs), 404, "")
		unchanged("another organization")
		t.Run("refused", func(t *testing.T) { // the database refuses until the subtest ends
			storetest.RefuseDeactivation(t, rawDB(t, dir, dbURL), engine)
			scimError(t, e.scimDo("PUT", "/Users/"+ann.ID, replace), 500, "")
			scimError(t, e.scimDo("PATCH", "/Users/"+ann.ID, patch, "If-Match", ann.Meta.Version), 500, "")
			inactive := newUser("bob@example.com", "Bob")
			inactive["active"] = false
			scimError(t, e.scimDo("POST", "/Users", inactive), 500, "")
		})
		unchanged("a refused deactivation")
		if all := decodeAs[scimList](t, e.scimDo("GET", "/Users", nil), 200); all.TotalResults != 1 || len(all.Resources) != 1 {
			t.Errorf("a refused inactive create left a User: %+v", all)
		}

		put := decodeAs[scimUser](t, e.scimDo("PUT", "/Users/"+ann.ID, replace, "If-Match", ann.Meta.Version), 200)
		if put.Active || put.DisplayName != "Ann B." || put.Meta.Version == ann.Meta.Version {
			t.Errorf("replaced: %+v", put)
		}
		actions, events := e.trail(rc, ann.ID)
		if !slices.Equal(actions, []string{"client.create", "client.deactivate", "client.update"}) ||
			!slices.Equal(events, []string{roster.EventClientCreated, roster.EventClientDeactivated, roster.EventClientUpdated}) {
			t.Errorf("replaced: audit %v, events %v", actions, events)
		}
	})
}
