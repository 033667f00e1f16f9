package api_test

import (
	"context"
	"strings"
	"testing"
)

// TestSelfService: an athlete signs in, sees and edits their own client
// profile, changes their password and deletes the profile and then the
// account; other people's profiles stay out of reach.
func TestSelfService(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		mine := e.create(prefixes[0], map[string]any{"email": "ath@example.com", "display_name": "Ath", "height": 170})
		theirs := e.createAs(e.other.APIKey, prefixes[0], map[string]any{"email": "ath@example.com", "display_name": "Ath elsewhere"})
		someone := e.create(prefixes[0], map[string]any{"email": "someone@example.com", "display_name": "Someone"})
		tk := e.signup("ath@example.com")
		if m := e.me(tk.Token); len(m.Clients) != 0 {
			t.Fatalf("profiles shown before the person linked them: %+v", m.Clients)
		}
		e.link(e.org.APIKey, mine.UserUID, tk.Token)
		e.link(e.other.APIKey, theirs.UserUID, tk.Token)

		m := e.me(tk.Token)
		if len(m.Clients) != 2 || m.Organization != nil {
			t.Fatalf("own profiles: %+v", m)
		}
		for _, c := range m.Clients {
			if c.Profile.UserUID != mine.UserUID && c.Profile.UserUID != theirs.UserUID {
				t.Errorf("a profile that is not the athlete's: %+v", c)
			}
		}

		// Edit: the profile's own fields, not the organization's.
		r := e.as(tk.Token, "PUT", "/auth/me/clients/"+mine.UserUID, map[string]any{"height": 171.5, "brand": "Asics"})
		expect(t, r, 200)
		got, err := e.st.Client(ctx, e.org.ID, mine.UserUID)
		if err != nil || *got.Height != 171.5 || *got.Brand != "Asics" {
			t.Errorf("stored %+v, %v", got, err)
		}
		for body, want := range map[string]string{
			`{"email":"new@example.com"}`: "email: not a field you may change",
			`{"sessions_limit":5}`:        "sessions_limit: not a field you may change",
			`{"height":"tall"}`:           "height",
			`{}`:                          "nothing to update",
		} {
			r := e.do(req{Method: "PUT", Path: "/auth/me/clients/" + mine.UserUID, Header: bearer(tk.Token),
				ContentType: "application/json", Body: []byte(body)})
			badWant(t, r, 400, want)
		}
		badWant(t, e.as(tk.Token, "PUT", "/auth/me/clients/"+someone.UserUID, map[string]any{"height": 1}), 404, badNotFound)
		badWant(t, e.as(tk.Token, "DELETE", "/auth/me/clients/"+someone.UserUID, nil), 404, badNotFound)
		if c, _ := e.st.Client(ctx, e.org.ID, someone.UserUID); c.Height != nil {
			t.Errorf("someone else's profile changed: %+v", c)
		}
		// An API key is not the athlete.
		badWant(t, e.do(req{Method: "DELETE", Path: "/auth/me/clients/" + mine.UserUID, Key: e.org.APIKey}), 403, "signed-in person")

		// Password: the current one is checked; other sessions end.
		other := e.login("ath@example.com")
		badWant(t, e.as(tk.Token, "POST", "/auth/me/password", map[string]string{"current_password": "wrong one", "new_password": "another long one"}), 403, "wrong password")
		badWant(t, e.as(tk.Token, "POST", "/auth/me/password", map[string]string{"current_password": testPassword, "new_password": "short"}), 400, "new_password: must be at least 8")
		expect(t, e.as(tk.Token, "POST", "/auth/me/password", map[string]string{"current_password": testPassword, "new_password": "another long one"}), 200)
		expect(t, e.as(other.Token, "GET", "/auth/me", nil), 401)
		e.me(tk.Token)
		expect(t, e.post("/auth/login", map[string]string{"email": "ath@example.com", "password": "another long one"}), 200)

		// Display name.
		r = e.as(tk.Token, "PUT", "/auth/me", map[string]string{"display_name": "Athlete Renamed"})
		if m := decodeAs[me](t, r, 200); m.DisplayName != "Athlete Renamed" {
			t.Errorf("renamed: %+v", m)
		}

		// Deleting the profile, then the account.
		expect(t, e.as(tk.Token, "DELETE", "/auth/me/clients/"+mine.UserUID, nil), 200)
		if _, err := e.st.Client(ctx, e.org.ID, mine.UserUID); err == nil {
			t.Error("profile still stored")
		}
		badWant(t, e.as(tk.Token, "DELETE", "/auth/me", map[string]string{"password": "wrong one"}), 403, "wrong password")
		expect(t, e.as(tk.Token, "DELETE", "/auth/me", map[string]string{"password": "another long one"}), 200)
		expect(t, e.as(tk.Token, "GET", "/auth/me", nil), 401)
		expect(t, e.post("/auth/login", map[string]string{"email": "ath@example.com", "password": "another long one"}), 401)
		// The other organization's profile is theirs, and stays.
		if _, err := e.st.Client(ctx, e.other.ID, theirs.UserUID); err != nil {
			t.Errorf("the other organization's client: %v", err)
		}
	})
}

// TestUnverifiedSeesNoProfile: signing up with a client's email shows
// nothing of the client until the email is verified.
func TestUnverifiedSeesNoProfile(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		c := e.create(prefixes[0], map[string]any{"email": "private@example.com", "display_name": "Private"})
		squat := e.signupUnverified("private@example.com")
		if m := e.me(squat.Token); len(m.Clients) != 0 {
			t.Errorf("unverified account sees %+v", m.Clients)
		}
		badWant(t, e.as(squat.Token, "PUT", "/auth/me/clients/"+c.UserUID, map[string]any{"height": 1}), 404, badNotFound)
	})
}

// TestLastOwnerCannotDeleteAccount is the last-admin rule.
func TestLastOwnerCannotDeleteAccount(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		owner := e.ownerToken(e.org.OwnerEmail)
		r := e.as(owner, "DELETE", "/auth/me", map[string]string{"password": testPassword})
		badWant(t, r, 400, "last Owner")
		// bootstrap's owner: the operator vouched for the email.
		if m := e.me(owner); m.Organization == nil || m.Organization.Role != "Owner" || !m.EmailVerified {
			t.Errorf("owner after refusal: %+v", m)
		}
		// A sub-admin may go; the organization's clients they made stay.
		admin := e.subAdmin("leaving@example.com")
		c := e.as(admin.Token, "POST", "/client-management/clients/", map[string]string{"email": "made@example.com", "display_name": "Made"})
		expect(t, c, 201)
		expect(t, e.as(admin.Token, "DELETE", "/auth/me", map[string]string{"password": testPassword}), 200)
		if list := e.get("/client-management/clients/"); !strings.Contains(string(list.Body), "made@example.com") {
			t.Errorf("client made by the deleted admin is gone: %s", list.Body)
		}
		if subs := e.staff(e.org.APIKey, "/admin-management/sub-admins/"); subs.QueryCount != 1 {
			t.Errorf("staff: %+v", subs)
		}
	})
}

// TestBadSelfService sends malformed self-service requests: each fails with
// its message and changes nothing.
func TestBadSelfService(t *testing.T) {
	rename := []badCase{
		{name: "no display_name", body: `{}`, status: 400, want: "display_name: required"},
		{name: "display_name a number", body: `{"display_name":5}`, status: 400, want: "display_name: must be a string"},
		{name: "unknown field", body: `{"display_name":"X","email":"x@example.com"}`, status: 400, want: "email: unknown field"},
		{name: "body over 1 MiB", body: `{"display_name":"` + badHuge + `"}`, status: 413, want: "request body is larger than"},
	}
	rename = append(rename, badBodyCases(`{"display_name":"X"}`)...)
	password := []badCase{
		{name: "no new_password", body: `{"current_password":"` + testPassword + `"}`, status: 400, want: "new_password: required"},
		{name: "wrong current", body: `{"current_password":"nope","new_password":"a long new one"}`, status: 403, want: "wrong password"},
		{name: "unknown field", body: `{"current_password":"x","new_password":"y","hint":"z"}`, status: 400, want: "hint: unknown field"},
	}
	password = append(password, badBodyCases(`{"current_password":"`+testPassword+`","new_password":"a long new one"}`)...)
	remove := []badCase{
		{name: "no password", body: `{}`, status: 400, want: "password: required"},
		{name: "password a number", body: `{"password":5}`, status: 400, want: "password: must be a string"},
		{name: "unknown field", body: `{"password":"x","force":true}`, status: 400, want: "force: unknown field"},
	}
	verify := []badCase{
		{name: "no token", body: `{}`, status: 400, want: "token: required"},
		{name: "unknown token", body: `{"token":"rvt_unknown","password":"x"}`, status: 400, want: "token: invalid, used or expired code"},
		{name: "token a number", body: `{"token":5}`, status: 400, want: "token: must be a string"},
		{name: "no password", body: `{"token":"rvt_x"}`, status: 400, want: "password: required"},
	}
	verify = append(verify, badBodyCases(`{"token":"rvt_x","password":"x"}`)...)
	ownProfile := []badCase{
		{name: "someone else's profile", path: "{OTHER}", body: `{"height":170}`, status: 404, want: badNotFound},
		{name: "another organization's client with another email", path: "{THEIRS}", body: `{"height":170}`, status: 404, want: badNotFound},
		{name: "uid with invalid characters", path: "a.b", body: `{"height":170}`, status: 404, want: badNotFound},
	}
	each(t, func(t *testing.T, e *env) {
		other := e.create(prefixes[0], map[string]any{"email": "other@example.com", "display_name": "Other"})
		theirs := e.createAs(e.other.APIKey, prefixes[0], map[string]any{"email": "theirs@example.com", "display_name": "Theirs"})
		e.create(prefixes[0], map[string]any{"email": "self@example.com", "display_name": "Self"})
		tk := e.signup("self@example.com")
		vars := strings.NewReplacer("{OTHER}", other.UserUID, "{THEIRS}", theirs.UserUID)
		state := func(e *env) string {
			_, hash, _, _ := e.st.PasswordHash(context.Background(), "self@example.com")
			return string(e.as(tk.Token, "GET", "/auth/me", nil).Body) + hash + badSnap(e, e.org.APIKey, prefixes[0]+"/") +
				badSnap(e, e.other.APIKey, prefixes[0]+"/")
		}
		auth := bearer(tk.Token)
		badRunWith(t, e, "PUT", "/auth/me", auth, vars, state, rename)
		badRunWith(t, e, "POST", "/auth/me/password", auth, vars, state, password)
		badRunWith(t, e, "DELETE", "/auth/me", auth, vars, state, remove)
		badRunWith(t, e, "POST", "/auth/verify-email", nil, vars, state, verify)
		for _, c := range ownProfile {
			t.Run(c.name, func(t *testing.T) {
				e := badBind(e, t)
				before := state(e)
				r := e.do(req{Method: "PUT", Path: "/auth/me/clients/" + vars.Replace(c.path), Header: auth,
					ContentType: "application/json", Body: []byte(c.body)})
				badWant(t, r, c.status, c.want)
				badWant(t, e.do(req{Method: "DELETE", Path: "/auth/me/clients/" + vars.Replace(c.path), Header: auth}), c.status, c.want)
				if after := state(e); after != before {
					t.Errorf("a refused change changed the data: %s", badChange(before, after))
				}
			})
		}
		// Without credentials every self-service path is a 401.
		for _, r := range []req{{Method: "PUT", Path: "/auth/me"}, {Method: "DELETE", Path: "/auth/me"},
			{Method: "POST", Path: "/auth/me/password"}, {Method: "PUT", Path: "/auth/me/clients/" + other.UserUID},
			{Method: "POST", Path: "/auth/verify-email/resend"}} {
			expect(t, e.do(r), 401)
		}
	})
}
