package api_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"roster/api"
	"roster/auth"
)

func TestExternalIDAndSessionsLimit(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		for _, prefix := range prefixes {
			tag := prefix[1:5]
			c := e.create(prefix, map[string]any{"email": tag + "-ext@example.com", "display_name": "Ext",
				"external_id": "crm-" + tag, "sessions_limit": 2})
			got, err := e.st.Client(context.Background(), e.org.ID, c.UserUID)
			if err != nil || got.ExternalID == nil || *got.ExternalID != "crm-"+tag || got.SessionsLimit == nil || *got.SessionsLimit != 2 {
				t.Fatalf("stored %+v, %v", got, err)
			}
			// Unique within the organization, free in another one.
			r := e.json("POST", prefix+"/", map[string]any{"email": tag + "-dup@example.com", "display_name": "Dup", "external_id": "crm-" + tag})
			badWant(t, r, 400, "external_id: a client with this external_id already exists")
			e.createAs(e.other.APIKey, prefix, map[string]any{"email": tag + "-o@example.com", "display_name": "O", "external_id": "crm-" + tag})

			for body, want := range map[string]string{
				`{"user_uid":"` + c.UserUID + `","sessions_limit":0}`:       "sessions_limit: must be between 1 and 999999",
				`{"user_uid":"` + c.UserUID + `","sessions_limit":1000000}`: "and 999999",
				`{"user_uid":"` + c.UserUID + `","sessions_limit":1.5}`:     "sessions_limit: must be an integer",
				`{"user_uid":"` + c.UserUID + `","external_id":5}`:          "external_id: must be a string",
			} {
				badWant(t, e.do(req{Method: "PUT", Path: "/user-management/users/", Key: e.org.APIKey,
					ContentType: "application/json", Body: []byte(body)}), 400, want)
			}
			// null clears both.
			expect(t, e.json("PUT", "/user-management/users/", map[string]any{"user_uid": c.UserUID, "external_id": nil, "sessions_limit": nil}), 200)
			got, err = e.st.Client(context.Background(), e.org.ID, c.UserUID)
			if err != nil || got.ExternalID != nil || got.SessionsLimit != nil {
				t.Errorf("after clearing: %+v, %v", got, err)
			}
		}
	})
}

// TestDeactivateStaffAcrossProcesses deactivates a sub-admin through one
// server process and checks that the other refuses their access token,
// refresh token and API key on the very next request; reactivation
// restores them.
func TestDeactivateStaffAcrossProcesses(t *testing.T) {
	eachTwoProcesses(t, func(t *testing.T, e, second *env) {
		admin := e.subAdmin("deact@example.com")
		key := e.newAPIKey(admin.Token, "deact key")
		c := e.create(prefixes[0], map[string]any{"email": "kept@example.com", "display_name": "Kept"})
		list := "/client-management/clients/"
		expect(t, second.as(admin.Token, "GET", list, nil), 200)
		expect(t, second.do(req{Method: "GET", Path: list, Key: key}), 200)

		expect(t, e.json("POST", "/admin-management/sub-admins/deactivate/", map[string]string{"user_uid": admin.UID}), 200)
		badWant(t, second.as(admin.Token, "GET", list, nil), 401, "this account is deactivated")
		badWant(t, second.do(req{Method: "GET", Path: list, Key: key}), 401, "invalid API key")
		badWant(t, second.post("/auth/refresh", map[string]string{"refresh_token": admin.RefreshToken}), 401, "refresh token")
		badWant(t, second.post("/auth/login", map[string]string{"email": "deact@example.com", "password": testPassword}), 401, "this account is deactivated")
		// The organization's data is untouched, and the member stays staff.
		if subs := e.staff(e.org.APIKey, "/admin-management/sub-admins/"); subs.QueryCount != 2 {
			t.Errorf("staff after deactivation: %+v", subs)
		}

		expect(t, second.json("POST", "/admin-management/sub-admins/reactivate/", map[string]string{"user_uid": admin.UID}), 200)
		expect(t, e.as(admin.Token, "GET", list+c.UserUID, nil), 200)
		expect(t, e.do(req{Method: "GET", Path: list, Key: key}), 200)
		e.login("deact@example.com")
		expect(t, e.post("/auth/refresh", map[string]string{"refresh_token": admin.RefreshToken}), 200)
	})
}

func TestDeactivateLastOwner(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		badWant(t, e.json("POST", "/admin-management/sub-admins/deactivate/", map[string]string{"user_uid": e.org.OwnerUID}), 400, "last Owner")
		expect(t, e.get("/client-management/clients/"), 200)
		// Another organization's member is not found, and stays active.
		admin := e.subAdmin("mine@example.com")
		r := e.do(req{Method: "POST", Path: "/admin-management/sub-admins/deactivate/", Key: e.other.APIKey,
			ContentType: "application/json", Body: []byte(`{"user_uid":"` + admin.UID + `"}`)})
		badWant(t, r, 404, "sub-admin not found")
		expect(t, e.as(admin.Token, "GET", "/client-management/clients/", nil), 200)
	})
}

// TestDeactivateClient: a deactivated client leaves the list, keeps its
// data, and its account can no longer act; reactivating restores both.
func TestDeactivateClient(t *testing.T) {
	eachTwoProcesses(t, func(t *testing.T, e, second *env) {
		for i, prefix := range prefixes {
			email := fmt.Sprintf("athlete%d@example.com", i)
			c := e.create(prefix, map[string]any{"email": email, "display_name": "Athlete", "external_id": fmt.Sprintf("crm-%d", i),
				"gender": "female", "preferable_activities": []string{"Running"}})
			e.json("POST", prefix+"/save-notes/"+c.UserUID, map[string]string{"note": "keep me"})
			athlete := e.signup(email)
			e.link(e.org.APIKey, c.UserUID, athlete.Token)
			before := e.details(prefix, c.UserUID)

			// By external_id, through the other process.
			r := second.json("POST", prefix+"/deactivate/", map[string]string{"external_id": fmt.Sprintf("crm-%d", i)})
			expect(t, r, 200)
			if list := e.get(prefix + "/"); strings.Contains(string(list.Body), c.UserUID) {
				t.Errorf("deactivated client listed: %s", list.Body)
			}
			var got struct {
				client
				Status        string  `json:"status"`
				DeactivatedAt *string `json:"deactivated_at"`
			}
			decodeAsInto(t, e.get(prefix+"/"+c.UserUID), 200, &got)
			if got.Status != "deactivated" || got.DeactivatedAt == nil || string(got.Notes) != string(before.Notes) ||
				got.Email != email || *got.Gender != "female" {
				t.Errorf("deactivated client: %+v", got)
			}
			// The athlete's account stays theirs; the profile is out of its reach.
			if m := e.me(athlete.Token); len(m.Clients) != 0 {
				t.Errorf("a deactivated profile is shown to its athlete: %+v", m.Clients)
			}
			badWant(t, e.as(athlete.Token, "PUT", "/auth/me/clients/"+c.UserUID, map[string]any{"height": 1}), 404, badNotFound)
			// Twice is the same as once.
			expect(t, e.json("POST", prefix+"/deactivate/", map[string]string{"user_uid": c.UserUID}), 200)

			expect(t, e.json("POST", prefix+"/reactivate/", map[string]string{"user_uid": c.UserUID}), 200)
			after := e.details(prefix, c.UserUID)
			if after.Email != before.Email || string(after.Notes) != string(before.Notes) || !strings.Contains(string(e.get(prefix+"/").Body), c.UserUID) {
				t.Errorf("reactivated: %+v, was %+v", after, before)
			}
			if m := e.me(athlete.Token); len(m.Clients) != 1 {
				t.Errorf("reactivated profile not shown: %+v", m.Clients)
			}
		}
	})
}

// decodeAsInto is decodeAs for a value the caller declares.
func decodeAsInto(t testing.TB, r response, status int, v any) {
	t.Helper()
	expect(t, r, status)
	r.decode(t, v)
}

func TestForceLogout(t *testing.T) {
	eachTwoProcesses(t, func(t *testing.T, e, second *env) {
		c := e.create(prefixes[1], map[string]any{"email": "runner@example.com", "display_name": "Runner", "external_id": "crm-runner"})
		first := e.signup("runner@example.com")
		e.link(e.org.APIKey, c.UserUID, first.Token)
		again := e.login("runner@example.com")
		r := e.json("POST", prefixes[1]+"/force-logout/", map[string]string{"external_id": "crm-runner"})
		var out struct {
			Sessions int64
			Message  string
		}
		decodeAsInto(t, r, 200, &out)
		if out.Sessions != 2 || out.Message != "Signed out of 2 sessions." {
			t.Errorf("ended %d sessions (%q), want 2", out.Sessions, out.Message)
		}
		for _, tk := range []tokens{first, again} {
			expect(t, second.as(tk.Token, "GET", "/auth/me", nil), 401)
			expect(t, second.post("/auth/refresh", map[string]string{"refresh_token": tk.RefreshToken}), 401)
		}
		e.me(e.login("runner@example.com").Token) // signing in again works

		// A client without an account, and another organization's client.
		plain := e.create(prefixes[1], map[string]any{"email": "plain@example.com", "display_name": "Plain"})
		decodeAsInto(t, e.json("POST", prefixes[1]+"/force-logout/", map[string]string{"user_uid": plain.UserUID}), 200, &out)
		if out.Sessions != 0 || out.Message != "Signed out of 0 sessions." {
			t.Errorf("a client without an account: %d sessions ended (%q)", out.Sessions, out.Message)
		}
		r = e.do(req{Method: "POST", Path: prefixes[1] + "/force-logout/", Key: e.other.APIKey, ContentType: "application/json",
			Body: []byte(`{"user_uid":"` + c.UserUID + `"}`)})
		badWant(t, r, 404, badNotFound)

		// Staff, by the owner.
		admin := e.subAdmin("coach@example.com")
		decodeAsInto(t, e.json("POST", "/admin-management/sub-admins/force-logout/", map[string]string{"user_uid": admin.UID}), 200, &out)
		if out.Sessions != 1 || out.Message != "Signed out of 1 session." {
			t.Errorf("ended %d staff sessions (%q), want 1", out.Sessions, out.Message)
		}
		expect(t, second.as(admin.Token, "GET", "/client-management/clients/", nil), 401)
	})
}

// TestSignInSessionsLimit: signing in beyond the limit ends the oldest session.
func TestSignInSessionsLimit(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		c := e.create(prefixes[0], map[string]any{"email": "capped@example.com", "display_name": "Capped", "sessions_limit": 2})
		s1 := e.signup("capped@example.com")
		e.link(e.org.APIKey, c.UserUID, s1.Token)
		s2 := e.login("capped@example.com")
		s3 := e.login("capped@example.com")
		badWant(t, e.as(s1.Token, "GET", "/auth/me", nil), 401, "session has ended")
		e.me(s2.Token)
		e.me(s3.Token)

		admin := e.subAdmin("limited@example.com")
		expect(t, e.json("PUT", "/admin-management/sub-admins/", map[string]any{"user_uid": admin.UID, "sessions_limit": 1}), 200)
		next := e.login("limited@example.com")
		badWant(t, e.as(admin.Token, "GET", "/auth/me", nil), 401, "session has ended")
		e.me(next.Token)
		// null lifts the limit.
		expect(t, e.json("PUT", "/admin-management/sub-admins/", map[string]any{"user_uid": admin.UID, "sessions_limit": nil}), 200)
		later := e.login("limited@example.com")
		e.me(next.Token)
		e.me(later.Token)
	})
}

func TestBadLifecycleRequests(t *testing.T) {
	clientCases := []badCase{
		{name: "no body", ct: badNoCT, status: 400, want: "user_uid: required (or external_id)"},
		{name: "empty object", body: `{}`, status: 400, want: "user_uid: required (or external_id)"},
		{name: "both", body: `{"user_uid":"{A}","external_id":"x"}`, status: 400, want: "not both"},
		{name: "user_uid a number", body: `{"user_uid":5}`, status: 400, want: "user_uid: must be a string"},
		{name: "unknown field", body: `{"user_uid":"{A}","reason":"x"}`, status: 400, want: "reason: unknown field"},
		{name: "unknown uid", body: `{"user_uid":"` + badUnknownUID + `"}`, status: 404, want: badNotFound},
		{name: "unknown external_id", body: `{"external_id":"nope"}`, status: 404, want: badNotFound},
		{name: "other organization's client", body: `{"user_uid":"{O}"}`, status: 404, want: badNotFound},
		{name: "other organization's external_id", body: `{"external_id":"theirs"}`, status: 404, want: badNotFound},
		{name: "body over 1 MiB", body: `{"user_uid":"{A}","pad":"` + badHuge + `"}`, status: 413, want: "request body is larger than"},
	}
	clientCases = append(clientCases, badBodyCases(`{"user_uid":"{A}"}`)...)
	staffCases := []badCase{
		{name: "no user_uid", body: `{}`, status: 400, want: "user_uid: required"},
		{name: "unknown uid", body: `{"user_uid":"` + badUnknownUID + `"}`, status: 404, want: "sub-admin not found"},
		{name: "other organization's owner", body: `{"user_uid":"{OO}"}`, status: 404, want: "sub-admin not found"},
		{name: "unknown field", body: `{"user_uid":"{AD}","x":1}`, status: 400, want: "x: unknown field"},
	}
	staffCases = append(staffCases, seedBodyCases(`{"user_uid":"{AD}"}`)...)
	updateCases := append([]badCase{
		{name: "no user_uid", body: `{"sessions_limit":2}`, status: 400, want: "user_uid: required"},
		{name: "no sessions_limit", body: `{"user_uid":"{AD}"}`, status: 400, want: "sessions_limit: required"},
		{name: "sessions_limit 0", body: `{"user_uid":"{AD}","sessions_limit":0}`, status: 400, want: "sessions_limit: must be between 1 and 999999"},
		{name: "sessions_limit text", body: `{"user_uid":"{AD}","sessions_limit":"many"}`, status: 400, want: "sessions_limit: must be an integer"},
		{name: "unknown uid", body: `{"user_uid":"` + badUnknownUID + `","sessions_limit":2}`, status: 404, want: "sub-admin not found"},
		{name: "other organization's owner", body: `{"user_uid":"{OO}","sessions_limit":2}`, status: 404, want: "sub-admin not found"},
		{name: "unknown field", body: `{"user_uid":"{AD}","sessions_limit":2,"x":1}`, status: 400, want: "x: unknown field"},
	}, seedBodyCases(`{"user_uid":"{AD}","sessions_limit":2}`)...)
	each(t, func(t *testing.T, e *env) {
		a := e.create(prefixes[0], map[string]any{"email": "a@example.com", "display_name": "A"})
		o := e.createAs(e.other.APIKey, prefixes[0], map[string]any{"email": "o@example.com", "display_name": "O", "external_id": "theirs"})
		admin := e.subAdmin("ad@example.com")
		vars := strings.NewReplacer("{A}", a.UserUID, "{O}", o.UserUID, "{OO}", e.other.OwnerUID, "{AD}", admin.UID)
		state := func(e *env) string {
			return badSnap(e, e.org.APIKey, prefixes[0]+"/") + badSnap(e, e.other.APIKey, prefixes[0]+"/") +
				string(e.as(admin.Token, "GET", "/auth/me", nil).Body)
		}
		key := map[string]string{"API-KEY": e.org.APIKey}
		for _, path := range []string{"/deactivate/", "/reactivate/", "/force-logout/"} {
			badRunWith(t, e, "POST", prefixes[0]+path, key, vars, state, clientCases)
			badRunWith(t, e, "POST", "/admin-management/sub-admins"+path, key, vars, state, staffCases)
		}
		badRunWith(t, e, "PUT", "/admin-management/sub-admins/", key, vars, state, updateCases)
		// Admins may not change staff.
		r := e.as(admin.Token, "POST", "/admin-management/sub-admins/deactivate/", map[string]string{"user_uid": admin.UID})
		badWant(t, r, 403, "super admin privileges")
	})
}

// TestExportDeactivated: an export, like a list, holds the active clients,
// or with deactivated=true the deactivated ones.
func TestExportDeactivated(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		kept := e.create(prefixes[0], map[string]any{"email": "kept@example.com", "display_name": "Kept"})
		gone := e.create(prefixes[0], map[string]any{"email": "gone@example.com", "display_name": "Gone"})
		expect(t, e.json("POST", prefixes[0]+"/deactivate/", map[string]string{"user_uid": gone.UserUID}), 200)
		for query, want := range map[string]string{"": kept.UserUID, "?deactivated=true": gone.UserUID} {
			r := e.get(prefixes[0] + "/export/" + query)
			expect(t, r, 200)
			lines := strings.Split(strings.TrimSpace(string(r.Body)), "\n")
			if len(lines) != 1 || !strings.Contains(lines[0], want) {
				t.Errorf("export%s: %s", query, r.Body)
			}
		}
		badWant(t, e.get(prefixes[0]+"/export/?deactivated=maybe"), 400, "deactivated: must be true or false")
	})
}

// TestNoOrganizationReachesAnotherThroughAnEmail: a client that another
// organization makes with the email of this one's staff gives it no power
// over them: no force logout, no session cap, no lockout.
func TestNoOrganizationReachesAnotherThroughAnEmail(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		admin := e.subAdmin("coach@example.com")
		theirs := e.createAs(e.other.APIKey, prefixes[0], map[string]any{"email": "coach@example.com", "display_name": "Coach",
			"sessions_limit": 1})
		r := e.do(req{Method: "POST", Path: prefixes[0] + "/force-logout/", Key: e.other.APIKey, ContentType: "application/json",
			Body: []byte(`{"user_uid":"` + theirs.UserUID + `"}`)})
		var out struct{ Sessions int64 }
		decodeAsInto(t, r, 200, &out)
		if out.Sessions != 0 {
			t.Errorf("another organization ended %d sessions", out.Sessions)
		}
		second := e.login("coach@example.com")
		e.me(admin.Token) // not capped by the other organization's sessions_limit
		e.me(second.Token)
		r = e.do(req{Method: "POST", Path: prefixes[0] + "/deactivate/", Key: e.other.APIKey, ContentType: "application/json",
			Body: []byte(`{"user_uid":"` + theirs.UserUID + `"}`)})
		expect(t, r, 200)
		expect(t, e.as(admin.Token, "GET", "/client-management/clients/", nil), 200)
		e.login("coach@example.com")
	})
}

// TestForceLogoutEndsProviderTokens: the identity provider's tokens have no
// session in Roster; a force logout refuses those issued before it.
func TestForceLogoutEndsProviderTokens(t *testing.T) {
	p := newProvider(t)
	each(t, func(t *testing.T, e *env) {
		c := e.create(prefixes[0], map[string]any{"email": "fb@example.com", "display_name": "Fb"})
		before := p.token(e, "fb@example.com", nil)
		e.me(before)
		e.link(e.org.APIKey, c.UserUID, before)
		expect(t, e.json("POST", prefixes[0]+"/force-logout/", map[string]string{"user_uid": c.UserUID}), 200)
		badWant(t, e.as(before, "GET", "/auth/me", nil), 401, "this sign-in has ended")
		after := p.token(e, "fb@example.com", func(c map[string]any) { c["iat"] = e.clock.Now().Add(2 * time.Second).Unix() })
		e.me(after)
	}, func(c *api.Config) { c.OIDC = auth.NewOIDC(context.Background(), p.cfg) })
}
