package api_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"roster"
	"roster/api"
)

// scopedAnswers are the client routes a scoped Admin may not use even for
// an assigned client, with the answer: assigning coaches would let them
// widen their own scope.
var scopedAnswers = map[string]int{
	"POST /{user_uid}/coaches/{$}":   403,
	"DELETE /{user_uid}/coaches/{$}": 403,
}

// scopedAdmin makes an Admin of e's organization whose scope is assigned.
func (e *env) scopedAdmin(email string) tokens {
	e.t.Helper()
	admin := e.subAdminOf(e.org.APIKey, email)
	expect(e.t, e.json("PUT", "/admin-management/sub-admins/", map[string]any{"user_uid": admin.UID, "scope": "assigned"}), 200)
	return admin
}

// createBy creates a client as the holder of token.
func (e *env) createBy(token, prefix string, fields map[string]any) client {
	e.t.Helper()
	var out struct{ UserData client }
	decodeAsInto(e.t, e.as(token, "POST", prefix+"/", fields), 201, &out)
	return out.UserData
}

// TestScopedAdminOnEveryClientRoute sends every client id of every route
// of the table that manages clients, as an Admin whose scope is assigned:
// for a client not assigned to them the answer is the 404 of an unknown
// id, and the client is unchanged; for one assigned to them (one they
// created) the route does what it does. Generated from the route table, so
// that a new route cannot forget the scope.
func TestScopedAdminOnEveryClientRoute(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		e.setOrg(e.org, quota(1000))
		admin := e.scopedAdmin("coach@example.com")
		notMine := e.create(prefixes[0], map[string]any{"email": "not-mine@example.com", "display_name": "Not Mine", "external_id": "not-mine"})
		ownerView := func() string {
			return string(e.get(prefixes[0]+"/"+notMine.UserUID).Body) + string(e.get(prefixes[0]+"/"+notMine.UserUID+"/sessions").Body)
		}
		before := ownerView()
		probed := 0
		for _, c := range routeCalls() {
			if c.rt.Guard != (api.Guard{Access: api.Permitted, Perm: roster.PermClients}) {
				continue
			}
			for _, id := range c.rt.IDs {
				var theirs string
				switch id.Kind {
				case api.ClientUID:
					theirs = notMine.UserUID
				case api.ClientExternalID:
					theirs = "not-mine"
				default:
					continue
				}
				probed++
				unknown := unknownLike(theirs)
				got, want := e.do(c.probe(id, theirs, admin.Token)), e.do(c.probe(id, unknown, admin.Token))
				gotBody := strings.ReplaceAll(string(got.Body), theirs, "{id}")
				wantBody := strings.ReplaceAll(string(want.Body), unknown, "{id}")
				if got.Status != 404 || got.Status != want.Status || gotBody != wantBody {
					t.Errorf("%s with an unassigned client's %s: %d %s; with an unknown one: %d %s", c, id.Name, got.Status, gotBody, want.Status, wantBody)
				}
				// A client of the Admin's own, fresh for each probe, since
				// some routes delete or deactivate it.
				external := fmt.Sprintf("mine-%d", probed)
				mine := e.createBy(admin.Token, prefixes[0], map[string]any{"email": external + "@example.com",
					"display_name": "Mine", "external_id": external})
				value := mine.UserUID
				if id.Kind == api.ClientExternalID {
					value = external
				}
				ok := e.do(c.probe(id, value, admin.Token))
				if status, refused := scopedAnswers[c.rt.Pattern]; refused && ok.Status != status || !refused && ok.Status >= 300 {
					t.Errorf("%s with an assigned client's %s: %d %s", c, id.Name, ok.Status, ok.Body)
				}
			}
		}
		if probed < 30 {
			t.Errorf("probed %d client ids: the table's client routes were not found", probed)
		}
		if after := ownerView(); after != before {
			t.Errorf("the unassigned client changed:\n%s\n%s", before, after)
		}
	})
}

// scopedUIDs returns the user_uids of a page of clients, sorted.
func scopedUIDs(t testing.TB, r response, status int) []string {
	t.Helper()
	page := decodeAs[struct {
		QueryCount *int64   `json:"query_count"`
		Users      []client `json:"users"`
	}](t, r, status)
	var uids []string
	for _, c := range page.Users {
		uids = append(uids, c.UserUID)
	}
	if page.QueryCount != nil && *page.QueryCount != int64(len(uids)) {
		t.Errorf("query_count %d for %d users: %s", *page.QueryCount, len(uids), r.Body)
	}
	slices.Sort(uids)
	return uids
}

// TestScopedAdminListsOnlyAssignedClients checks the paths that take no
// client id: the list (streamed and paged, with a search), the filter page
// and its query_count, the coach_uid filter, the export and SCIM; and that
// an unassignment and a change of scope apply at the next request.
func TestScopedAdminListsOnlyAssignedClients(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		admin := e.scopedAdmin("coach@example.com")
		var made []string
		for i := range 3 {
			made = append(made, e.createBy(admin.Token, prefixes[1], map[string]any{
				"email": fmt.Sprintf("made%d@example.com", i), "display_name": fmt.Sprintf("Runner Made %d", i)}).UserUID)
		}
		var others []string
		for i := range 3 {
			others = append(others, e.create(prefixes[0], map[string]any{
				"email": fmt.Sprintf("other%d@example.com", i), "display_name": fmt.Sprintf("Runner Other %d", i)}).UserUID)
		}
		assigned := e.json("POST", prefixes[0]+"/"+others[0]+"/coaches/", map[string]string{"coach_uid": admin.UID})
		if got := decodeAs[struct {
			UserUID   string   `json:"user_uid"`
			CoachUIDs []string `json:"coach_uids"`
		}](t, assigned, 200); got.UserUID != others[0] || !slices.Equal(got.CoachUIDs, []string{admin.UID}) {
			t.Fatalf("assigned: %s", assigned.Body)
		}
		sees := slices.Sorted(slices.Values(append(slices.Clone(made), others[0])))
		all := slices.Sorted(slices.Values(append(slices.Clone(made), others...)))
		for _, prefix := range prefixes {
			for _, path := range []string{"/filter/?limit=100", "/", "/?page=1&per_page=50", "/?q=runner", "/?q=runner&page=1"} {
				if got := scopedUIDs(t, e.as(admin.Token, "GET", prefix+path, nil), 200); !slices.Equal(got, sees) {
					t.Errorf("%s%s as the scoped Admin: %v, want %v", prefix, path, got, sees)
				}
				if got := scopedUIDs(t, e.get(prefix+path), 200); !slices.Equal(got, all) {
					t.Errorf("%s%s as the Owner: %v, want %v", prefix, path, got, all)
				}
			}
			// coach_uid lists a coach's clients; admin_uid still the creator's.
			if got := scopedUIDs(t, e.get(prefix+"/filter/?coach_uid="+admin.UID), 200); !slices.Equal(got, sees) {
				t.Errorf("coach_uid filter: %v, want %v", got, sees)
			}
			if got := scopedUIDs(t, e.get(prefix+"/filter/?admin_uid="+admin.UID), 200); !slices.Equal(got, slices.Sorted(slices.Values(made))) {
				t.Errorf("admin_uid filter: %v, want %v", got, made)
			}
			// Another coach's clients, as the scoped Admin: none of theirs.
			expect(t, e.as(admin.Token, "GET", prefix+"/filter/?coach_uid="+e.org.OwnerUID, nil), 404)
		}
		export := e.do(req{Method: "GET", Path: prefixes[0] + "/export/?format=ndjson", Header: bearer(admin.Token)})
		expect(t, export, 200)
		var exported []string
		for line := range strings.Lines(string(export.Body)) {
			var c client
			if err := json.Unmarshal([]byte(line), &c); err != nil {
				t.Fatalf("export line %q: %v", line, err)
			}
			exported = append(exported, c.UserUID)
		}
		if slices.Sort(exported); !slices.Equal(exported, sees) {
			t.Errorf("export: %v, want %v", exported, sees)
		}
		scim := decodeAs[struct {
			TotalResults int `json:"totalResults"`
			Resources    []struct {
				ID string `json:"id"`
			} `json:"Resources"`
		}](t, e.do(req{Method: "GET", Path: "/scim/v2/Users", Header: bearer(admin.Token)}), 200)
		if scim.TotalResults != len(sees) || len(scim.Resources) != len(sees) {
			t.Errorf("SCIM lists %d of %d, want %d", len(scim.Resources), scim.TotalResults, len(sees))
		}

		// Read once (and so cached), then unassigned: gone at the next request.
		expect(t, e.as(admin.Token, "GET", prefixes[0]+"/"+others[0], nil), 200)
		expect(t, e.json("DELETE", prefixes[1]+"/"+others[0]+"/coaches/", map[string]string{"coach_uid": admin.UID}), 200)
		gone := e.as(admin.Token, "GET", prefixes[0]+"/"+others[0], nil)
		expect(t, gone, 404)
		if gone.errorText(t) != roster.ErrClientNotFound.Error() {
			t.Errorf("unassigned client: %s", gone.Body)
		}
		// Scope all: every client again.
		expect(t, e.json("PUT", "/admin-management/sub-admins/", map[string]any{"user_uid": admin.UID, "scope": "all"}), 200)
		if got := scopedUIDs(t, e.as(admin.Token, "GET", prefixes[0]+"/filter/?limit=100", nil), 200); !slices.Equal(got, all) {
			t.Errorf("scope all: %v, want %v", got, all)
		}
		staff := e.get("/admin-management/sub-admins/")
		if !strings.Contains(string(staff.Body), `"uid":"`+admin.UID+`","email":"coach@example.com","display_name":"Person coach@example.com","role":"Admin","scope":"all"`) {
			t.Errorf("sub-admins list: %s", staff.Body)
		}
	})
}

// TestCoachAssignmentBadInput refuses each bad assignment with its exact
// answer, and stores nothing.
func TestCoachAssignmentBadInput(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		admin := e.scopedAdmin("coach@example.com")
		c := e.create(prefixes[0], map[string]any{"email": "athlete@example.com", "display_name": "Athlete"})
		theirs := e.createAs(e.other.APIKey, prefixes[0], map[string]any{"email": "theirs@example.com", "display_name": "Theirs"})
		theirAdmin := e.subAdminOf(e.other.APIKey, "their-coach@example.com")
		person := e.signup("person@example.com")
		notFound := roster.ErrClientNotFound.Error()
		coachNotFound := "coach not found: coach_uid must be a staff member of this organization"
		path := prefixes[0] + "/" + c.UserUID + "/coaches/"
		for _, tc := range []struct {
			name, path, body string
			token            string
			status           int
			text             string
		}{
			{"missing coach_uid", path, `{}`, "", 400, "coach_uid: required"},
			{"coach_uid not a string", path, `{"coach_uid":5}`, "", 400, "coach_uid: must be a string"},
			{"unknown field", path, `{"coach_uid":"` + admin.UID + `","x":1}`, "", 400, "x: unknown field; accepted: coach_uid"},
			{"unknown coach", path, `{"coach_uid":"00000000000000000000"}`, "", 404, coachNotFound},
			{"malformed coach", path, `{"coach_uid":"../x"}`, "", 404, coachNotFound},
			{"another organization's coach", path, `{"coach_uid":"` + theirAdmin.UID + `"}`, "", 404, coachNotFound},
			{"a person who is not staff", path, `{"coach_uid":"` + person.UID + `"}`, "", 404, coachNotFound},
			{"unknown client", prefixes[0] + "/00000000000000000000/coaches/", `{"coach_uid":"` + admin.UID + `"}`, "", 404, notFound},
			{"another organization's client", prefixes[0] + "/" + theirs.UserUID + "/coaches/", `{"coach_uid":"` + admin.UID + `"}`, "", 404, notFound},
			{"the scoped Admin, unassigned client", path, `{"coach_uid":"` + admin.UID + `"}`, admin.Token, 404, notFound},
		} {
			for _, method := range []string{"POST", "DELETE"} {
				r := req{Method: method, Path: tc.path, Key: e.org.APIKey, ContentType: "application/json", Body: []byte(tc.body)}
				if tc.token != "" {
					r.Key, r.Header = "", bearer(tc.token)
				}
				got := e.do(r)
				if got.Status != tc.status || got.errorText(t) != tc.text {
					t.Errorf("%s %s: %d %s, want %d %q", method, tc.name, got.Status, got.Body, tc.status, tc.text)
				}
			}
		}
		// Nothing was assigned: the scoped Admin still sees nothing.
		expect(t, e.as(admin.Token, "GET", prefixes[0]+"/"+c.UserUID, nil), 404)
		// Assigned, the scoped Admin sees the client but may not assign.
		expect(t, e.json("POST", path, map[string]string{"coach_uid": admin.UID}), 200)
		refused := e.as(admin.Token, "POST", path, map[string]string{"coach_uid": admin.UID})
		if refused.Status != 403 || !strings.Contains(refused.errorText(t), "scope is assigned may not assign coaches") {
			t.Errorf("scoped Admin assigning: %d %s", refused.Status, refused.Body)
		}
		for _, body := range []string{`{"user_uid":"` + admin.UID + `","scope":"some"}`, `{"user_uid":"` + admin.UID + `","scope":null}`,
			`{"user_uid":"` + admin.UID + `","scope":1}`} {
			got := e.do(req{Method: "PUT", Path: "/admin-management/sub-admins/", Key: e.org.APIKey, ContentType: "application/json", Body: []byte(body)})
			if got.Status != 400 || got.errorText(t) != "scope: must be all or assigned" {
				t.Errorf("scope %s: %d %s", body, got.Status, got.Body)
			}
		}
		staff := string(e.get("/admin-management/sub-admins/").Body)
		if !strings.Contains(staff, `"scope":"assigned"`) {
			t.Errorf("a refused scope changed it: %s", staff)
		}
	})
}
