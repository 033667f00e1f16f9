package console_test

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// mailLink is the console link in the newest mail to email, on the test
// server rather than the public URL the mail names.
func (e *env) mailLink(t *testing.T, email string) string {
	t.Helper()
	m := e.mailTo(t, email)
	link := regexp.MustCompile(regexp.QuoteMeta(publicURL) + `/console/\S+`).FindString(m.Body)
	if link == "" {
		t.Fatalf("no console link in the mail to %s: %s", email, m.Body)
	}
	return e.srv.URL + strings.TrimPrefix(link, publicURL)
}

// status selects the page's status message that says text.
func status(text string) string {
	return fmt.Sprintf(`//p[@role="status" and contains(normalize-space(), %q)]`, text)
}

// TestBrowserSignUp: in Chromium, a person goes from the sign-in page to
// create an account, follows the link the mail carries, verifies with
// their password and lands signed in on their account.
func TestBrowserSignUp(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		ctx := newTab(t)
		const email = "new.athlete@example.com"
		do(t, ctx, "the sign-up form",
			chromedp.EmulateViewport(1280, 720),
			chromedp.Navigate(e.srv.URL+"/console/sign-in"),
			chromedp.Click(link("Create account")),
			chromedp.WaitVisible(heading("Create account")),
			chromedp.SendKeys(field("Email"), email),
			chromedp.SendKeys(field("Display name"), "Nora Newcomer"),
			chromedp.SendKeys(field("Password"), newPassword))
		screenshot(t, ctx, "sign-up")
		do(t, ctx, "sign up",
			chromedp.Click(button("Create account")),
			chromedp.WaitVisible(status("Check your email")))
		do(t, ctx, "the mail's link",
			chromedp.Navigate(e.mailLink(t, email)),
			chromedp.WaitVisible(heading("Verify email")),
			chromedp.SendKeys(field("Password"), newPassword))
		if got := read(t, ctx, "the code", chromedp.Value(field("Code"))); !mailCode.MatchString(got) {
			t.Errorf("the code field holds %q", got)
		}
		screenshot(t, ctx, "verify-email")
		do(t, ctx, "verify",
			chromedp.Click(button("Verify email")),
			chromedp.WaitVisible(heading("My account")))
		if got := read(t, ctx, "the email shown", chromedp.Text(`//dl[@id="account"]/div[1]/dd`)); got != email {
			t.Errorf("signed in as %q", got)
		}
	}, withPublicURL)
}

// TestBrowserPasswordReset: in Chromium, the owner who forgot their
// password asks for a reset from the sign-in page, follows the mail's
// link, sets a new password and lands signed in on the clients list.
func TestBrowserPasswordReset(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		ctx := newTab(t)
		do(t, ctx, "the reset form",
			chromedp.EmulateViewport(1280, 720),
			chromedp.Navigate(e.srv.URL+"/console/sign-in"),
			chromedp.Click(link("Forgot password?")),
			chromedp.WaitVisible(heading("Forgot password")),
			chromedp.SendKeys(field("Email"), e.org.OwnerEmail))
		screenshot(t, ctx, "password-reset")
		do(t, ctx, "ask for a reset",
			chromedp.Click(button("Send reset link")),
			chromedp.WaitVisible(status("If an account has this email")))
		do(t, ctx, "the mail's link",
			chromedp.Navigate(e.mailLink(t, e.org.OwnerEmail)),
			chromedp.WaitVisible(heading("Set a new password")),
			chromedp.SendKeys(field("New password"), newPassword),
			chromedp.Click(button("Set password")),
			chromedp.WaitVisible(field("Search")))
		if a := e.trySignIn(e.org.OwnerEmail, newPassword); a.status != 303 {
			t.Errorf("the new password signs in: %d", a.status)
		}
	}, withPublicURL)
}

// athleteSignsIn signs in the athlete of addAthlete and waits for My
// account.
func athleteSignsIn(t *testing.T, ctx context.Context, e *env) {
	do(t, ctx, "sign in",
		chromedp.EmulateViewport(1280, 720),
		chromedp.Navigate(e.srv.URL+"/console/sign-in"),
		chromedp.SendKeys(field("Email"), athleteEmail),
		chromedp.SendKeys(field("Password"), password),
		chromedp.Click(button("Sign in")),
		chromedp.WaitVisible(heading("My account")))
}

// TestBrowserOwnProfiles: in Chromium, a person sees on My account the
// profile an organization linked, accepts another organization's request
// to link, and edits their own profile.
func TestBrowserOwnProfiles(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		a := e.addAthlete(t)
		ctx := newTab(t)
		athleteSignsIn(t, ctx, e)
		rows := `//table[@id="own-clients"]/tbody/tr`
		if n := read(t, ctx, "own profiles", chromedp.Evaluate[int](`document.querySelectorAll("#own-clients tbody tr").length`)); n != 1 {
			t.Fatalf("%d own profiles listed", n)
		}
		screenshot(t, ctx, "account-profiles")
		do(t, ctx, "accept the request",
			chromedp.Click(`//button[@aria-label="Accept the link request of Club `+e.other.OwnerEmail+`"]`),
			chromedp.WaitVisible(status("Linked")),
			chromedp.WaitVisible(rows+`[2]`))
		if own := e.ownClientUIDs(t, a.uid); len(own) != 2 {
			t.Errorf("own profiles after accepting: %v", own)
		}
		do(t, ctx, "edit the profile",
			chromedp.Click(`//a[@aria-label="Edit your profile at Club `+e.org.OwnerEmail+`"]`),
			chromedp.WaitVisible(field("Phone")),
			chromedp.SendKeys(field("Phone"), "+44 20 7946 0000"),
			chromedp.Click(button("Save")),
			chromedp.WaitVisible(status("Profile saved.")))
		c, err := e.st.Client(t.Context(), e.org.ID, a.profile.UID)
		if err != nil || c.Phone == nil || *c.Phone != "+44 20 7946 0000" {
			t.Errorf("stored phone: %v %v", c.Phone, err)
		}
	})
}

// TestBrowserSelfWidths: a person's own pages fit a 360 px phone and a
// 1440 px desktop.
func TestBrowserSelfWidths(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		a := e.addAthlete(t)
		ctx := newTab(t)
		fitsWidths(t, ctx, e.srv.URL, map[string]string{
			"/console/sign-in":                link("Forgot password?"),
			"/console/sign-up":                button("Create account"),
			"/console/verify-email?sent=1":    button("Verify email"),
			"/console/password-reset":         button("Send reset link"),
			"/console/password-reset/confirm": button("Set password"),
		})
		athleteSignsIn(t, ctx, e)
		fitsWidths(t, ctx, e.srv.URL, map[string]string{
			"/console/account": button("Accept"),
			"/console/account/clients/" + a.profile.UID + "/edit":   field("Weight"),
			"/console/account/clients/" + a.profile.UID + "/unlink": button("Unlink"),
			"/console/account/clients/" + a.profile.UID + "/delete": button("Delete profile"),
		})
	})
}
