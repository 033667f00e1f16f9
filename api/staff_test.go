package api_test

import (
	"context"
	"encoding/json"
	"net/url"
	"strings"
	"testing"
	"time"

	"roster"
)

type invitation struct {
	InviteToken      string `json:"invite_token"`
	AdminUID         string `json:"admin_uid"`
	AdminEmail       string `json:"admin_email"`
	AdminDisplayName string `json:"admin_display_name"`
	InviteeEmail     string `json:"invitee_email"`
	Status           string `json:"status"`
	CreatedAt        string `json:"created_at"`
	ExpiresAt        string `json:"expires_at"`
	PlatformLink     string `json:"platform_link"`
	OrganizationUID  string `json:"organization_uid"`
	CompanyName      string `json:"company_name"`
}

type staffList struct {
	QueryCount int64 `json:"query_count"`
	Users      []struct {
		UID, Email, DisplayName, Role, Status string
	} `json:"users"`
}

// invite has the organization's owner invite email, by API key.
func (e *env) invite(key, email string) invitation {
	e.t.Helper()
	r := e.do(req{Method: "POST", Path: "/admin-management/invitation/", Key: key, ContentType: "application/json",
		Body: []byte(`{"user_email":"` + email + `","platform_link":"https://app.example.com/join?team=1"}`)})
	return decodeAs[invitation](e.t, r, 201)
}

func (e *env) invitations(token string) []invitation {
	e.t.Helper()
	r := e.as(token, "GET", "/admin-management/invitation/", nil)
	if r.Status == 404 {
		return nil
	}
	expect(e.t, r, 200)
	var out struct{ Invitations []invitation }
	r.decode(e.t, &out)
	return out.Invitations
}

func (e *env) staff(key, path string) staffList {
	e.t.Helper()
	return decodeAs[staffList](e.t, e.do(req{Method: "GET", Path: path, Key: key}), 200)
}

// subAdmin signs up email and has it accept an invitation of the
// organization; it returns the new Admin's tokens.
func (e *env) subAdmin(email string) tokens {
	e.t.Helper()
	return e.subAdminOf(e.org.APIKey, email)
}

// subAdminOf makes email an Admin of the organization of key, as subAdmin.
func (e *env) subAdminOf(key, email string) tokens {
	e.t.Helper()
	inv := e.invite(key, email)
	tk := e.signup(email)
	r := e.as(tk.Token, "POST", "/admin-management/invitation/respond/",
		map[string]string{"invite_token": inv.InviteToken, "user_response": "accept"})
	expect(e.t, r, 200)
	return tk
}

func TestInvitationRoundTrip(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		inv := e.invite(e.org.APIKey, "Zoe@Example.com")
		if inv.InviteToken == "" || inv.AdminUID != e.org.OwnerUID || inv.InviteeEmail != "Zoe@Example.com" ||
			inv.Status != "pending" || inv.PlatformLink != "https://app.example.com/join?team=1" {
			t.Fatalf("created %+v", inv)
		}
		created, _ := time.Parse(time.RFC3339, inv.CreatedAt)
		expires, _ := time.Parse(time.RFC3339, inv.ExpiresAt)
		if got := expires.Sub(created); got != roster.DefaultInvitationTTL {
			t.Errorf("expires %v after creation, want %v", got, roster.DefaultInvitationTTL)
		}

		// The email was queued with the invitation, with the link.
		m, ok, err := e.st.ClaimMail(ctx, e.clock.Now(), time.Minute)
		if err != nil || !ok {
			t.Fatalf("no mail queued: %v", err)
		}
		link := "https://app.example.com/join?invite_token=" + inv.InviteToken + "&team=1"
		if m.To != "Zoe@Example.com" || !strings.Contains(m.Body, link) {
			t.Errorf("mail to %s: %s\nwant the link %s", m.To, m.Body, link)
		}

		// The invitee signs up and sees the invitation; the other
		// organization's owner does not.
		zoe := e.signup("zoe@example.com")
		mine := e.invitations(zoe.Token)
		if len(mine) != 1 || mine[0].InviteToken != inv.InviteToken || mine[0].OrganizationUID != e.org.UID ||
			mine[0].AdminEmail != e.org.OwnerEmail || mine[0].CompanyName == "" {
			t.Fatalf("the invitee's invitations: %+v", mine)
		}
		owners := e.do(req{Method: "GET", Path: "/admin-management/invitation/", Key: e.org.APIKey})
		expect(t, owners, 200)
		theirs := e.do(req{Method: "GET", Path: "/admin-management/invitation/", Key: e.other.APIKey})
		badWant(t, theirs, 404, "no invitations found")

		// Before accepting, the invitee has no organization.
		expect(t, e.as(zoe.Token, "GET", "/client-management/clients/", nil), 403)
		r := e.as(zoe.Token, "POST", "/admin-management/invitation/respond/",
			map[string]string{"invite_token": inv.InviteToken, "user_response": "accept"})
		expect(t, r, 200)
		if m := e.me(zoe.Token); m.Organization == nil || m.Organization.UID != e.org.UID || m.Organization.Role != "Admin" {
			t.Fatalf("after accepting: %+v", m)
		}

		// Zoe works with the organization's clients by bearer token.
		r = e.as(zoe.Token, "POST", "/client-management/clients/", map[string]string{"email": "athlete@example.com", "display_name": "Athlete"})
		expect(t, r, 201)
		var out struct{ UserData client }
		r.decode(t, &out)
		if out.UserData.AdminUID != zoe.UID {
			t.Errorf("created by %s, want zoe %s", out.UserData.AdminUID, zoe.UID)
		}
		c, err := e.st.Client(ctx, e.org.ID, out.UserData.UserUID)
		if err != nil || c.CreatedBy != zoe.UID {
			t.Errorf("stored %+v, %v", c, err)
		}
		subs := e.staff(e.org.APIKey, "/admin-management/sub-admins/")
		if subs.QueryCount != 2 || len(subs.Users) != 2 || !hasStaff(subs, zoe.UID, "Admin") || !hasStaff(subs, e.org.OwnerUID, "Owner") {
			t.Errorf("sub-admins: %+v", subs)
		}
		// An answered invitation cannot be answered again, nor listed.
		r = e.as(zoe.Token, "POST", "/admin-management/invitation/respond/",
			map[string]string{"invite_token": inv.InviteToken, "user_response": "decline"})
		badWant(t, r, 404, "already responded")
		if mine := e.invitations(zoe.Token); len(mine) != 0 {
			t.Errorf("answered invitation still listed: %+v", mine)
		}

		// Zoe's API key works until the owner removes her; then neither it
		// nor her token opens the organization.
		key := e.newAPIKey(zoe.Token, "zoe's integration")
		expect(t, e.do(req{Method: "GET", Path: "/client-management/clients/", Key: key}), 200)
		r = e.json("DELETE", "/admin-management/sub-admins/", map[string]string{"user_uid": zoe.UID})
		expect(t, r, 200)
		expect(t, e.as(zoe.Token, "GET", "/client-management/clients/", nil), 403)
		expect(t, e.do(req{Method: "GET", Path: "/client-management/clients/", Key: key}), 401)
		if m := e.me(zoe.Token); m.Organization != nil {
			t.Errorf("removed admin still has %+v", m.Organization)
		}
		if subs := e.staff(e.org.APIKey, "/admin-management/sub-admins/"); subs.QueryCount != 1 {
			t.Errorf("after removal: %+v", subs)
		}

		// Zoe joins another organization: her old key opens neither.
		other := e.invite(e.other.APIKey, "zoe@example.com")
		expect(t, e.as(zoe.Token, "POST", "/admin-management/invitation/respond/",
			map[string]string{"invite_token": other.InviteToken, "user_response": "accept"}), 200)
		expect(t, e.as(zoe.Token, "GET", "/user-management/organization-status/", nil), 200)
		expect(t, e.do(req{Method: "GET", Path: "/user-management/organization-status/", Key: key}), 401)
	})
}

func hasStaff(l staffList, uid, role string) bool {
	for _, u := range l.Users {
		if u.UID == uid && u.Role == role && u.Status == "Active" {
			return true
		}
	}
	return false
}

func TestInvitationDecline(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		inv := e.invite(e.org.APIKey, "yan@example.com")
		yan := e.signup("yan@example.com")
		r := e.as(yan.Token, "POST", "/admin-management/invitation/respond/",
			map[string]string{"invite_token": inv.InviteToken, "user_response": "decline"})
		expect(t, r, 200)
		if m := e.me(yan.Token); m.Organization != nil {
			t.Errorf("declined, yet staff of %+v", m.Organization)
		}
		r = e.as(yan.Token, "POST", "/admin-management/invitation/respond/",
			map[string]string{"invite_token": inv.InviteToken, "user_response": "accept"})
		badWant(t, r, 404, "already responded")
		badWant(t, e.do(req{Method: "GET", Path: "/admin-management/invitation/", Key: e.org.APIKey}), 404, "no invitations")
		// A declined invitation does not stop a new one.
		e.invite(e.org.APIKey, "yan@example.com")
	})
}

func TestInvitationExpiry(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		inv := e.invite(e.org.APIKey, "xia@example.com")
		e.signup("xia@example.com")
		e.clock.Advance(roster.DefaultInvitationTTL - time.Microsecond)
		xia := e.login("xia@example.com")
		if got := e.invitations(xia.Token); len(got) != 1 {
			t.Fatalf("an invitation at its last moment: %+v", got)
		}
		e.clock.Advance(time.Microsecond)
		if got := e.invitations(xia.Token); len(got) != 0 {
			t.Errorf("expired invitation listed: %+v", got)
		}
		r := e.as(xia.Token, "POST", "/admin-management/invitation/respond/",
			map[string]string{"invite_token": inv.InviteToken, "user_response": "accept"})
		badWant(t, r, 404, "expired")
		if m := e.me(xia.Token); m.Organization != nil {
			t.Errorf("expired invitation accepted: %+v", m.Organization)
		}
		// The expired invitation no longer holds the place of a new one.
		e.invite(e.org.APIKey, "xia@example.com")
	})
}

// newAPIKey creates an API key with a bearer token and returns the key.
func (e *env) newAPIKey(token, name string) string {
	e.t.Helper()
	r := e.as(token, "POST", "/auth/api-keys", map[string]string{"name": name})
	expect(e.t, r, 201)
	var k struct {
		APIKey string `json:"api_key"`
	}
	r.decode(e.t, &k)
	return k.APIKey
}

// TestRoleTable sends every staff request as each kind of caller and
// checks the role table: 403 for what a role may not do, and no change.
func TestRoleTable(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		owner := e.ownerToken(e.org.OwnerEmail)
		admin := e.subAdmin("admin@example.com")
		adminKey := e.newAPIKey(admin.Token, "admin key")
		outsider := e.signup("outsider@example.com")
		athlete := e.create(prefixes[0], map[string]any{"email": "athlete@example.com", "display_name": "Athlete"})
		pending := e.invite(e.org.APIKey, "pending@example.com")

		creds := map[string]map[string]string{
			"owner":     bearer(owner),
			"owner key": {"API-KEY": e.org.APIKey},
			"admin":     bearer(admin.Token),
			"admin key": {"API-KEY": adminKey},
			"outsider":  bearer(outsider.Token),
		}
		type row struct {
			method, path, body string
			want               map[string]int // by caller; 403 where forbidden
		}
		all := func(status int) map[string]int {
			return map[string]int{"owner": status, "owner key": status, "admin": status, "admin key": status, "outsider": 403}
		}
		ownerOnly := func(ok, outsider int) map[string]int {
			return map[string]int{"owner": ok, "owner key": ok, "admin": 403, "admin key": 403, "outsider": outsider}
		}
		rows := []row{
			{"GET", "/client-management/clients/", "", all(200)},
			{"GET", "/user-management/users/" + athlete.UserUID, "", all(200)},
			{"GET", "/admin-management/admins-list/", "", all(200)},
			{"GET", "/admin-management/sub-admins/", "", all(200)},
			{"GET", "/auth/api-keys", "", map[string]int{"owner": 200, "owner key": 403, "admin": 200, "admin key": 403, "outsider": 403}},
			{"GET", "/user-management/organization-status/", "", all(200)},
			{"GET", "/client-management/clients/" + athlete.UserUID + "/sessions", "", all(200)},
			// Invalid bodies: a caller allowed in gets the 400, so nothing changes.
			{"POST", "/admin-management/invitation/", `{"user_email":"not an email"}`, ownerOnly(400, 403)},
			{"DELETE", "/admin-management/invitation/", `{"invite_token":"unknown"}`, ownerOnly(404, 403)},
			{"POST", "/admin-management/sub-admins/", `{"user_uid":"00000000000000000000"}`, ownerOnly(404, 403)},
			{"DELETE", "/admin-management/sub-admins/", `{"user_uid":"00000000000000000000"}`, ownerOnly(404, 403)},
			{"POST", "/client-management/clients/save-notes/" + athlete.UserUID, `{"note":"n"}`, all(200)},
			{"GET", "/admin-management/invitation/", "", map[string]int{"owner": 200, "owner key": 200, "admin": 404, "admin key": 404, "outsider": 404}},
			{"GET", "/auth/me", "", map[string]int{"owner": 200, "owner key": 200, "admin": 200, "admin key": 200, "outsider": 200}},
		}
		for _, row := range rows {
			for who, header := range creds {
				want := row.want[who]
				r := req{Method: row.method, Path: row.path, Header: header}
				if row.body != "" {
					r.ContentType, r.Body = "application/json", []byte(row.body)
				}
				got := e.do(r)
				if got.Status != want {
					t.Errorf("%s %s as %s: %d %s, want %d", row.method, row.path, who, got.Status, got.Body, want)
					continue
				}
				if want == 403 && who != "outsider" && strings.HasPrefix(row.path, "/admin-management/") &&
					!strings.Contains(got.errorText(t), "super admin privileges") {
					t.Errorf("%s %s as %s: 403 without the seed's meaning: %s", row.method, row.path, who, got.Body)
				}
			}
		}
		// The pending invitation survived every refused DELETE.
		if got := e.invitations(owner); len(got) != 1 || got[0].InviteToken != pending.InviteToken {
			t.Errorf("invitations after the role checks: %+v", got)
		}
		if subs := e.staff(e.org.APIKey, "/admin-management/sub-admins/"); subs.QueryCount != 2 {
			t.Errorf("staff after the role checks: %+v", subs)
		}
	})
}

func TestSubAdmins(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		// Adding a client as a sub-admin invites them: nobody becomes staff
		// without accepting.
		coach := e.create(prefixes[0], map[string]any{"email": "coach@example.com", "display_name": "Coach"})
		tk := e.signup("Coach@example.com")
		r := e.json("POST", "/admin-management/sub-admins/", map[string]string{"user_uid": coach.UserUID})
		expect(t, r, 201)
		if m := e.me(tk.Token); m.Organization != nil {
			t.Fatalf("staff before accepting: %+v", m)
		}
		mine := e.invitations(tk.Token)
		if len(mine) != 1 || mine[0].OrganizationUID != e.org.UID || mine[0].InviteeEmail != "coach@example.com" {
			t.Fatalf("invitations: %+v", mine)
		}
		badWant(t, e.json("POST", "/admin-management/sub-admins/", map[string]string{"user_uid": coach.UserUID}), 400, "already pending")
		expect(t, e.as(tk.Token, "POST", "/admin-management/invitation/respond/",
			map[string]string{"invite_token": mine[0].InviteToken, "user_response": "accept"}), 200)
		if m := e.me(tk.Token); m.Organization == nil || m.Organization.Role != "Admin" {
			t.Fatalf("not an admin: %+v", m)
		}
		badWant(t, e.json("POST", "/admin-management/sub-admins/", map[string]string{"user_uid": coach.UserUID}), 404, "already a sub-admin")

		// Another organization's client is not found. That organization
		// may invite the same person, learning nothing of this one: the
		// invitation is made, and accepting it fails.
		theirs := e.createAs(e.other.APIKey, prefixes[0], map[string]any{"email": "coach@example.com", "display_name": "Coach"})
		badWant(t, e.json("POST", "/admin-management/sub-admins/", map[string]string{"user_uid": theirs.UserUID}), 404, "user not found")
		r = e.do(req{Method: "POST", Path: "/admin-management/sub-admins/", Key: e.other.APIKey, ContentType: "application/json",
			Body: []byte(`{"user_uid":"` + theirs.UserUID + `"}`)})
		expect(t, r, 201)
		other := e.invitations(tk.Token)
		if len(other) != 1 {
			t.Fatalf("invitations: %+v", other)
		}
		badWant(t, e.as(tk.Token, "POST", "/admin-management/invitation/respond/",
			map[string]string{"invite_token": other[0].InviteToken, "user_response": "accept"}), 400, "already staff")

		// Removal: another organization's member is not found; the last
		// Owner stays.
		r = e.do(req{Method: "DELETE", Path: "/admin-management/sub-admins/", Key: e.other.APIKey, ContentType: "application/json",
			Body: []byte(`{"user_uid":"` + tk.UID + `"}`)})
		badWant(t, r, 404, "sub-admin not found")
		badWant(t, e.json("DELETE", "/admin-management/sub-admins/", map[string]string{"user_uid": e.org.OwnerUID}), 400, "last Owner")
		list := e.staff(e.org.APIKey, "/admin-management/admins-list/")
		if list.QueryCount != 2 || len(list.Users) != 2 || list.Users[0].Role != "" {
			t.Errorf("admins-list: %+v", list)
		}
		// Keyset paging by uid.
		first := e.staff(e.org.APIKey, "/admin-management/sub-admins/?limit=1")
		next := e.staff(e.org.APIKey, "/admin-management/sub-admins/?limit=1&start_after_id="+first.Users[0].UID)
		if len(first.Users) != 1 || len(next.Users) != 1 || first.QueryCount != 2 || next.Users[0].UID <= first.Users[0].UID {
			t.Errorf("pages %+v then %+v", first, next)
		}
		badWant(t, e.get("/admin-management/sub-admins/?start_after_id="+next.Users[0].UID), 404, "no admins found")
	})
}

func TestAPIKeys(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		owner := e.ownerToken(e.org.OwnerEmail)
		key := e.newAPIKey(owner, "nightly sync")
		expect(t, e.do(req{Method: "GET", Path: "/client-management/clients/", Key: key}), 200)
		r := e.as(owner, "GET", "/auth/api-keys", nil)
		expect(t, r, 200)
		var list struct {
			APIKeys []struct {
				KeyID      string  `json:"key_id"`
				Name       string  `json:"name"`
				CreatedAt  string  `json:"created_at"`
				LastUsedAt *string `json:"last_used_at"`
			} `json:"api_keys"`
		}
		r.decode(t, &list)
		// bootstrap's key and the new one, newest first; the new one was used.
		if len(list.APIKeys) != 2 || list.APIKeys[0].Name != "nightly sync" || list.APIKeys[0].LastUsedAt == nil ||
			!strings.HasPrefix(key, "rst_"+list.APIKeys[0].KeyID) || strings.Contains(string(r.Body), key) {
			t.Fatalf("keys: %s", r.Body)
		}
		keyID := list.APIKeys[0].KeyID

		// Someone else's key is not found, and stays valid.
		other := e.signup("other@example.com")
		_ = other
		otherOwner := e.ownerToken(e.other.OwnerEmail)
		badWant(t, e.as(otherOwner, "DELETE", "/auth/api-keys/"+keyID, nil), 404, "API key not found")
		expect(t, e.do(req{Method: "GET", Path: "/client-management/clients/", Key: key}), 200)

		expect(t, e.as(owner, "DELETE", "/auth/api-keys/"+keyID, nil), 200)
		expect(t, e.do(req{Method: "GET", Path: "/client-management/clients/", Key: key}), 401)
		badWant(t, e.as(owner, "DELETE", "/auth/api-keys/"+keyID, nil), 404, "API key not found")

		for body, want := range map[string]string{
			`{}`:                   "name: required",
			`{"name":5}`:           "name: must be a string",
			`{"name":"x","ttl":1}`: "ttl: unknown field",
			`{"name":"` + strings.Repeat("k", 101) + `"}`: "at most 100 characters",
		} {
			r := e.do(req{Method: "POST", Path: "/auth/api-keys", Header: bearer(owner), ContentType: "application/json", Body: []byte(body)})
			badWant(t, r, 400, want)
		}
		r = e.as(owner, "GET", "/auth/api-keys", nil)
		r.decode(t, &list)
		if len(list.APIKeys) != 1 {
			t.Errorf("after revoking and bad creates: %s", r.Body)
		}
	})
}

// TestBadInvitations sends malformed invitation requests as the owner:
// each fails with its message and changes nothing.
func TestBadInvitations(t *testing.T) {
	create := []badCase{
		{name: "no user_email", body: `{}`, status: 400, want: "user_email: required"},
		{name: "user_email a number", body: `{"user_email":5}`, status: 400, want: "user_email: must be a string"},
		{name: "bad user_email", body: `{"user_email":"nope"}`, status: 400, want: "user_email: must be a valid email address"},
		{name: "bad platform_link", body: `{"user_email":"n@example.com","platform_link":"javascript:alert(1)"}`, status: 400, want: "platform_link: must be an absolute http"},
		{name: "platform_link an object", body: `{"user_email":"n@example.com","platform_link":{}}`, status: 400, want: "platform_link: must be a string"},
		{name: "already staff", body: `{"user_email":"{OWNER}"}`, status: 400, want: "already staff of this organization"},
		{name: "already invited", body: `{"user_email":"PENDING@example.com"}`, status: 400, want: "already pending"},
		{name: "unknown field", body: `{"user_email":"n@example.com","role":"Owner"}`, status: 400, want: "role: unknown field"},
		{name: "body over 1 MiB", body: `{"user_email":"n@example.com","pad":"` + badHuge + `"}`, status: 400, want: "request body is larger than"},
	}
	create = append(create, seedBodyCases(`{"user_email":"n@example.com"}`)...)
	remove := []badCase{
		{name: "no invite_token", body: `{}`, status: 400, want: "invite_token: required"},
		{name: "unknown token", body: `{"invite_token":"unknown"}`, status: 404, want: "invitation not found"},
		{name: "other organization's invitation", body: `{"invite_token":"{THEIRS}"}`, status: 404, want: "invitation not found"},
	}
	respond := []badCase{
		{name: "no user_response", body: `{"invite_token":"{PENDING}"}`, status: 400, want: "user_response: required"},
		{name: "user_response maybe", body: `{"invite_token":"{PENDING}","user_response":"maybe"}`, status: 400, want: "must be accept or decline"},
		{name: "unknown token", body: `{"invite_token":"unknown","user_response":"accept"}`, status: 404, want: "not found"},
		{name: "addressed to someone else", body: `{"invite_token":"{THEIRS}","user_response":"accept"}`, status: 403, want: "addressed to another email"},
		{name: "body over 1 MiB", body: `{"invite_token":"` + badHuge + `"}`, status: 400, want: "request body is larger than"},
	}
	respond = append(respond, seedBodyCases(`{"invite_token":"{PENDING}","user_response":"accept"}`)...)
	each(t, func(t *testing.T, e *env) {
		pending := e.invite(e.org.APIKey, "pending@example.com")
		theirs := e.invite(e.other.APIKey, "theirs@example.com")
		invitee := e.signup("pending@example.com")
		vars := strings.NewReplacer("{OWNER}", e.org.OwnerEmail, "{PENDING}", pending.InviteToken, "{THEIRS}", theirs.InviteToken)
		state := func(e *env) string {
			b, _ := json.Marshal([]any{e.invitationsByKey(e.org.APIKey), e.invitationsByKey(e.other.APIKey), e.me(invitee.Token)})
			return string(b)
		}
		key := map[string]string{"API-KEY": e.org.APIKey}
		badRunWith(t, e, "POST", "/admin-management/invitation/", key, vars, state, create)
		badRunWith(t, e, "DELETE", "/admin-management/invitation/", key, vars, state, remove)
		badRunWith(t, e, "POST", "/admin-management/invitation/respond/", bearer(invitee.Token), vars, state, respond)
		badRunWith(t, e, "GET", "/admin-management/invitation/", key, vars, state, []badCase{
			{name: "limit 0", query: "limit=0", status: 400, want: "limit: must be an integer from 1 to 100"},
			{name: "limit text", query: "limit=ten", status: 400, want: "limit: must be an integer"},
			{name: "unknown parameter", query: "status=all", status: 400, want: "status: unknown query parameter"},
			{name: "malformed query", query: "limit=%zz", status: 400, want: "query string"},
		})
		// Without credentials every path is a 401.
		for _, p := range []string{"/admin-management/invitation/", "/admin-management/sub-admins/", "/admin-management/admins-list/"} {
			expect(t, e.do(req{Method: "GET", Path: p}), 401)
		}
		// Control: the owner removes their own invitation.
		r := e.json("DELETE", "/admin-management/invitation/", map[string]string{"invite_token": pending.InviteToken})
		expect(t, r, 200)
		badWant(t, e.as(invitee.Token, "POST", "/admin-management/invitation/respond/",
			map[string]string{"invite_token": pending.InviteToken, "user_response": "accept"}), 404, "not found")
	})
}

func (e *env) invitationsByKey(key string) string {
	e.t.Helper()
	r := e.do(req{Method: "GET", Path: "/admin-management/invitation/?" + url.Values{"limit": {"100"}}.Encode(), Key: key})
	return string(r.Body)
}

// seedBodyCases are badBodyCases as the admin-management paths answer
// them: the seed documents no 413 or 415 there, so they are 400s.
func seedBodyCases(base string) []badCase {
	cases := badBodyCases(base)
	for i := range cases {
		if cases[i].status == 413 || cases[i].status == 415 {
			cases[i].status = 400
		}
	}
	return cases
}
