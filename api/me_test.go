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
