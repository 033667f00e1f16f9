package console_test

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"roster/auth"
)

// TestBrowserAccount: in Chromium, the owner opens My account from the
// menu, is refused a weak new password with the API's words next to the
// field, and saves a new display name, which the page then shows.
func TestBrowserAccount(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		ctx := newTab(t)
		ownerSignsIn(t, ctx, e)

		do(t, ctx, "a weak new password",
			chromedp.Click(link("My account")),
			chromedp.WaitVisible(field("New password")),
			chromedp.SendKeys(field("Current password"), password),
			chromedp.SendKeys(field("New password"), "short"),
			chromedp.Click(button("Change password")),
			chromedp.WaitVisible(`//*[@id="new_password-error"]`))
		screenshot(t, ctx, "account-error")
		want := "new_password: " + strings.TrimPrefix(auth.CheckNewPassword("short", e.org.OwnerEmail, "").Error(), "password: ")
		if got := read(t, ctx, "the password's error", chromedp.Text(`//*[@id="new_password-error"]`)); got != want {
			t.Errorf("the weak password's error: %q; want the API's %q", got, want)
		}

		do(t, ctx, "a new display name",
			chromedp.Clear(field("Display name")),
			chromedp.SendKeys(field("Display name"), "Coach Carter"),
			chromedp.Click(button("Save name")),
			chromedp.WaitVisible(`//p[@role="status" and normalize-space()="Display name saved."]`))
		if got := read(t, ctx, "the name shown", chromedp.Text(`//dl[@id="account"]/div[2]/dd`)); got != "Coach Carter" {
			t.Errorf("the page shows the name %q", got)
		}
		if got := e.me(t, e.org.OwnerUID).DisplayName; got != "Coach Carter" {
			t.Errorf("stored name %q", got)
		}
	})
}
