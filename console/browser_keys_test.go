package console_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestBrowserAPIKeys: in Chromium, the owner creates an API key and sees
// its secret once, with the Copy button that copy.js shows under the
// Content-Security-Policy; revokes it after the confirmation; and reads the
// revocation in the audit log, filtered by its action. The new pages fit a
// phone and a desktop.
func TestBrowserAPIKeys(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		ctx := newTab(t)
		ownerSignsIn(t, ctx, e)

		do(t, ctx, "create a key",
			chromedp.Click(link("API keys")),
			chromedp.WaitVisible(field("Name")),
			chromedp.SendKeys(field("Name"), "Nightly export"),
			chromedp.Click(button("Create key")),
			chromedp.WaitVisible(`#secret`),
			chromedp.WaitVisible(button("Copy")))
		screenshot(t, ctx, "api-key-created")
		do(t, ctx, "copy it",
			chromedp.Click(button("Copy")),
			chromedp.WaitVisible(`//p[@data-copied-for="secret" and normalize-space()!=""]`))
		if said := read(t, ctx, "what Copy says", chromedp.Text(`//p[@data-copied-for="secret"]`)); said != "Copied." {
			t.Errorf("Copy says %q", said)
		}
		secret := read(t, ctx, "the secret", chromedp.Text(`#secret`))
		keys := e.keys(t, e.org.OwnerUID)
		if len(keys) != 2 || keys[0].Name != "Nightly export" || !strings.Contains(secret, keys[0].KeyID) {
			t.Fatalf("shown %q, stored %+v", secret, keys)
		}
		if s := e.apiStatus(t, secret, "/client-management/clients/"); s != 200 {
			t.Fatalf("the shown secret on the API: %d", s)
		}

		row := fmt.Sprintf(`//table[@id="keys"]//tr[td[contains(., %q)]]`, keys[0].KeyID)
		do(t, ctx, "the list again",
			chromedp.Click(link("API keys")),
			// The list page, not the answer to the creation it replaces.
			chromedp.WaitNotPresent(`#secret`),
			chromedp.WaitVisible(row))
		if body := read(t, ctx, "the page", chromedp.Text(`main`)); strings.Contains(body, secret) {
			t.Fatal("the secret is shown a second time")
		}
		do(t, ctx, "revoke it",
			chromedp.Click(row+`//a[normalize-space()="Revoke…"]`),
			chromedp.WaitVisible(heading("Revoke Nightly export?")),
			chromedp.Click(button("Revoke")),
			chromedp.WaitVisible(`//p[@role="status" and normalize-space()="API key revoked."]`))
		if left := e.keys(t, e.org.OwnerUID); len(left) != 1 || left[0].KeyID == keys[0].KeyID {
			t.Fatalf("after revoking, keys %+v", left)
		}
		if s := e.apiStatus(t, secret, "/client-management/clients/"); s != 401 {
			t.Fatalf("the revoked key on the API: %d", s)
		}

		entry := fmt.Sprintf(`//table[@id="audit"]//tr[td[@data-label="Target"]//a[normalize-space()=%q]]`, keys[0].KeyID)
		do(t, ctx, "the audit log",
			chromedp.Click(link("Audit log")),
			chromedp.WaitVisible(field("Action")),
			chromedp.SendKeys(field("Action"), "api_key.revoke"),
			chromedp.Click(button("Filter")),
			// The filtered page, not the whole log it replaces, which
			// lists the entry too: its field's value is the server's.
			chromedp.WaitVisible(`//input[@id="action" and @value="api_key.revoke"]`),
			chromedp.WaitVisible(entry))
		screenshot(t, ctx, "audit")
		rows := read(t, ctx, "the entries", chromedp.Text(`//table[@id="audit"]/tbody`))
		if n := strings.Count(rows, "api_key.revoke"); n != 1 || !strings.Contains(rows, e.org.OwnerUID) || strings.Contains(rows, "api_key.create") {
			t.Fatalf("the audit log filtered by api_key.revoke: %q", rows)
		}

		pages := map[string]string{
			"/console/api-keys": field("Name"),
			"/console/api-keys/" + e.keys(t, e.org.OwnerUID)[0].KeyID + "/revoke": button("Revoke"),
			"/console/audit":                                field("Target"),
			"/console/organization":                         `//dl[@id="organization"]`,
			"/console/api-keys/00000000000000000000/revoke": heading("Not Found"),
		}
		fitsWidths(t, ctx, e.srv.URL, pages)
		do(t, ctx, "a phone's width", chromedp.EmulateViewport(360, 800), chromedp.Navigate(e.srv.URL+"/console/organization"),
			chromedp.WaitVisible(`//dl[@id="organization"]`))
		screenshot(t, ctx, "organization-phone")
	})
}
