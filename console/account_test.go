package console_test

import (
	"html"
	"maps"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"roster"
	"roster/auth"
	"roster/store/storetest"
)

// trySignIn posts the sign-in form with email and pw from a fresh browser
// and returns the answer.
func (e *env) trySignIn(email, pw string) answer {
	b := e.browser()
	page := b.get("/console/sign-in")
	return b.post("/console/sign-in", url.Values{"csrf": {b.csrf(page)}, "email": {email}, "password": {pw}})
}

// me is the account as the store has it.
func (e *env) me(t *testing.T, uid string) roster.Account {
	t.Helper()
	a, _, err := e.st.Me(t.Context(), uid)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// TestAccountPage: a person who is staff of no organization opens My
// account from the menu and sees their email, display name and the client
// profile an organization linked to their account; the owner is offered
// the page too.
func TestAccountPage(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		const email = "athlete@example.com"
		uid := e.addAccount(t, email)
		c := e.addClient(e.org, email, "Ada on the club's list")
		inv, err := e.st.InviteLink(t.Context(), e.org.ID, roster.LinkRequest{Client: roster.ClientRef{UID: c.UID},
			InviterUID: e.org.OwnerUID, TTL: roster.DefaultInvitationTTL}, roster.Limits{})
		if err != nil {
			t.Fatal(err)
		}
		if err := e.st.RespondLink(t.Context(), uid, inv.UID, true); err != nil {
			t.Fatal(err)
		}
		b := e.browser()
		b.signIn(storetest.Org{OwnerEmail: email})
		a := b.get("/console/account")
		got := shownFieldsOf(a.body)
		if a.status != http.StatusOK || got["Email"] != email || got["Display name"] != "Athlete" {
			t.Fatalf("account page: %d %v %s", a.status, got, a.body)
		}
		if !strings.Contains(a.body, `href="/console/account" aria-current="page">My account</a>`) {
			t.Errorf("the menu does not offer My account as the current page: %s", a.body)
		}
		if strings.Contains(a.body, `href="/console/clients"`) {
			t.Errorf("a person who is nobody's staff is offered the clients: %s", a.body)
		}
		row := `<td data-label="Organization">Club ` + e.org.OwnerEmail + `</td><td data-label="Name">Ada on the club&#39;s list</td>`
		if !strings.Contains(a.body, row) {
			t.Errorf("the linked profile is not listed: %s", a.body)
		}
		for _, label := range []string{"Display name", "Current password", "New password"} {
			if !strings.Contains(a.body, ">"+label+"</label>") {
				t.Errorf("no field labelled %q", label)
			}
		}
		owner := e.browser()
		owner.signIn(e.org)
		a = owner.get("/console/clients/" + c.UID)
		if !strings.Contains(a.body, `href="/console/account">My account</a>`) ||
			!strings.Contains(a.body, `href="/console/clients" aria-current="page">Clients</a>`) {
			t.Errorf("the owner on a client's page is not offered My account, and the clients as current: %s", a.body)
		}
		if got := shownFieldsOf(owner.get("/console/account").body); got["Email"] != e.org.OwnerEmail {
			t.Errorf("the owner's account page shows %v", got)
		}
	})
}

// TestAccountDisplayName: a refused name is shown next to its field in the
// API's words, kept in the form and not stored; a good one is stored.
func TestAccountDisplayName(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		b := e.browser()
		token := b.signIn(e.org)
		before := e.me(t, e.org.OwnerUID).DisplayName
		long := strings.Repeat("x", 1000)
		_, want := roster.ParseDisplayName("display_name", long)
		a := b.post("/console/account/name", url.Values{"csrf": {token}, "display_name": {long}})
		if a.status != http.StatusBadRequest || want == nil ||
			!strings.Contains(a.body, `<p class="field-error" id="display_name-error">`+html.EscapeString(want.Error())+`</p>`) ||
			!strings.Contains(a.body, `value="`+long+`"`) {
			t.Fatalf("too long a name: %d %s; want 400 and %v next to the field", a.status, a.body, want)
		}
		if got := e.me(t, e.org.OwnerUID).DisplayName; got != before {
			t.Fatalf("a refused name was stored: %q", got)
		}
		a = b.post("/console/account/name", url.Values{"csrf": {token}, "display_name": {"  Coach Carter "}})
		if a.status != http.StatusSeeOther || a.header.Get("Location") != "/console/account?done=name" {
			t.Fatalf("a good name: %d %s", a.status, a.body)
		}
		if got := e.me(t, e.org.OwnerUID).DisplayName; got != "Coach Carter" {
			t.Fatalf("stored name %q; want the API's parsing of it, %q", got, "Coach Carter")
		}
		if got := shownFieldsOf(b.get("/console/account?done=name").body)["Display name"]; got != "Coach Carter" {
			t.Fatalf("the page shows %q", got)
		}
	})
}

// TestAccountPassword: a wrong current password and a weak new one are
// refused next to their fields in the API's words, with nothing changed;
// a good change makes the old password fail and the new one sign in,
// keeps this session and ends the account's others.
func TestAccountPassword(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		b := e.browser()
		token := b.signIn(e.org)
		other := e.browser()
		other.signIn(e.org)
		const next = "a brand new and quite unusual passphrase"
		change := func(current, newPW string) answer {
			return b.post("/console/account/password", url.Values{"csrf": {token}, "current_password": {current}, "new_password": {newPW}})
		}
		a := change("not the password at all", next)
		if a.status != http.StatusForbidden || !strings.Contains(a.body,
			`<p class="field-error" id="current_password-error">current_password: wrong password</p>`) {
			t.Fatalf("wrong current password: %d %s; want 403 next to the field", a.status, a.body)
		}
		if name := e.me(t, e.org.OwnerUID).DisplayName; !strings.Contains(a.body, `name="display_name" type="text" value="`+name+`"`) {
			t.Errorf("a refused password change empties the display name's field: %s", a.body)
		}
		weak := "short"
		werr := auth.CheckNewPassword(weak, e.org.OwnerEmail, "")
		want := "new_password: " + strings.TrimPrefix(werr.Error(), "password: ")
		a = change(password, weak)
		if a.status != http.StatusBadRequest ||
			!strings.Contains(a.body, `<p class="field-error" id="new_password-error">`+html.EscapeString(want)+`</p>`) {
			t.Fatalf("weak password: %d %s; want 400 and %q next to the field", a.status, a.body, want)
		}
		if a := e.trySignIn(e.org.OwnerEmail, password); a.status != http.StatusSeeOther {
			t.Fatalf("after refused changes the password no longer signs in: %d", a.status)
		}
		if a := other.get("/console/clients"); a.status != http.StatusOK {
			t.Fatalf("a refused change ended another session: %d", a.status)
		}

		a = change(password, next)
		if a.status != http.StatusSeeOther || a.header.Get("Location") != "/console/account?done=password" {
			t.Fatalf("good change: %d %s", a.status, a.body)
		}
		if a := e.trySignIn(e.org.OwnerEmail, password); a.status != http.StatusUnauthorized {
			t.Errorf("the old password after the change: %d; want 401", a.status)
		}
		if a := e.trySignIn(e.org.OwnerEmail, next); a.status != http.StatusSeeOther {
			t.Errorf("the new password: %d %s; want 303", a.status, a.body)
		}
		if a := b.get("/console/account?done=password"); a.status != http.StatusOK || !strings.Contains(a.body, "Password changed") {
			t.Errorf("this session after the change: %d; want it kept and told", a.status)
		}
		if a := other.get("/console/clients"); a.status != http.StatusSeeOther {
			t.Errorf("another session after the change: %d; want it ended (303 to sign in)", a.status)
		}
	})
}

// TestAccountDelete: deleting asks for confirmation with the password; a
// wrong one deletes nothing; the right one deletes the account and signs
// the browser out. The last Owner of an organization is refused in the
// API's words and keeps the account.
func TestAccountDelete(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		const email = "athlete@example.com"
		uid := e.addAccount(t, email)
		b := e.browser()
		token := b.signIn(storetest.Org{OwnerEmail: email})
		a := b.get("/console/account/delete")
		if a.status != http.StatusOK || !strings.Contains(a.body, "<h1>Delete your account?</h1>") ||
			!strings.Contains(a.body, ">Password</label>") {
			t.Fatalf("confirmation: %d %s", a.status, a.body)
		}
		a = b.post("/console/account/delete", url.Values{"csrf": {token}, "password": {"not the password at all"}})
		if a.status != http.StatusForbidden || !strings.Contains(a.body, `id="password-error">password: wrong password</p>`) {
			t.Fatalf("wrong password: %d %s", a.status, a.body)
		}
		e.me(t, uid) // still there
		a = b.post("/console/account/delete", url.Values{"csrf": {token}, "password": {password}})
		if a.status != http.StatusOK || !strings.Contains(a.body, "Account deleted.") || b.hasCookie(e, "roster_console") {
			t.Fatalf("delete: %d %s; want 200, the API's words and no session cookie", a.status, a.body)
		}
		if _, _, err := e.st.Me(t.Context(), uid); roster.KindOf(err) != roster.KindUnauthorized {
			t.Fatalf("the deleted account: %v; want it gone", err)
		}
		if a := b.get("/console/account"); a.status != http.StatusSeeOther || !strings.HasPrefix(a.header.Get("Location"), "/console/sign-in") {
			t.Errorf("after deleting: %d to %q; want sign in", a.status, a.header.Get("Location"))
		}
		if a := e.trySignIn(email, password); a.status != http.StatusUnauthorized {
			t.Errorf("signing in as the deleted account: %d; want 401", a.status)
		}

		owner := e.browser()
		token = owner.signIn(e.org)
		a = owner.post("/console/account/delete", url.Values{"csrf": {token}, "password": {password}})
		if a.status != http.StatusBadRequest || !strings.Contains(a.body,
			`<p class="alert" role="alert" id="account-error">the last Owner of an organization cannot delete their account</p>`) {
			t.Fatalf("the last owner: %d %s; want 400 and the API's refusal", a.status, a.body)
		}
		if e.me(t, e.org.OwnerUID).Email != e.org.OwnerEmail || owner.get("/console/account").status != http.StatusOK {
			t.Fatal("the last owner's refused deletion deleted or signed out the account")
		}
	})
}

// TestAccountGuards: signed out, the pages send the browser to sign in;
// a form without its session's CSRF token changes nothing.
func TestAccountGuards(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		for _, path := range []string{"/console/account", "/console/account/delete"} {
			a := e.browser().get(path)
			if a.status != http.StatusSeeOther || a.header.Get("Location") != "/console/sign-in?next="+url.QueryEscape(path) {
				t.Errorf("signed out, %s: %d to %q", path, a.status, a.header.Get("Location"))
			}
		}
		if a := e.browser().post("/console/account/delete", url.Values{"password": {password}}); a.status != http.StatusSeeOther ||
			a.header.Get("Location") != "/console/sign-in" {
			t.Errorf("signed out, deleting: %d to %q", a.status, a.header.Get("Location"))
		}
		b := e.browser()
		b.signIn(e.org)
		otherToken := e.browser().signIn(e.org)
		const next = "a brand new and quite unusual passphrase"
		posts := map[string]url.Values{
			"/console/account/name":     {"display_name": {"Changed"}},
			"/console/account/password": {"current_password": {password}, "new_password": {next}},
			"/console/account/delete":   {"password": {password}},
		}
		before := e.me(t, e.org.OwnerUID)
		for path, form := range posts {
			for name, token := range map[string]string{"no token": "", "another session's": otherToken} {
				f := maps.Clone(form)
				if token != "" {
					f["csrf"] = []string{token}
				}
				a := b.post(path, f)
				if a.status != http.StatusForbidden || !strings.Contains(a.body, "this form has expired or did not come from this console") {
					t.Errorf("%s, %s: %d; want 403 and the CSRF refusal", path, name, a.status)
				}
			}
		}
		if after := e.me(t, e.org.OwnerUID); after.DisplayName != before.DisplayName {
			t.Errorf("a refused form changed the name to %q", after.DisplayName)
		}
		if a := e.trySignIn(e.org.OwnerEmail, password); a.status != http.StatusSeeOther {
			t.Errorf("a refused form changed the password: %d", a.status)
		}
	})
}

// TestAccountPasswordThrottle: guessing the current password meets the
// sign-in throttle, as the API's /auth/me/password does: once blocked, the
// right password changes nothing, and signing in is blocked too.
func TestAccountPasswordThrottle(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		b := e.browser()
		token := b.signIn(e.org)
		const next = "a brand new and quite unusual passphrase"
		change := func(current string) answer {
			return b.post("/console/account/password", url.Values{"csrf": {token}, "current_password": {current}, "new_password": {next}})
		}
		throttled := false
		for i := 0; i < 10 && !throttled; i++ {
			throttled = change("not the password at all").status == http.StatusTooManyRequests
		}
		if !throttled {
			t.Fatal("ten wrong current passwords in a row met no throttle")
		}
		a := change(password)
		if a.status != http.StatusTooManyRequests ||
			!strings.Contains(a.body, `id="account-error">too many failed sign-ins`) {
			t.Fatalf("the right password while blocked: %d %s; want 429 and the API's words", a.status, a.body)
		}
		if a := e.trySignIn(e.org.OwnerEmail, password); a.status != http.StatusTooManyRequests {
			t.Errorf("signing in while blocked: %d; want 429", a.status)
		}
		e.clock.Advance(24 * time.Hour)
		if a := e.trySignIn(e.org.OwnerEmail, password); a.status != http.StatusSeeOther {
			t.Errorf("the old password after the block: %d; want it unchanged", a.status)
		}
	})
}
