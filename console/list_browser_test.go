package console_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"roster"
)

// TestBrowserClientList searches, filters and sorts the clients list in
// Chromium and pages forward, and checks that the list and its error and
// notice fit a phone and a desktop. Its screenshot of the list is the
// README's clients.png (this file runs after browser_test.go's, which
// takes one of a list of two).
func TestBrowserClientList(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		ctx := newTab(t)
		// Of the 29 runners, 23 are women, 21 of whom run: a page and one
		// more. Walker is no runner.
		for i := 1; i <= 26; i++ {
			fields, err := roster.NewClientFields(map[string]any{"email": fmt.Sprintf("runner%02d@example.com", i),
				"display_name": fmt.Sprintf("Runner %02d", i), "gender": map[bool]string{true: "male", false: "female"}[i%4 == 0],
				"preferable_activities": map[bool][]any{true: {"Weightlifting"}, false: {"Running", "Mobility Assessment"}}[i%6 == 0]})
			if err != nil {
				t.Fatal(err)
			}
			c := roster.NewClient(e.org.OwnerUID, fields, e.clock.Now())
			if err := e.st.CreateClient(t.Context(), e.org.ID, &c); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := e.st.UpdateOrganization(t.Context(), e.org.UID, roster.OrganizationUpdate{SessionNumber: ptr(int64(10))}); err != nil {
			t.Fatal(err)
		}
		for i := 27; i <= 29; i++ {
			uid, _ := e.createWithPhoto(t, map[string]string{"email": fmt.Sprintf("runner%02d@example.com", i),
				"display_name": fmt.Sprintf("Runner %02d", i), "gender": "female", "preferable_activities": `["Running"]`})
			s := &roster.AnalysisSession{UID: roster.NewUID(e.clock.Now()), Activity: "Running", Duration: 60,
				Time: time.Date(2026, 3, i-20, 7, 15, 0, 0, time.UTC), CreatedBy: e.org.OwnerUID, CreatedAt: e.clock.Now()}
			if _, err := e.st.RecordAnalysisSession(t.Context(), e.org.ID, uid, s); err != nil {
				t.Fatal(err)
			}
		}
		e.addClient(e.org, "walker@example.com", "Walker")
		ownerSignsIn(t, ctx, e)

		// The first row is waited for with its name, not read once the
		// page shows: a read that meets the next page's load fails with
		// "Cannot find context with specified id".
		firstRow := func(name string) string {
			return `//table[@class="list"]/tbody/tr[1]/td[@data-label="Name" and normalize-space()="` + name + `"]`
		}
		do(t, ctx, "search, filter and sort",
			chromedp.SendKeys(field("Search"), "runner"),
			chromedp.Click(button("Apply")),
			chromedp.WaitVisible(`//p[@id="total" and normalize-space()="29 clients matching “runner”"]`),
			chromedp.SendKeys(field("Gender"), "f"),
			chromedp.WaitVisible(`//p[@id="total" and normalize-space()="23 clients matching “runner”"]`),
			chromedp.SendKeys(field("Activity"), "r"),
			chromedp.WaitVisible(`//p[@id="total" and normalize-space()="21 clients matching “runner”"]`),
			chromedp.SetValue(field("Sort"), "display_name:desc"),
			chromedp.Click(button("Apply")),
			chromedp.WaitVisible(`//th[@aria-sort="descending" and normalize-space()="Name"]`))
		do(t, ctx, "the first woman who runs by name, Z to A: Runner 29", chromedp.WaitVisible(firstRow("Runner 29")))
		screenshot(t, ctx, "clients")

		do(t, ctx, "the next page, from Runner 01",
			chromedp.Click(link("Next →")),
			chromedp.WaitVisible(link("← Previous")),
			chromedp.WaitVisible(firstRow("Runner 01")))
		rows := read(t, ctx, "the second page", chromedp.Text(chromedp.CSS("table.list tbody")))
		location := read(t, ctx, "the location", chromedp.Location())
		if strings.Contains(rows, "Runner 02") ||
			!strings.Contains(location, "after=") || !strings.Contains(location, "q=runner") || !strings.Contains(location, "sort=display_name%3Adesc") {
			t.Fatalf("the second page at %s: %q", location, rows)
		}
		total := read(t, ctx, "the total", chromedp.Text(`//p[@id="total"]`))
		if total != "21 clients matching “runner”" {
			t.Fatalf("the second page's total: %q", total)
		}

		fitsWidths(t, ctx, e.srv.URL, map[string]string{
			"/console/clients?q=runner&gender=female&activity=Running&sort=display_name:desc": `//table[@class="list"]//img`,
			"/console/clients?from=2026-02-30":                                                `//*[@id="list-error"]`,
			"/console/clients?created_by=" + e.other.OwnerUID:                                 `//*[@id="list-notice"]`,
		})
	})
}
