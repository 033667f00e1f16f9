package console_test

import (
	"html"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"roster"
	"roster/auth"
)

// TestSignInRefusals: a wrong password is the API's 401 in its words, on
// the form, with no session; repeated failures meet the API's sign-in
// throttle, which then refuses even the right password.
func TestSignInRefusals(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		b := e.browser()
		try := func(pw string) answer {
			page := b.get("/console/sign-in")
			return b.post("/console/sign-in", url.Values{"csrf": {b.csrf(page)}, "email": {e.org.OwnerEmail}, "password": {pw}})
		}
		a := try("not the password at all")
		if a.status != http.StatusUnauthorized || !strings.Contains(a.body, roster.ErrWrongCredentials.Error()) ||
			!strings.Contains(a.body, `value="`+e.org.OwnerEmail+`"`) || b.hasCookie(e, "roster_console") {
			t.Fatalf("wrong password: %d %s; want 401, the API's message, the email kept and no session", a.status, a.body)
		}
		throttled := false
		for i := 0; i < 10 && !throttled; i++ {
			throttled = try("not the password at all").status == http.StatusTooManyRequests
		}
		if !throttled {
			t.Fatal("ten wrong passwords in a row met no throttle")
		}
		a = try(password)
		if a.status != http.StatusTooManyRequests || !strings.Contains(a.body, "too many failed sign-ins") ||
			b.hasCookie(e, "roster_console") {
			t.Fatalf("the right password while blocked: %d %s; want 429 and no session", a.status, a.body)
		}
	})
}

// TestClientFormErrors: a form with several bad fields shows each field's
// error next to it, in the API's words, keeps what was typed and stores
// nothing; an email another client has is the store's refusal, next to
// the email.
func TestClientFormErrors(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		b := e.browser()
		token := b.signIn(e.org)
		e.addClient(e.org, "taken@example.com", "Taken")
		form := withCSRF(url.Values{"email": {"not an email"}, "display_name": {"Bea"}, "age": {"abc"},
			"gender": {"other"}, "weight": {"5000"}, "preferable_activities": {"Running", "Knitting"}}, token)
		a := b.post("/console/clients", form)
		body := html.UnescapeString(a.body)
		if a.status != http.StatusBadRequest {
			t.Fatalf("bad form: %d; want 400", a.status)
		}
		for field, raw := range map[string]any{"email": "not an email", "age": "abc", "gender": "other", "weight": "5000",
			"preferable_activities": []any{"Running", "Knitting"}} {
			_, err := roster.NewClientUpdate(map[string]any{field: raw})
			if err == nil {
				t.Fatalf("%s %v is valid to the API", field, raw)
			}
			want := `<p class="field-error" id="` + field + `-error">` + err.Error() + `</p>`
			if !strings.Contains(body, want) {
				t.Errorf("no %s next to %s in %s", want, field, body)
			}
		}
		if !strings.Contains(body, `value="Bea"`) || !strings.Contains(body, `value="not an email"`) {
			t.Error("the form lost what was typed")
		}
		if strings.Contains(body, `id="display_name-error"`) {
			t.Error("an error next to a good field")
		}
		if n := e.clientCount(e.org); n != 1 {
			t.Fatalf("a refused form stored a client: %d clients", n)
		}

		a = b.post("/console/clients", withCSRF(newClientForm("TAKEN@example.com", "Another"), token))
		want := `<p class="field-error" id="email-error">email: ` + roster.TakenMessage("email") + `</p>`
		if a.status != http.StatusBadRequest || !strings.Contains(a.body, want) {
			t.Fatalf("taken email: %d %s; want 400 and %s", a.status, a.body, want)
		}
		if n := e.clientCount(e.org); n != 1 {
			t.Fatalf("a taken email stored a client: %d clients", n)
		}
	})
}

// TestClientLifecycle: deactivate, reactivate and delete, each from the
// client's page, change the store as the API's own routes do.
func TestClientLifecycle(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		b := e.browser()
		token := b.signIn(e.org)
		c := e.addClient(e.org, "linus@example.com", "Linus")
		page := "/console/clients/" + c.UID
		form := url.Values{"csrf": {token}}

		if a := b.post(page+"/deactivate", form); a.status != http.StatusSeeOther {
			t.Fatalf("deactivate: %d %s", a.status, a.body)
		}
		if got := e.storedClient(t, c.UID); got.DeactivatedAt == nil {
			t.Fatal("not deactivated in the store")
		}
		if a := b.get(page + "?done=deactivated"); !strings.Contains(a.body, "Deactivated ") || !strings.Contains(a.body, "Reactivate") {
			t.Errorf("the deactivated client's page: %s", a.body)
		}
		if a := b.get("/console/clients?deactivated=true"); !strings.Contains(a.body, ">Linus</a>") {
			t.Errorf("the deactivated list: %s", a.body)
		}
		if a := b.get("/console/clients"); strings.Contains(a.body, ">Linus</a>") {
			t.Errorf("a deactivated client in the active list: %s", a.body)
		}
		if a := b.post(page+"/reactivate", form); a.status != http.StatusSeeOther || e.storedClient(t, c.UID).DeactivatedAt != nil {
			t.Fatalf("reactivate: %d %s", a.status, a.body)
		}

		if a := b.get(page + "/delete"); a.status != http.StatusOK || !strings.Contains(a.body, "Delete Linus?") {
			t.Fatalf("the delete confirmation: %d %s", a.status, a.body)
		}
		if e.clientCount(e.org) != 1 {
			t.Fatal("asking to confirm deleted the client")
		}
		a := b.post(page+"/delete", form)
		if a.status != http.StatusSeeOther || a.header.Get("Location") != "/console/clients?done=deleted" {
			t.Fatalf("delete: %d, Location %q", a.status, a.header.Get("Location"))
		}
		if _, err := e.st.Client(t.Context(), e.org.ID, c.UID); err != roster.ErrClientNotFound {
			t.Fatalf("after delete the store finds the client: %v", err)
		}
		if a := b.get(page); a.status != http.StatusNotFound {
			t.Fatalf("the deleted client's page: %d", a.status)
		}
	})
}

func (e *env) storedClient(t *testing.T, uid string) roster.Client {
	t.Helper()
	c, err := e.st.Client(t.Context(), e.org.ID, uid)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestSessionRenewal: a session's token is renewed once past half its
// life, so a console in use stays signed in; one left idle longer than a
// token lives is signed out.
func TestSessionRenewal(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		b := e.browser()
		b.signIn(e.org)
		ttl := auth.DefaultAccessTTL
		e.clock.Advance(ttl / 4)
		if a := b.get("/console/clients"); a.status != http.StatusOK || len(a.header.Values("Set-Cookie")) != 0 {
			t.Fatalf("a quarter into the token's life: %d, Set-Cookie %q; want 200 and the same token", a.status, a.header.Values("Set-Cookie"))
		}
		for i := 0; i < 4; i++ { // in use for twice the token's life
			e.clock.Advance(ttl / 2)
			a := b.get("/console/clients")
			if a.status != http.StatusOK || !strings.Contains(strings.Join(a.header.Values("Set-Cookie"), ";"), "roster_console=") {
				t.Fatalf("in use after %v: %d, Set-Cookie %q; want 200 and a renewed token", time.Duration(i+1)*ttl/2,
					a.status, a.header.Values("Set-Cookie"))
			}
		}
		e.clock.Advance(ttl + time.Second)
		if a := b.get("/console/clients"); a.status != http.StatusSeeOther || !strings.HasPrefix(a.header.Get("Location"), "/console/sign-in") {
			t.Fatalf("idle longer than a token lives: %d, Location %q; want 303 to sign in", a.status, a.header.Get("Location"))
		}
	})
}

// TestSignInNext: after signing in the console goes back to the page that
// asked for it, and never to another site.
func TestSignInNext(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		for next, want := range map[string]string{
			"/console/clients?q=ada":   "/console/clients?q=ada",
			"//evil.example/console/":  "/console/",
			"https://evil.example/":    "/console/",
			"/console\\@evil.example/": "/console/",
			"/elsewhere":               "/console/",
		} {
			b := e.browser()
			page := b.get("/console/sign-in?" + url.Values{"next": {next}}.Encode())
			a := b.post("/console/sign-in", url.Values{"csrf": {b.csrf(page)}, "email": {e.org.OwnerEmail},
				"password": {password}, "next": {next}})
			if a.status != http.StatusSeeOther || a.header.Get("Location") != want {
				t.Errorf("next %q: %d, Location %q; want %q", next, a.status, a.header.Get("Location"), want)
			}
		}
		// A staff page asked for without a session names itself as next.
		a := e.browser().get("/console/clients?q=ada")
		if a.status != http.StatusSeeOther || a.header.Get("Location") != "/console/sign-in?next=%2Fconsole%2Fclients%3Fq%3Dada" {
			t.Fatalf("signed out: %d, Location %q", a.status, a.header.Get("Location"))
		}
	})
}

// TestSignInReplaces: signing in as someone else in a browser that is
// signed in (from a sign-in form opened before, in another tab) closes the
// sign-in session it had, so that its token (copied before, say) no
// longer opens a page.
func TestSignInReplaces(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		e.addAccount(t, "athlete@example.com")
		b := e.browser()
		b.signIn(e.org)
		u, _ := url.Parse(e.srv.URL + "/console/")
		before := b.http.Jar.Cookies(u)
		tab := e.browser()
		form := tab.get("/console/sign-in")
		b.http.Jar.SetCookies(u, tab.http.Jar.Cookies(u))
		if a := b.post("/console/sign-in", url.Values{"csrf": {b.csrf(form)}, "email": {"athlete@example.com"},
			"password": {password}}); a.status != http.StatusSeeOther {
			t.Fatalf("signing in again: %d %s", a.status, a.body)
		}
		old := e.browser()
		old.http.Jar.SetCookies(u, before)
		if a := old.get("/console/clients"); a.status != http.StatusSeeOther || !strings.HasPrefix(a.header.Get("Location"), "/console/sign-in") {
			t.Errorf("the replaced session still opens the clients: %d %q", a.status, a.header.Get("Location"))
		}
		if a := b.get("/console/account"); a.status != http.StatusOK || !strings.Contains(a.body, "athlete@example.com") {
			t.Errorf("the new session: %d %s", a.status, a.body)
		}
	})
}

// TestNote: the client's page saves and clears the note through the API's
// rules; a note over the API's limit is its 413, shown with the draft
// kept, and the stored note unchanged.
func TestNote(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		b := e.browser()
		token := b.signIn(e.org)
		c := e.addClient(e.org, "noted@example.com", "Noted")
		page := "/console/clients/" + c.UID

		a := b.post(page+"/note", url.Values{"csrf": {token}, "note": {"Left knee: <easy> weeks.\r\nThen 5 km & more."}})
		if a.status != http.StatusSeeOther || a.header.Get("Location") != page+"?done=note-saved" {
			t.Fatalf("save: %d, Location %q", a.status, a.header.Get("Location"))
		}
		want := "Left knee: <easy> weeks.\nThen 5 km & more."
		if n := e.storedClient(t, c.UID).Note; n == nil || n.Text == nil || *n.Text != want {
			t.Fatalf("stored note %+v; want %q", n, want)
		}
		if a := b.get(page); !strings.Contains(a.body, html.EscapeString(want)) {
			t.Fatalf("the page does not show the note: %s", a.body)
		}

		big := strings.Repeat("x", roster.MaxNoteBytes+1)
		a = b.post(page+"/note", url.Values{"csrf": {token}, "note": {big}})
		_, apiErr := roster.ParseNote(big)
		if a.status != http.StatusRequestEntityTooLarge || !strings.Contains(a.body, apiErr.Error()) || !strings.Contains(a.body, big) {
			t.Fatalf("too large: %d; want 413, %q and the draft kept", a.status, apiErr)
		}
		if n := e.storedClient(t, c.UID).Note; n == nil || n.Text == nil || *n.Text != want {
			t.Fatalf("a refused note changed the stored one: %+v", n)
		}

		a = b.post(page+"/note", url.Values{"csrf": {token}, "note": {""}})
		if a.status != http.StatusSeeOther || a.header.Get("Location") != page+"?done=note-cleared" {
			t.Fatalf("clear: %d, Location %q", a.status, a.header.Get("Location"))
		}
		if n := e.storedClient(t, c.UID).Note; n == nil || n.Text != nil {
			t.Fatalf("cleared note %+v; want no text", n)
		}
	})
}

// TestForceLogout: force logout ends the sessions of the account linked to
// the client, as the API's route does, and says how many; a client nobody
// linked has none to end.
func TestForceLogout(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		ctx := t.Context()
		b := e.browser()
		token := b.signIn(e.org)
		c := e.addClient(e.org, "linked@example.com", "Linked")
		lone := e.addClient(e.org, "lone@example.com", "Lone")
		account, err := e.st.CreateAccount(ctx, roster.NewAccount{Email: "linked@example.com", DisplayName: "Linked",
			EmailVerified: true})
		if err != nil {
			t.Fatal(err)
		}
		inv, err := e.st.InviteLink(ctx, e.org.ID, roster.LinkRequest{Client: roster.ClientRef{UID: c.UID},
			InviterUID: e.org.OwnerUID, TTL: time.Hour}, roster.DefaultLimits)
		if err != nil {
			t.Fatal(err)
		}
		if err := e.st.RespondLink(ctx, account, inv.UID, true); err != nil {
			t.Fatal(err)
		}
		_, hash := auth.NewRefreshToken()
		ss := roster.SignInSession{UID: roster.NewUID(e.clock.Now()), AccountUID: account, RefreshHash: hash,
			ExpiresAt: e.clock.Now().Add(time.Hour)}
		if err := e.st.OpenSignInSession(ctx, ss); err != nil {
			t.Fatal(err)
		}

		a := b.post("/console/clients/"+lone.UID+"/force-logout", url.Values{"csrf": {token}})
		if a.status != http.StatusSeeOther || !strings.HasSuffix(a.header.Get("Location"), "?done=signed-out&sessions=0") {
			t.Fatalf("unlinked: %d, Location %q", a.status, a.header.Get("Location"))
		}
		a = b.post("/console/clients/"+c.UID+"/force-logout", url.Values{"csrf": {token}})
		if a.status != http.StatusSeeOther {
			t.Fatalf("force logout: %d %s", a.status, a.body)
		}
		if page := b.get(a.header.Get("Location")); !strings.Contains(page.body, "Signed out of 1 session.") {
			t.Fatalf("after force logout the page says: %s", page.body)
		}
		if _, err := e.st.SignInSessionPrincipal(ctx, account, ss.UID, e.clock.Now()); roster.KindOf(err) != roster.KindUnauthorized {
			t.Fatalf("the linked account's session after force logout: %v; want it ended", err)
		}
	})
}
