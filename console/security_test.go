package console_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"roster"
	"roster/api"
)

// newClientForm is a valid client form without its CSRF token.
func newClientForm(email, name string) url.Values {
	return url.Values{"email": {email}, "display_name": {name}, "age": {"31"}, "gender": {"female"},
		"preferable_activities": {"Running", "Weightlifting"}}
}

// TestCSRF: a form post without its session's token, or with another
// session's, is refused and changes nothing; with it, it goes through.
func TestCSRF(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		b := e.browser()
		token := b.signIn(e.org)
		otherToken := e.browser().signIn(e.org)

		for name, form := range map[string]url.Values{
			"no token":              newClientForm("ada@example.com", "Ada"),
			"another session's":     withCSRF(newClientForm("ada@example.com", "Ada"), otherToken),
			"an empty token":        withCSRF(newClientForm("ada@example.com", "Ada"), ""),
			"the sign-in form's":    withCSRF(newClientForm("ada@example.com", "Ada"), e.browser().csrf(e.browser().get("/console/sign-in"))),
			"a token with one more": withCSRF(newClientForm("ada@example.com", "Ada"), token+"A"),
		} {
			a := b.post("/console/clients", form)
			if a.status != http.StatusForbidden || !strings.Contains(a.body, "this form has expired or did not come from this console") {
				t.Errorf("%s: %d %s; want 403 and the CSRF refusal", name, a.status, a.body)
			}
		}
		if n := e.clientCount(e.org); n != 0 {
			t.Fatalf("refused forms stored %d clients", n)
		}
		a := b.post("/console/clients", withCSRF(newClientForm("ada@example.com", "Ada"), token))
		if a.status != http.StatusSeeOther || e.clientCount(e.org) != 1 {
			t.Fatalf("with the token: %d %s, %d clients; want 303 and one client", a.status, a.body, e.clientCount(e.org))
		}

		// Signing out is a form too.
		if a := b.post("/console/sign-out", nil); a.status != http.StatusForbidden {
			t.Errorf("sign-out without the token: %d; want 403", a.status)
		}
		if a := b.get("/console/clients"); a.status != http.StatusOK {
			t.Errorf("after a refused sign-out: %d; want the session still open", a.status)
		}

		// The sign-in form's token is bound to the browser's own cookie.
		fresh := e.browser()
		a = fresh.post("/console/sign-in", url.Values{"email": {e.org.OwnerEmail}, "password": {password}})
		if a.status != http.StatusForbidden || fresh.hasCookie(e, "roster_console") {
			t.Errorf("sign-in without a token: %d; want 403 and no session", a.status)
		}
		fresh.get("/console/sign-in")
		a = fresh.post("/console/sign-in", url.Values{"csrf": {b.csrf(e.browser().get("/console/sign-in"))},
			"email": {e.org.OwnerEmail}, "password": {password}})
		if a.status != http.StatusForbidden || fresh.hasCookie(e, "roster_console") {
			t.Errorf("sign-in with another browser's token: %d; want 403 and no session", a.status)
		}
	})
}

func withCSRF(form url.Values, token string) url.Values {
	form.Set("csrf", token)
	return form
}

func (b *browser) hasCookie(e *env, name string) bool {
	u, _ := url.Parse(e.srv.URL + "/console/")
	for _, c := range b.http.Jar.Cookies(u) {
		if c.Name == name {
			return true
		}
	}
	return false
}

// TestCookieFlags: the session cookie is HttpOnly, SameSite=Lax, for the
// console's path only, and Secure when the browser came over HTTPS through
// a trusted proxy; a proxy that is not trusted cannot make it so, and
// neither does plain HTTP.
func TestCookieFlags(t *testing.T) {
	for _, c := range []struct {
		name    string
		trusted bool
		proto   string
		secure  bool
	}{
		{"plain HTTP", false, "", false},
		{"an untrusted peer's X-Forwarded-Proto", false, "https", false},
		{"HTTPS through a trusted proxy", true, "https", true},
		{"HTTP through a trusted proxy", true, "http", false},
	} {
		t.Run(c.name, func(t *testing.T) {
			var opts []func(*api.Config)
			if c.trusted {
				opts = append(opts, trustLoopback)
			}
			each(t, func(t *testing.T, e *env) {
				b := e.browser()
				page := b.get("/console/sign-in")
				a := b.post("/console/sign-in", url.Values{"csrf": {b.csrf(page)}, "email": {e.org.OwnerEmail},
					"password": {password}}, "X-Forwarded-Proto", c.proto)
				if a.status != http.StatusSeeOther {
					t.Fatalf("sign-in: %d %s", a.status, a.body)
				}
				resp := http.Response{Header: a.header}
				var session *http.Cookie
				for _, ck := range resp.Cookies() {
					if ck.Name == "roster_console" {
						session = ck
					}
				}
				if session == nil {
					t.Fatalf("no session cookie in %q", a.header.Values("Set-Cookie"))
				}
				if !session.HttpOnly || session.SameSite != http.SameSiteLaxMode || session.Path != "/console/" ||
					session.Secure != c.secure || session.Domain != "" {
					t.Errorf("session cookie %q: want HttpOnly, SameSite=Lax, Path=/console/, no Domain, Secure %v",
						session.Raw, c.secure)
				}
			}, opts...)
		})
	}
}

// TestSecurityHeaders: every page, the error pages included, carries a
// strict Content-Security-Policy and refuses to be framed, and no page
// holds an inline script or style.
func TestSecurityHeaders(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		b := e.browser()
		b.signIn(e.org)
		c := e.addClient(e.org, "grace@example.com", "Grace")
		scriptTag := regexp.MustCompile(`<script[^>]*>`)
		for _, path := range []string{"/console/sign-in", "/console/clients", "/console/clients?q=gra", "/console/clients/new",
			"/console/clients/" + c.UID, "/console/clients/" + c.UID + "/edit", "/console/clients/" + c.UID + "/delete",
			"/console/clients/not-a-uid", "/console/nowhere", "/console/clients?gender=other"} {
			a := b.get(path)
			csp := a.header.Get("Content-Security-Policy")
			if !strings.Contains(csp, "default-src 'self'") || !strings.Contains(csp, "script-src 'self'") ||
				!strings.Contains(csp, "frame-ancestors 'none'") || strings.Contains(csp, "unsafe") {
				t.Errorf("%s: Content-Security-Policy %q", path, csp)
			}
			if got := a.header.Get("X-Frame-Options"); got != "DENY" {
				t.Errorf("%s: X-Frame-Options %q; want DENY", path, got)
			}
			if got := a.header.Get("X-Content-Type-Options"); got != "nosniff" {
				t.Errorf("%s: X-Content-Type-Options %q; want nosniff", path, got)
			}
			for _, tag := range scriptTag.FindAllString(a.body, -1) {
				if !strings.Contains(tag, ` src="/console/static/`) {
					t.Errorf("%s: inline or foreign script %s", path, tag)
				}
			}
			if strings.Contains(a.body, " style=") || strings.Contains(a.body, "<style") {
				t.Errorf("%s: inline style", path)
			}
		}
		// The assets the pages load are served, and may be kept.
		page := b.get("/console/clients")
		for _, m := range regexp.MustCompile(`(?:src|href)="(/console/static/[^"]+)"`).FindAllStringSubmatch(page.body, -1) {
			a := b.get(strings.ReplaceAll(m[1], "&amp;", "&"))
			if a.status != http.StatusOK || len(a.body) == 0 || !strings.Contains(a.header.Get("Cache-Control"), "immutable") {
				t.Errorf("%s: %d, %d bytes, Cache-Control %q", m[1], a.status, len(a.body), a.header.Get("Cache-Control"))
			}
		}
	})
}

// TestOtherOrganization404: another organization's client, by its uid in
// any of the console's URLs, is the API's 404 with the API's message, and
// nothing of it changes.
func TestOtherOrganization404(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		theirs := e.addClient(e.other, "theirs@example.com", "Theirs")
		apiStatus, apiMsg := e.apiGet(t, "/client-management/clients/"+theirs.UID)
		if apiStatus != http.StatusNotFound {
			t.Fatalf("the API answers %d for another organization's client", apiStatus)
		}
		b := e.browser()
		token := b.signIn(e.org)
		base := "/console/clients/" + theirs.UID
		answers := map[string]answer{
			"page": b.get(base), "edit": b.get(base + "/edit"), "delete page": b.get(base + "/delete"),
			"save":         b.post(base, withCSRF(newClientForm("mine@example.com", "Mine"), token)),
			"bad save":     b.post(base, withCSRF(url.Values{"age": {"-1"}}, token)),
			"deactivate":   b.post(base+"/deactivate", url.Values{"csrf": {token}}),
			"note":         b.post(base+"/note", url.Values{"csrf": {token}, "note": {"mine now"}}),
			"force logout": b.post(base+"/force-logout", url.Values{"csrf": {token}}),
			"delete":       b.post(base+"/delete", url.Values{"csrf": {token}}),
		}
		for name, a := range answers {
			if a.status != apiStatus || !strings.Contains(a.body, apiMsg) {
				t.Errorf("%s: %d %s; want %d and the API's %q", name, a.status, a.body, apiStatus, apiMsg)
			}
		}
		if e.clientCount(e.other) != 1 {
			t.Fatal("the other organization's client is gone")
		}
		if got := e.otherClient(t, theirs.UID); got.DisplayName != "Theirs" || got.Note != nil || got.DeactivatedAt != nil {
			t.Fatalf("the other organization's client changed: %+v", got)
		}
	})
}

// apiGet asks the API, with the organization's API key, and returns the
// status and the error message.
func (e *env) apiGet(t *testing.T, path string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, e.srv.URL+path, nil)
	req.Header.Set("API-KEY", e.org.APIKey)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var msg struct{ Error string }
	json.Unmarshal(body, &msg)
	return resp.StatusCode, msg.Error
}

func (e *env) otherClient(t *testing.T, uid string) roster.Client {
	t.Helper()
	c, err := e.st.Client(t.Context(), e.other.ID, uid)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestSignOut: signing out ends the sign-in session: the cookie no longer
// opens a page, even sent again by hand.
func TestSignOut(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		b := e.browser()
		token := b.signIn(e.org)
		u, _ := url.Parse(e.srv.URL + "/console/")
		kept := b.http.Jar.Cookies(u)
		if a := b.post("/console/sign-out", url.Values{"csrf": {token}}); a.status != http.StatusSeeOther {
			t.Fatalf("sign-out: %d %s", a.status, a.body)
		}
		again := e.browser()
		again.http.Jar.SetCookies(u, kept)
		a := again.get("/console/clients")
		if a.status != http.StatusSeeOther || !strings.HasPrefix(a.header.Get("Location"), "/console/sign-in") {
			t.Fatalf("the old cookie after sign-out: %d, Location %q; want 303 to sign in", a.status, a.header.Get("Location"))
		}
	})
}

// TestUnknownPages: a path no page has is the console's 404 page, and a
// method a page does not take its 405, with Allow; both are HTML pages
// under the console's headers, not ServeMux's text.
func TestUnknownPages(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		b := e.browser()
		b.signIn(e.org)
		a := b.get("/console/nowhere")
		if a.status != http.StatusNotFound || !strings.Contains(a.body, "no such page") ||
			!strings.HasPrefix(a.header.Get("Content-Type"), "text/html") {
			t.Errorf("unknown path: %d %q %s", a.status, a.header.Get("Content-Type"), a.body)
		}
		req, err := http.NewRequest(http.MethodPut, e.srv.URL+"/console/clients", nil)
		if err != nil {
			t.Fatal(err)
		}
		a = b.do(req)
		if a.status != http.StatusMethodNotAllowed || !strings.Contains(a.body, "PUT is not allowed here") ||
			!strings.Contains(a.header.Get("Allow"), "POST") || a.header.Get("Content-Security-Policy") == "" {
			t.Errorf("PUT: %d, Allow %q, %s", a.status, a.header.Get("Allow"), a.body)
		}
	})
}
