package console_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"roster"
	"roster/api"
	"roster/auth"
)

// publicURL is the public URL of the servers whose mail carries links.
const publicURL = "https://roster.example"

// withPublicURL gives the server a public URL, which links in mail may
// point to, as serve configures it.
func withPublicURL(c *api.Config) {
	c.PublicURL = publicURL
	origins, err := roster.NewLinkOrigins(publicURL)
	if err != nil {
		panic(err)
	}
	c.LinkOrigins = origins
}

var mailCode = regexp.MustCompile(`rvt_[0-9A-Za-z]+`)

// mailTo returns the newest unsent mail to email and marks it sent, as a
// sender would; t fails when there is none.
func (e *env) mailTo(t *testing.T, email string) roster.OutboxMessage {
	t.Helper()
	mails, err := e.st.UnsentMail(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	for i := len(mails) - 1; i >= 0; i-- {
		if m := mails[i]; m.To == email {
			if err := e.st.MarkMailSent(t.Context(), m.ID, e.clock.Now()); err != nil {
				t.Fatal(err)
			}
			return m
		}
	}
	t.Fatalf("no mail to %s among %d unsent", email, len(mails))
	return roster.OutboxMessage{}
}

// unsent is how many mails wait in the outbox.
func (e *env) unsent(t *testing.T) int {
	t.Helper()
	mails, err := e.st.UnsentMail(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return len(mails)
}

// postPublic posts a form of a page that anyone may open, with the page's
// CSRF token, from b, which is signed out (a signed-in page's first token
// is its sign-out form's).
func (b *browser) postPublic(page, path string, form url.Values) answer {
	b.e.t.Helper()
	form.Set("csrf", b.csrf(b.get(page)))
	return b.post(path, form)
}

// fieldError is the error the page shows next to the field named name.
func fieldError(body, name string) string {
	m := regexp.MustCompile(`<p class="field-error" id="` + name + `-error">([^<]*)</p>`).FindStringSubmatch(body)
	if m == nil {
		return ""
	}
	return m[1]
}

const newPassword = "another long and unusual passphrase"

func signUpForm(email, name, pw string) url.Values {
	return url.Values{"email": {email}, "display_name": {name}, "password": {pw}}
}

// TestSignUpForm: the sign-up form refuses a missing or bad field in the
// API's words next to it, and a post without its CSRF token; a good one
// mails a link to the console's verify page on the public URL, carrying
// where to go next, and answers the same whether or not the address has
// an account. Nothing is stored before the code comes back.
func TestSignUpForm(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		b := e.browser()
		page := b.get("/console/sign-up")
		for _, want := range []string{">Email</label>", ">Display name</label>", ">Password</label>", ">Create account</button>"} {
			if page.status != http.StatusOK || !strings.Contains(page.body, want) {
				t.Fatalf("sign-up page lacks %s: %d %s", want, page.status, page.body)
			}
		}
		if a := b.post("/console/sign-up", signUpForm("new@example.com", "New", password)); a.status != http.StatusForbidden {
			t.Errorf("no CSRF token: %d", a.status)
		}
		for _, c := range []struct{ email, name, pw, field string }{
			{"", "New", password, "email"},
			{"not-an-email", "New", password, "email"},
			{"new@example.com", "", password, "display_name"},
			{"new@example.com", "New", "", "password"},
			{"new@example.com", "New", "short", "password"},
		} {
			a := b.postPublic("/console/sign-up", "/console/sign-up", signUpForm(c.email, c.name, c.pw))
			if a.status != http.StatusBadRequest || fieldError(a.body, c.field) == "" {
				t.Errorf("%q %q %q: %d, %s error %q", c.email, c.name, c.pw, a.status, c.field, fieldError(a.body, c.field))
			}
			if c.email != "" && !strings.Contains(a.body, `value="`+c.email+`"`) {
				t.Errorf("%q: the typed email is lost", c.email)
			}
		}
		if n := e.unsent(t); n != 0 {
			t.Fatalf("%d mails after refused sign-ups", n)
		}

		const next = "/console/invitation?invite_token=abc"
		answers := map[string]answer{}
		for _, email := range []string{"new@example.com", e.org.OwnerEmail} {
			f := signUpForm(email, "New person", newPassword)
			f.Set("next", next)
			answers[email] = b.postPublic("/console/sign-up?next="+url.QueryEscape(next), "/console/sign-up", f)
		}
		fresh, taken := answers["new@example.com"], answers[e.org.OwnerEmail]
		wantTo := "/console/verify-email?" + url.Values{"next": {next}, "sent": {"1"}}.Encode()
		if fresh.status != http.StatusSeeOther || fresh.header.Get("Location") != wantTo {
			t.Fatalf("sign-up: %d %q %s; want 303 to %s", fresh.status, fresh.header.Get("Location"), fresh.body, wantTo)
		}
		if taken.status != fresh.status || taken.header.Get("Location") != fresh.header.Get("Location") || taken.body != fresh.body {
			t.Errorf("a taken address answers %d %q, a new one %d %q", taken.status, taken.header.Get("Location"),
				fresh.status, fresh.header.Get("Location"))
		}
		if m := e.mailTo(t, e.org.OwnerEmail); mailCode.MatchString(m.Body) {
			t.Errorf("the taken address got a code: %s", m.Body)
		}
		m := e.mailTo(t, "new@example.com")
		code := mailCode.FindString(m.Body)
		wantLink := publicURL + "/console/verify-email?" + url.Values{"next": {next}, "verify_token": {code}}.Encode()
		if code == "" || !strings.Contains(m.Body, wantLink) {
			t.Errorf("the mail does not link to %s: %s", wantLink, m.Body)
		}
		if a := e.trySignIn("new@example.com", newPassword); a.status != http.StatusUnauthorized {
			t.Errorf("an account signs in before its code came back: %d", a.status)
		}
		sent := b.get(wantTo)
		if !strings.Contains(sent.body, "Check your email") || !strings.Contains(sent.body, `name="next" value="`+next+`"`) {
			t.Errorf("the verify page after sign-up: %s", sent.body)
		}
	}, withPublicURL)
}

// TestSignUpCodeOnly: without a public URL, the mail carries the code
// only, and the verify page takes it pasted.
func TestSignUpCodeOnly(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		b := e.browser()
		a := b.postPublic("/console/sign-up", "/console/sign-up", signUpForm("new@example.com", "New", newPassword))
		if a.status != http.StatusSeeOther || a.header.Get("Location") != "/console/verify-email?sent=1" {
			t.Fatalf("sign-up: %d %q", a.status, a.header.Get("Location"))
		}
		m := e.mailTo(t, "new@example.com")
		if strings.Contains(m.Body, "http") || !mailCode.MatchString(m.Body) {
			t.Errorf("the mail without a public URL: %s", m.Body)
		}
		a = b.postPublic("/console/verify-email", "/console/verify-email",
			url.Values{"token": {mailCode.FindString(m.Body)}, "password": {newPassword}})
		if a.status != http.StatusSeeOther || a.header.Get("Location") != "/console/" {
			t.Fatalf("verify: %d %q %s", a.status, a.header.Get("Location"), a.body)
		}
	})
}

// TestVerifyEmailForm: the verify page takes the code from its link; a
// wrong code, a wrong password, an expired code and a post without its
// CSRF token are refused; the right ones verify the account, sign it in
// to the console and send it on to next.
func TestVerifyEmailForm(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		b := e.browser()
		signUp := func(email string) string {
			b.postPublic("/console/sign-up", "/console/sign-up", signUpForm(email, "New person", newPassword))
			return mailCode.FindString(e.mailTo(t, email).Body)
		}
		code := signUp("new@example.com")
		page := b.get("/console/verify-email?verify_token=" + code)
		for _, want := range []string{`value="` + code + `"`, ">Code</label>", ">Password</label>", ">Verify email</button>"} {
			if !strings.Contains(page.body, want) {
				t.Errorf("the verify page lacks %s: %s", want, page.body)
			}
		}
		const next = "/console/account"
		verify := func(code, pw string) answer {
			return b.postPublic("/console/verify-email", "/console/verify-email",
				url.Values{"token": {code}, "password": {pw}, "next": {next}})
		}
		if a := b.post("/console/verify-email", url.Values{"token": {code}, "password": {newPassword}}); a.status != http.StatusForbidden {
			t.Errorf("no CSRF token: %d", a.status)
		}
		if a := verify("rvt_wrong", newPassword); a.status != http.StatusBadRequest || fieldError(a.body, "token") == "" {
			t.Errorf("a wrong code: %d %q", a.status, fieldError(a.body, "token"))
		}
		if a := verify("", newPassword); a.status != http.StatusBadRequest || fieldError(a.body, "token") == "" {
			t.Errorf("no code: %d %q", a.status, fieldError(a.body, "token"))
		}
		if a := verify(code, password); a.status != http.StatusForbidden || !strings.Contains(a.body, "not the password chosen") {
			t.Errorf("a wrong password: %d %s", a.status, a.body)
		}
		if a := b.get("/console/account"); a.status != http.StatusSeeOther {
			t.Errorf("signed in after refusals: %d", a.status)
		}
		a := verify(code, newPassword)
		if a.status != http.StatusSeeOther || a.header.Get("Location") != next {
			t.Fatalf("verify: %d %q %s", a.status, a.header.Get("Location"), a.body)
		}
		acc := b.get("/console/account")
		if got := shownFieldsOf(acc.body); acc.status != http.StatusOK || got["Email"] != "new@example.com" || got["Display name"] != "New person" {
			t.Fatalf("account after verifying: %d %v", acc.status, got)
		}
		if strings.Contains(acc.body, "Resend verification mail") {
			t.Errorf("a verified account is offered a verification mail")
		}
		b = e.browser()
		if a := verify(code, newPassword); a.status != http.StatusBadRequest {
			t.Errorf("a used code: %d", a.status)
		}

		late := signUp("late@example.com")
		e.clock.Advance(roster.SignUpTTL + time.Second)
		if a := verify(late, newPassword); a.status != http.StatusBadRequest || fieldError(a.body, "token") == "" {
			t.Errorf("an expired code: %d %q", a.status, fieldError(a.body, "token"))
		}
		if a := e.trySignIn("late@example.com", newPassword); a.status != http.StatusUnauthorized {
			t.Errorf("an expired sign-up made an account: %d", a.status)
		}
	})
}

// TestResendVerification: a signed-in person whose email is not verified
// is offered a new verification mail, which links to the verify page.
func TestResendVerification(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		uid, err := e.st.CreateAccount(t.Context(), roster.NewAccount{Email: "unverified@example.com", DisplayName: "U",
			PasswordHash: e.passwordHash(t)})
		if err != nil {
			t.Fatal(err)
		}
		b := e.browser()
		token := b.signInAs("unverified@example.com")
		acc := b.get("/console/account")
		if !strings.Contains(acc.body, ">Resend verification mail</button>") {
			t.Fatalf("no resend offered: %s", acc.body)
		}
		if a := b.post("/console/account/verify-email/resend", url.Values{}); a.status != http.StatusForbidden {
			t.Errorf("no CSRF token: %d", a.status)
		}
		a := b.post("/console/account/verify-email/resend", url.Values{"csrf": {token}})
		if a.status != http.StatusSeeOther || a.header.Get("Location") != "/console/account?done=resent" {
			t.Fatalf("resend: %d %q %s", a.status, a.header.Get("Location"), a.body)
		}
		m := e.mailTo(t, "unverified@example.com")
		code := mailCode.FindString(m.Body)
		if !strings.Contains(m.Body, publicURL+"/console/verify-email?verify_token="+code) {
			t.Errorf("the mail: %s", m.Body)
		}
		a = e.browser().postPublic("/console/verify-email", "/console/verify-email", url.Values{"token": {code}, "password": {password}})
		if a.status != http.StatusSeeOther {
			t.Fatalf("verify: %d %s", a.status, a.body)
		}
		if !e.me(t, uid).EmailVerified {
			t.Errorf("not verified in the store")
		}
	}, withPublicURL)
}

// TestPasswordResetForm: asking for a reset answers the same whether or
// not the address has an account, and mails a link only to an account;
// a wrong, expired or weak confirmation is refused; the right one sets the
// password, signs the person in and the old password out.
func TestPasswordResetForm(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		b := e.browser()
		page := b.get("/console/password-reset")
		if !strings.Contains(page.body, ">Email</label>") || !strings.Contains(page.body, ">Send reset link</button>") {
			t.Fatalf("reset page: %s", page.body)
		}
		if a := b.post("/console/password-reset", url.Values{"email": {e.org.OwnerEmail}}); a.status != http.StatusForbidden {
			t.Errorf("no CSRF token: %d", a.status)
		}
		for _, email := range []string{"", "not-an-email"} {
			if a := b.postPublic("/console/password-reset", "/console/password-reset", url.Values{"email": {email}}); a.status != http.StatusBadRequest || fieldError(a.body, "email") == "" {
				t.Errorf("%q: %d %q", email, a.status, fieldError(a.body, "email"))
			}
		}
		known := b.postPublic("/console/password-reset", "/console/password-reset", url.Values{"email": {e.org.OwnerEmail}})
		unknown := b.postPublic("/console/password-reset", "/console/password-reset", url.Values{"email": {"nobody@example.com"}})
		if known.status != http.StatusSeeOther || known.header.Get("Location") != "/console/password-reset/confirm?sent=1" {
			t.Fatalf("reset: %d %q", known.status, known.header.Get("Location"))
		}
		if unknown.status != known.status || unknown.header.Get("Location") != known.header.Get("Location") || unknown.body != known.body {
			t.Errorf("an unknown address answers %d %q", unknown.status, unknown.header.Get("Location"))
		}
		if n := e.unsent(t); n != 1 {
			t.Errorf("%d mails; want the known address's only", n)
		}
		m := e.mailTo(t, e.org.OwnerEmail)
		code := mailCode.FindString(m.Body)
		if !strings.Contains(m.Body, publicURL+"/console/password-reset/confirm?reset_token="+code) {
			t.Errorf("the mail: %s", m.Body)
		}
		confirmPage := b.get("/console/password-reset/confirm?reset_token=" + code)
		for _, want := range []string{`value="` + code + `"`, ">Code</label>", ">New password</label>", ">Set password</button>"} {
			if !strings.Contains(confirmPage.body, want) {
				t.Errorf("the confirm page lacks %s", want)
			}
		}
		confirm := func(code, pw string) answer {
			return b.postPublic("/console/password-reset/confirm", "/console/password-reset/confirm",
				url.Values{"token": {code}, "new_password": {pw}})
		}
		if a := b.post("/console/password-reset/confirm", url.Values{"token": {code}, "new_password": {newPassword}}); a.status != http.StatusForbidden {
			t.Errorf("no CSRF token: %d", a.status)
		}
		if a := confirm("rvt_wrong", newPassword); a.status != http.StatusBadRequest || fieldError(a.body, "token") == "" {
			t.Errorf("a wrong code: %d %q", a.status, fieldError(a.body, "token"))
		}
		if a := confirm(code, "short"); a.status != http.StatusBadRequest || fieldError(a.body, "new_password") == "" {
			t.Errorf("a weak password: %d %q", a.status, fieldError(a.body, "new_password"))
		}
		if a := e.trySignIn(e.org.OwnerEmail, password); a.status != http.StatusSeeOther {
			t.Fatalf("the old password stopped working before the reset: %d", a.status)
		}
		a := confirm(code, newPassword)
		if a.status != http.StatusSeeOther || a.header.Get("Location") != "/console/" {
			t.Fatalf("confirm: %d %q %s", a.status, a.header.Get("Location"), a.body)
		}
		if a := b.get("/console/clients"); a.status != http.StatusOK {
			t.Errorf("not signed in after the reset: %d", a.status)
		}
		if a := e.trySignIn(e.org.OwnerEmail, password); a.status != http.StatusUnauthorized {
			t.Errorf("the old password after the reset: %d", a.status)
		}
		if a := e.trySignIn(e.org.OwnerEmail, newPassword); a.status != http.StatusSeeOther {
			t.Errorf("the new password: %d", a.status)
		}

		b = e.browser()
		b.postPublic("/console/password-reset", "/console/password-reset", url.Values{"email": {e.org.OwnerEmail}})
		late := mailCode.FindString(e.mailTo(t, e.org.OwnerEmail).Body)
		e.clock.Advance(roster.PasswordResetTTL + time.Second)
		if a := confirm(late, "yet another long unusual passphrase"); a.status != http.StatusBadRequest || fieldError(a.body, "token") == "" {
			t.Errorf("an expired code: %d %q", a.status, fieldError(a.body, "token"))
		}
	}, withPublicURL)
}

// TestSignInLinks: the sign-in page offers a password reset, and to create
// an account (coming back to next) only where sign-up is enabled.
func TestSignInLinks(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		page := e.browser().get("/console/sign-in?next=%2Fconsole%2Faccount")
		for _, want := range []string{`<a href="/console/password-reset">Forgot password?</a>`,
			`<a href="/console/sign-up?next=%2Fconsole%2Faccount">Create account</a>`} {
			if !strings.Contains(page.body, want) {
				t.Errorf("sign-in page lacks %s: %s", want, page.body)
			}
		}
	})
	each(t, func(t *testing.T, e *env) {
		b := e.browser()
		if page := b.get("/console/sign-in"); strings.Contains(page.body, "Create account") {
			t.Errorf("sign-up disabled, yet offered")
		}
		if a := b.get("/console/sign-up"); a.status != http.StatusForbidden || !strings.Contains(a.body, "sign-up is disabled") {
			t.Errorf("sign-up page when disabled: %d", a.status)
		}
	}, func(c *api.Config) { c.DisableSignup = true })
}

// passwordHash is the hash of the tests' password.
func (e *env) passwordHash(t *testing.T) string {
	t.Helper()
	hash, err := auth.HashPassword(password, testPasswordParams)
	if err != nil {
		t.Fatal(err)
	}
	return hash
}

// signInAs signs in an account with the tests' password and returns the
// CSRF token of the session's forms.
func (b *browser) signInAs(email string) string {
	b.e.t.Helper()
	a := b.postPublic("/console/sign-in", "/console/sign-in", url.Values{"email": {email}, "password": {password}})
	if a.status != http.StatusSeeOther {
		b.e.t.Fatalf("sign-in as %s: %d %s", email, a.status, a.body)
	}
	return b.csrf(b.get("/console/account"))
}
