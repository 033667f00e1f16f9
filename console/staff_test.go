package console_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"html"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"roster"
	"roster/api"
	"roster/auth"
	"roster/store/storetest"
)

// eachPublic runs fn on every engine with a server that has a public URL,
// which links in mail point to: a second listener serving the same
// handler as e.srv, at the address the public URL names. It returns the
// public URL through fn's env (e.public).
func eachPublic(t *testing.T, fn func(t *testing.T, e *env, public string)) {
	var ln net.Listener
	public := func(c *api.Config) {
		var err error
		if ln, err = net.Listen("tcp", "127.0.0.1:0"); err != nil {
			t.Fatal(err)
		}
		c.PublicURL = "http://" + ln.Addr().String()
		if c.LinkOrigins, err = roster.NewLinkOrigins(c.PublicURL); err != nil {
			t.Fatal(err)
		}
	}
	each(t, func(t *testing.T, e *env) {
		srv := &http.Server{Handler: e.srv.Config.Handler}
		go srv.Serve(ln)
		t.Cleanup(func() { srv.Close() })
		fn(t, e, "http://"+ln.Addr().String())
	}, public)
}

// apiPost sends a JSON body to the API with the organization's API key,
// which acts as its owner, and returns the status and the error message.
func (e *env) apiPost(t *testing.T, method, path string, body map[string]string) (int, string) {
	t.Helper()
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest(method, e.srv.URL+path, bytes.NewReader(b))
	req.Header.Set("API-KEY", e.org.APIKey)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var msg struct{ Error string }
	json.NewDecoder(resp.Body).Decode(&msg)
	return resp.StatusCode, msg.Error
}

// invitations are org's invitations as the store records them, newest
// first.
func (e *env) invitations(t *testing.T, org storetest.Org) []roster.Invitation {
	t.Helper()
	list, err := e.st.SentInvitations(t.Context(), org.ID, 100)
	if err != nil {
		t.Fatal(err)
	}
	return list
}

// invite stores a pending invitation of org's owner to email.
func (e *env) invite(t *testing.T, org storetest.Org, email string) roster.Invitation {
	t.Helper()
	inv, err := e.st.CreateInvitation(t.Context(), org.ID, org.OwnerUID, email, "", roster.DefaultInvitationTTL, roster.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	return inv
}

// member is org's staff member uid as the store has it, or its error.
func (e *env) member(t *testing.T, org storetest.Org, uid string) (roster.StaffMember, error) {
	t.Helper()
	return e.st.StaffMember(t.Context(), org.ID, uid)
}

// mailsTo is the unsent mail to email, oldest first.
func (e *env) mailsTo(t *testing.T, email string) []roster.OutboxMessage {
	t.Helper()
	all, err := e.st.UnsentMail(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	var out []roster.OutboxMessage
	for _, m := range all {
		if m.To == email {
			out = append(out, m)
		}
	}
	return out
}

// wantError checks that a is the console's error page with status and the
// message msg (as the page escapes it).
func wantError(t *testing.T, what string, a answer, status int, msg string) {
	t.Helper()
	if a.status != status || !strings.Contains(a.body, `id="error-message">`+html.EscapeString(msg)+`<`) {
		t.Errorf("%s: %d %s; want %d and %q", what, a.status, a.body, status, msg)
	}
}

// TestStaffPage: the owner sees every member with role and status, and
// every invitation with its state, with the changes each is offered; the
// last Owner is offered none of those that would leave no Owner, and the
// page says why. An Admin sees the same tables and none of the changes.
func TestStaffPage(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		admin := e.addAdmin(t, e.org, "admin@example.com")
		e.invite(t, e.org, "pending@example.com")
		expired := e.invite(t, e.org, "late@example.com")
		declined := e.invite(t, e.org, "no@example.com")
		noUID := e.addAccount(t, "no@example.com")
		if err := e.st.RespondInvitation(t.Context(), noUID, declined.Token, false); err != nil {
			t.Fatal(err)
		}
		e.clock.Advance(roster.DefaultInvitationTTL - time.Hour)
		fresh := e.invite(t, e.org, "fresh@example.com")
		e.clock.Advance(2 * time.Hour) // past the first invitations' expiry, not the fresh one's
		e.invite(t, e.other, "theirs@example.com")
		if err := e.st.SetStaffActive(t.Context(), e.org.ID, admin.OwnerUID, false); err != nil {
			t.Fatal(err)
		}

		b := e.browser()
		b.signIn(e.org)
		page := b.get("/console/staff")
		if page.status != http.StatusOK {
			t.Fatalf("staff page: %d %s", page.status, page.body)
		}
		for _, want := range []string{
			`<a href="/console/staff" aria-current="page">Staff</a>`,
			`<label for="invite-email">Email</label>`, `<button type="submit">Invite</button>`,
			`<td data-label="Email">` + e.org.OwnerEmail + `</td>`, `<td data-label="Role" class="word">Owner</td>`,
			`The only Owner`,
			`<td data-label="Email">admin@example.com</td>`, `<td data-label="Role" class="word">Admin</td>`, `<td data-label="Status" class="word">Deactivated</td>`,
			`action="/console/staff/members/` + admin.OwnerUID + `/role"`, `<input type="hidden" name="role" value="Owner">`,
			`action="/console/staff/members/` + admin.OwnerUID + `/reactivate"`,
			`href="/console/staff/members/` + admin.OwnerUID + `/remove"`,
			`<td data-label="Email">pending@example.com</td>`,
			`<td data-label="Email">late@example.com</td>`, `<td data-label="State" class="word">expired</td>`,
			`<td data-label="State" class="word">declined</td>`, `<td data-label="State" class="word">accepted</td>`, `<td data-label="State" class="word">pending</td>`,
			`action="/console/staff/invitations/` + fresh.Token + `/resend"`,
			`href="/console/staff/invitations/` + fresh.Token + `/revoke"`,
		} {
			if !strings.Contains(page.body, want) {
				t.Errorf("the staff page lacks %s", want)
			}
		}
		for _, not := range []string{"/console/staff/members/" + e.org.OwnerUID + "/role",
			"/console/staff/members/" + e.org.OwnerUID + "/deactivate", "/console/staff/members/" + e.org.OwnerUID + "/remove",
			"/console/staff/invitations/" + expired.Token + "/", "/console/staff/invitations/" + declined.Token + "/",
			"theirs@example.com", e.other.OwnerEmail} {
			if strings.Contains(page.body, not) {
				t.Errorf("the staff page offers or shows %s", not)
			}
		}
		if strings.Count(page.body, `<td data-label="State" class="word">pending</td>`) != 1 || strings.Count(page.body, `<td data-label="State" class="word">expired</td>`) != 2 {
			t.Errorf("want one pending invitation (fresh@) and two expired (pending@, late@): %s", page.body)
		}

		// With a second Owner, the first is offered every change.
		if err := e.st.SetStaffActive(t.Context(), e.org.ID, admin.OwnerUID, true); err != nil {
			t.Fatal(err)
		}
		if err := e.st.UpdateStaff(t.Context(), e.org.ID, admin.OwnerUID, roster.StaffUpdate{SetRole: true, Role: roster.RoleOwner}); err != nil {
			t.Fatal(err)
		}
		page = b.get("/console/staff")
		if strings.Contains(page.body, "The only Owner") ||
			!strings.Contains(page.body, `action="/console/staff/members/`+e.org.OwnerUID+`/role"`) ||
			!strings.Contains(page.body, `href="/console/staff/members/`+e.org.OwnerUID+`/deactivate"`) {
			t.Errorf("with two Owners: %s", page.body)
		}
	})
}

// TestStaffAdmin: an Admin sees the staff and the invitations but is
// offered no change, and every change is refused with the API's 403,
// changing nothing.
func TestStaffAdmin(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		admin := e.addAdmin(t, e.org, "admin@example.com")
		inv := e.invite(t, e.org, "pending@example.com")
		b := e.browser()
		csrf := b.signIn(admin)
		page := b.get("/console/staff")
		if page.status != http.StatusOK || !strings.Contains(page.body, "pending@example.com") ||
			!strings.Contains(page.body, e.org.OwnerEmail) || !strings.Contains(page.body, "Only the organization's Owner may invite") {
			t.Fatalf("an Admin's staff page: %d %s", page.status, page.body)
		}
		for _, not := range []string{"Invite</button>", "/console/staff/members/", "/console/staff/invitations/"} {
			if strings.Contains(page.body, not) {
				t.Errorf("an Admin is offered %s", not)
			}
		}
		forbidden := roster.Principal{OrgID: e.org.ID, Role: roster.RoleAdmin}.Forbidden(roster.PermManageStaff).Error()
		for path, form := range map[string]url.Values{
			"/console/staff/invitations":                                 {"email": {"new@example.com"}},
			"/console/staff/invitations/" + inv.Token + "/resend":        nil,
			"/console/staff/invitations/" + inv.Token + "/revoke":        nil,
			"/console/staff/members/" + e.org.OwnerUID + "/role":         {"role": {"Admin"}},
			"/console/staff/members/" + admin.OwnerUID + "/role":         {"role": {"Owner"}},
			"/console/staff/members/" + e.org.OwnerUID + "/deactivate":   nil,
			"/console/staff/members/" + e.org.OwnerUID + "/reactivate":   nil,
			"/console/staff/members/" + e.org.OwnerUID + "/force-logout": nil,
			"/console/staff/members/" + e.org.OwnerUID + "/remove":       nil,
		} {
			if form == nil {
				form = url.Values{}
			}
			form.Set("csrf", csrf)
			wantError(t, "an Admin's POST "+path, b.post(path, form), http.StatusForbidden, forbidden)
		}
		for _, path := range []string{"/console/staff/invitations/" + inv.Token + "/revoke",
			"/console/staff/members/" + e.org.OwnerUID + "/remove"} {
			wantError(t, "an Admin's GET "+path, b.get(path), http.StatusForbidden, forbidden)
		}
		list := e.invitations(t, e.org)
		owner, err := e.member(t, e.org, e.org.OwnerUID)
		self, err2 := e.member(t, e.org, admin.OwnerUID)
		if len(list) != 2 || list[0].Token != inv.Token || list[0].Status != roster.InvitationPending ||
			err != nil || owner.Role != roster.RoleOwner || owner.Deactivated || err2 != nil || self.Role != roster.RoleAdmin {
			t.Fatalf("after an Admin's refused changes: %+v, owner %+v %v, admin %+v %v", list, owner, err, self, err2)
		}
		if n := len(e.mailsTo(t, "pending@example.com")); n != 1 {
			t.Errorf("%d mails to the invitee; want the first only", n)
		}
	})
}

// TestStaffInvite: the owner invites by email, as the API does; refusals
// are shown on the form in the API's words, with the email kept; a form
// without its CSRF token is refused. The mail links to the console's
// invitation page on the public URL.
func TestStaffInvite(t *testing.T) {
	eachPublic(t, func(t *testing.T, e *env, public string) {
		b := e.browser()
		csrf := b.signIn(e.org)
		for _, c := range []struct{ email, msg string }{
			{"", "user_email: required"},
			{"not an address", "user_email: "},
			{e.org.OwnerEmail, "user_email: " + e.org.OwnerEmail + " is already staff of this organization"},
		} {
			a := b.post("/console/staff/invitations", url.Values{"csrf": {csrf}, "email": {c.email}})
			if a.status != http.StatusBadRequest || !strings.Contains(a.body, `id="invite-error">`+html.EscapeString(c.msg)) ||
				!strings.Contains(a.body, `value="`+html.EscapeString(c.email)+`"`) {
				t.Errorf("invite %q: %d %s; want 400 and %q", c.email, a.status, a.body, c.msg)
			}
		}
		a := b.post("/console/staff/invitations", url.Values{"email": {"new@example.com"}})
		wantError(t, "an invitation without CSRF", a, http.StatusForbidden,
			"this form has expired or did not come from this console: reload the page and try again")
		if list := e.invitations(t, e.org); len(list) != 0 {
			t.Fatalf("refused invitations stored %+v", list)
		}

		a = b.post("/console/staff/invitations", url.Values{"csrf": {csrf}, "email": {"new@example.com"}})
		if a.status != http.StatusSeeOther || a.header.Get("Location") != "/console/staff?done=invited" {
			t.Fatalf("invite: %d %s", a.status, a.body)
		}
		list := e.invitations(t, e.org)
		if len(list) != 1 || list[0].InviteeEmail != "new@example.com" || list[0].Status != roster.InvitationPending ||
			list[0].InviterUID != e.org.OwnerUID || list[0].PlatformLink != public+"/console/invitation" {
			t.Fatalf("stored %+v", list)
		}
		mails := e.mailsTo(t, "new@example.com")
		link := public + "/console/invitation?invite_token=" + list[0].Token
		if len(mails) != 1 || !strings.Contains(mails[0].Body, link) {
			t.Fatalf("mail %+v; want the link %s", mails, link)
		}
		if page := b.get("/console/staff?done=invited"); !strings.Contains(page.body, "Invitation sent.") {
			t.Errorf("after inviting: %s", page.body)
		}
		a = b.post("/console/staff/invitations", url.Values{"csrf": {csrf}, "email": {"NEW@example.com"}})
		if a.status != http.StatusBadRequest || !strings.Contains(a.body, "already pending") {
			t.Errorf("a second invitation: %d %s", a.status, a.body)
		}
	})
}

// TestStaffInviteCode: without a public URL, the mail carries the bare
// code, as the API's does without a platform_link.
func TestStaffInviteCode(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		b := e.browser()
		csrf := b.signIn(e.org)
		if a := b.post("/console/staff/invitations", url.Values{"csrf": {csrf}, "email": {"new@example.com"}}); a.status != http.StatusSeeOther {
			t.Fatalf("invite: %d %s", a.status, a.body)
		}
		list := e.invitations(t, e.org)
		mails := e.mailsTo(t, "new@example.com")
		if len(list) != 1 || list[0].PlatformLink != "" || len(mails) != 1 ||
			!strings.Contains(mails[0].Body, "here: "+list[0].Token+"\n") || strings.Contains(mails[0].Body, "/console/") {
			t.Fatalf("stored %+v, mail %+v", list, mails)
		}
	})
}

// TestStaffInvitationActions: the owner resends a pending invitation and
// revokes it after a confirmation; unknown tokens and another
// organization's are the API's 404; forms without CSRF are refused.
func TestStaffInvitationActions(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		inv := e.invite(t, e.org, "pending@example.com")
		theirs := e.invite(t, e.other, "theirs@example.com")
		b := e.browser()
		csrf := b.signIn(e.org)

		resend := "/console/staff/invitations/" + inv.Token + "/resend"
		wantError(t, "a resend without CSRF", b.post(resend, nil), http.StatusForbidden,
			"this form has expired or did not come from this console: reload the page and try again")
		if a := b.post(resend, url.Values{"csrf": {csrf}}); a.status != http.StatusSeeOther || a.header.Get("Location") != "/console/staff?done=resent" {
			t.Fatalf("resend: %d %s", a.status, a.body)
		}
		if n := len(e.mailsTo(t, "pending@example.com")); n != 2 {
			t.Fatalf("%d mails after a resend; want 2", n)
		}

		revoke := "/console/staff/invitations/" + inv.Token + "/revoke"
		page := b.get(revoke)
		if page.status != http.StatusOK || !strings.Contains(page.body, "<h1>Revoke the invitation to pending@example.com?</h1>") ||
			!strings.Contains(page.body, `action="`+revoke+`"`) {
			t.Fatalf("the revocation's confirmation: %d %s", page.status, page.body)
		}
		wantError(t, "a revocation without CSRF", b.post(revoke, nil), http.StatusForbidden,
			"this form has expired or did not come from this console: reload the page and try again")
		if len(e.invitations(t, e.org)) != 1 {
			t.Fatal("a refused revocation removed the invitation")
		}
		if a := b.post(revoke, url.Values{"csrf": {csrf}}); a.status != http.StatusSeeOther || a.header.Get("Location") != "/console/staff?done=revoked" {
			t.Fatalf("revoke: %d %s", a.status, a.body)
		}
		if list := e.invitations(t, e.org); len(list) != 0 {
			t.Fatalf("after revoking: %+v", list)
		}

		_, apiMsg := e.apiPost(t, http.MethodDelete, "/admin-management/invitation/", map[string]string{"invite_token": theirs.Token})
		if apiMsg == "" {
			t.Fatal("the API has no message for another organization's invitation")
		}
		for _, token := range []string{theirs.Token, inv.Token, "unknown"} {
			base := "/console/staff/invitations/" + token
			wantError(t, "GET revoke "+token, b.get(base+"/revoke"), http.StatusNotFound, apiMsg)
			wantError(t, "POST revoke "+token, b.post(base+"/revoke", url.Values{"csrf": {csrf}}), http.StatusNotFound, apiMsg)
			wantError(t, "POST resend "+token, b.post(base+"/resend", url.Values{"csrf": {csrf}}), http.StatusNotFound, apiMsg)
		}
		if list := e.invitations(t, e.other); len(list) != 1 || len(e.mailsTo(t, "theirs@example.com")) != 1 {
			t.Fatalf("another organization's invitation changed: %+v", list)
		}
	})
}

// TestStaffMemberActions: the owner changes a member's role, deactivates
// (after a confirmation) and reactivates them, signs them out and removes
// them; the last Owner stays, in the API's words; unknown ids and another
// organization's member are the API's 404; forms without CSRF are refused.
func TestStaffMemberActions(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		admin := e.addAdmin(t, e.org, "admin@example.com")
		b := e.browser()
		csrf := b.signIn(e.org)
		theirs := e.browser()
		theirs.signIn(admin) // the admin's own console session, which a force logout ends
		members := "/console/staff/members/"
		post := func(path string, form url.Values) answer {
			t.Helper()
			form.Set("csrf", csrf)
			return b.post(members+path, form)
		}
		wantDone := func(what string, a answer, done string) {
			t.Helper()
			if a.status != http.StatusSeeOther || a.header.Get("Location") != "/console/staff?done="+done {
				t.Fatalf("%s: %d %s; want 303 to done=%s", what, a.status, a.body, done)
			}
		}
		stored := func() roster.StaffMember {
			t.Helper()
			m, err := e.member(t, e.org, admin.OwnerUID)
			if err != nil {
				t.Fatal(err)
			}
			return m
		}

		for _, role := range []string{"", "Boss", "owner"} {
			a := post(admin.OwnerUID+"/role", url.Values{"role": {role}})
			wantError(t, "role "+role, a, http.StatusBadRequest, "role: must be Owner or Admin")
		}
		wantError(t, "a role change without CSRF", b.post(members+admin.OwnerUID+"/role", url.Values{"role": {"Owner"}}),
			http.StatusForbidden, "this form has expired or did not come from this console: reload the page and try again")
		if stored().Role != roster.RoleAdmin {
			t.Fatal("a refused role change stored")
		}
		wantDone("make Owner", post(admin.OwnerUID+"/role", url.Values{"role": {"Owner"}}), "role")
		if stored().Role != roster.RoleOwner {
			t.Fatal("the role change was not stored")
		}
		wantDone("make Admin", post(admin.OwnerUID+"/role", url.Values{"role": {"Admin"}}), "role")
		if stored().Role != roster.RoleAdmin {
			t.Fatal("the role change back was not stored")
		}

		// The last Owner, forced through by hand, is refused in the
		// API's words.
		_, lastOwner := e.apiPost(t, http.MethodDelete, "/admin-management/sub-admins/", map[string]string{"user_uid": e.org.OwnerUID})
		if lastOwner == "" {
			t.Fatal("the API removed the last Owner")
		}
		wantError(t, "demote the last Owner", post(e.org.OwnerUID+"/role", url.Values{"role": {"Admin"}}), http.StatusBadRequest, lastOwner)
		wantError(t, "deactivate the last Owner", post(e.org.OwnerUID+"/deactivate", url.Values{}), http.StatusBadRequest, lastOwner)
		wantError(t, "remove the last Owner", post(e.org.OwnerUID+"/remove", url.Values{}), http.StatusBadRequest, lastOwner)
		if m, err := e.member(t, e.org, e.org.OwnerUID); err != nil || m.Role != roster.RoleOwner || m.Deactivated {
			t.Fatalf("the last Owner: %+v %v", m, err)
		}

		a := post(admin.OwnerUID+"/force-logout", url.Values{})
		if a.status != http.StatusSeeOther || a.header.Get("Location") != "/console/staff?done=signed-out&sessions=1" {
			t.Fatalf("force logout: %d %s", a.status, a.header.Get("Location"))
		}
		if page := b.get(a.header.Get("Location")); !strings.Contains(page.body, "Signed out of 1 session.") {
			t.Errorf("after a force logout: %s", page.body)
		}
		if a := theirs.get("/console/clients"); a.status != http.StatusSeeOther {
			t.Errorf("a signed-out member's console: %d", a.status)
		}

		theirs.signIn(admin)
		page := b.get(members + admin.OwnerUID + "/deactivate")
		if page.status != http.StatusOK || !strings.Contains(page.body, "<h1>Deactivate Admin?</h1>") ||
			!strings.Contains(page.body, `action="`+members+admin.OwnerUID+`/deactivate"`) {
			t.Fatalf("the deactivation's confirmation: %d %s", page.status, page.body)
		}
		wantError(t, "a deactivation without CSRF", b.post(members+admin.OwnerUID+"/deactivate", nil),
			http.StatusForbidden, "this form has expired or did not come from this console: reload the page and try again")
		if stored().Deactivated {
			t.Fatal("a refused deactivation stored")
		}
		wantDone("deactivate", post(admin.OwnerUID+"/deactivate", url.Values{}), "deactivated")
		if !stored().Deactivated {
			t.Fatal("the deactivation was not stored")
		}
		if a := theirs.get("/console/clients"); a.status != http.StatusSeeOther {
			t.Errorf("a deactivated member's console: %d", a.status)
		}
		wantDone("reactivate", post(admin.OwnerUID+"/reactivate", url.Values{}), "reactivated")
		if stored().Deactivated {
			t.Fatal("the reactivation was not stored")
		}

		page = b.get(members + admin.OwnerUID + "/remove")
		if page.status != http.StatusOK || !strings.Contains(page.body, "<h1>Remove Admin?</h1>") {
			t.Fatalf("the removal's confirmation: %d %s", page.status, page.body)
		}
		wantError(t, "a removal without CSRF", b.post(members+admin.OwnerUID+"/remove", nil),
			http.StatusForbidden, "this form has expired or did not come from this console: reload the page and try again")
		wantDone("remove", post(admin.OwnerUID+"/remove", url.Values{}), "removed")
		if _, err := e.member(t, e.org, admin.OwnerUID); !errors.Is(err, roster.ErrStaffNotFound) {
			t.Fatalf("the removed member: %v", err)
		}

		_, apiMsg := e.apiPost(t, http.MethodPost, "/admin-management/sub-admins/deactivate/", map[string]string{"user_uid": e.other.OwnerUID})
		if apiMsg != roster.ErrStaffNotFound.Error() {
			t.Fatalf("the API on another organization's member: %q", apiMsg)
		}
		for _, uid := range []string{e.other.OwnerUID, admin.OwnerUID, "00000000000000000000", "not-a-uid!"} {
			wantError(t, "GET deactivate "+uid, b.get(members+uid+"/deactivate"), http.StatusNotFound, apiMsg)
			wantError(t, "GET remove "+uid, b.get(members+uid+"/remove"), http.StatusNotFound, apiMsg)
			for _, change := range []string{"role", "deactivate", "reactivate", "force-logout", "remove"} {
				wantError(t, change+" "+uid, post(uid+"/"+change, url.Values{"role": {"Owner"}}), http.StatusNotFound, apiMsg)
			}
		}
		if m, err := e.st.StaffMember(t.Context(), e.other.ID, e.other.OwnerUID); err != nil || m.Role != roster.RoleOwner || m.Deactivated {
			t.Fatalf("another organization's owner: %+v %v", m, err)
		}
		wantError(t, "an unknown change", b.get(members+e.org.OwnerUID+"/promote"), http.StatusNotFound, "no such page")
	})
}

// TestInvitationPage: the invitee, sent to sign in and back, sees what
// they are invited to and accepts, as POST .../invitation/respond/ does;
// another declines. An unverified account, another address, a missing or
// answered token get the domain's words; forms without CSRF are refused.
func TestInvitationPage(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		inv := e.invite(t, e.org, "invitee@example.com")
		path := "/console/invitation?invite_token=" + inv.Token
		b := e.browser()
		a := b.get(path)
		if a.status != http.StatusSeeOther || a.header.Get("Location") != "/console/sign-in?next="+url.QueryEscape(path) {
			t.Fatalf("signed out: %d, Location %q", a.status, a.header.Get("Location"))
		}

		// Someone else, signed in, is told it is not theirs.
		e.addAccount(t, "someone@example.com")
		other := e.browser()
		otherCSRF := other.signInAs("someone@example.com")
		wantError(t, "another address", other.get(path), http.StatusForbidden, "this invitation is addressed to another email address")
		wantError(t, "another address answers", other.post("/console/invitation",
			url.Values{"csrf": {otherCSRF}, "invite_token": {inv.Token}, "user_response": {"accept"}}),
			http.StatusForbidden, "this invitation is addressed to another email address")

		// An account that did not prove its address is told to.
		hash, err := auth.HashPassword(password, testPasswordParams)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.st.CreateAccount(t.Context(), roster.NewAccount{Email: "unproven@example.com", DisplayName: "Unproven",
			PasswordHash: hash}); err != nil {
			t.Fatal(err)
		}
		unproven := e.invite(t, e.org, "unproven@example.com")
		u := e.browser()
		u.signInAs("unproven@example.com")
		wantError(t, "an unverified account", u.get("/console/invitation?invite_token="+unproven.Token), http.StatusForbidden,
			"verify your email address first: see the mail sent when you signed up")

		uid := e.addAccount(t, "invitee@example.com")
		csrf := b.signInAs("invitee@example.com")
		wantError(t, "no token", b.get("/console/invitation"), http.StatusNotFound, roster.ErrInvitationNotFound.Error())
		wantError(t, "an unknown token", b.get("/console/invitation?invite_token=unknown"), http.StatusNotFound, roster.ErrInvitationNotFound.Error())
		page := b.get(path)
		company := inv.CompanyName
		for _, want := range []string{"<h1>Join " + html.EscapeString(company) + "</h1>", "<dd>Admin</dd>", "<dd>" + e.org.OwnerEmail + "</dd>",
			`<button type="submit" name="user_response" value="accept">Accept</button>`,
			`name="user_response" value="decline" class="secondary">Decline</button>`,
			`<input type="hidden" name="invite_token" value="` + inv.Token + `">`} {
			if !strings.Contains(page.body, want) {
				t.Errorf("the invitation page lacks %s: %s", want, page.body)
			}
		}
		answer := func(form url.Values) answer {
			t.Helper()
			return b.post("/console/invitation", form)
		}
		wantError(t, "an answer without CSRF", answer(url.Values{"invite_token": {inv.Token}, "user_response": {"accept"}}),
			http.StatusForbidden, "this form has expired or did not come from this console: reload the page and try again")
		wantError(t, "no answer", answer(url.Values{"csrf": {csrf}, "invite_token": {inv.Token}}),
			http.StatusBadRequest, "user_response: must be accept or decline")
		wantError(t, "no token", answer(url.Values{"csrf": {csrf}, "user_response": {"accept"}}),
			http.StatusNotFound, roster.ErrInvitationNotFound.Error())
		if _, err := e.member(t, e.org, uid); err == nil {
			t.Fatal("a refused answer made the invitee staff")
		}
		a = answer(url.Values{"csrf": {csrf}, "invite_token": {inv.Token}, "user_response": {"accept"}})
		if a.status != http.StatusSeeOther || a.header.Get("Location") != "/console/staff?done=joined" {
			t.Fatalf("accept: %d %s", a.status, a.body)
		}
		if m, err := e.member(t, e.org, uid); err != nil || m.Role != roster.RoleAdmin {
			t.Fatalf("the invitee after accepting: %+v %v", m, err)
		}
		if page := b.get("/console/staff?done=joined"); !strings.Contains(page.body, "You joined the organization.") ||
			!strings.Contains(page.body, `<td data-label="Email">invitee@example.com</td>`) {
			t.Errorf("the new Admin's staff page: %s", page.body)
		}
		wantError(t, "an answered invitation", b.get(path), http.StatusNotFound, roster.ErrInvitationNotFound.Error())

		// Another invitee declines.
		declined := e.invite(t, e.org, "someone@example.com")
		a = other.post("/console/invitation", url.Values{"csrf": {otherCSRF}, "invite_token": {declined.Token}, "user_response": {"decline"}})
		if a.status != http.StatusOK || !strings.Contains(a.body, "You declined the invitation.") {
			t.Fatalf("decline: %d %s", a.status, a.body)
		}
		got, err := e.st.SentInvitation(t.Context(), e.org.ID, declined.Token)
		if err != nil || got.Status != roster.InvitationDeclined {
			t.Fatalf("the declined invitation: %+v %v", got, err)
		}
	})
}
