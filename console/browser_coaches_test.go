package console_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestBrowserCoachesAndNotes: in Chromium, the owner assigns a coach from
// the client's page and adds a note for the coaches only, which the note
// history lists with its author and visibility; the page, with both, fits
// a phone and a desktop, the staff page with its scopes too.
func TestBrowserCoachesAndNotes(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		ctx := newTab(t)
		coach := e.addAdmin(t, e.org, "coach@example.com")
		c := e.addClient(e.org, "ada@example.com", "Ada Lovelace")
		page := "/console/clients/" + c.UID
		ownerSignsIn(t, ctx, e)

		do(t, ctx, "assign a coach",
			chromedp.Navigate(e.srv.URL+page),
			chromedp.WaitVisible(heading("Ada Lovelace")),
			chromedp.SetValue(field("Staff member"), coach.OwnerUID),
			chromedp.Click(button("Assign coach")),
			chromedp.WaitVisible(`//p[@role="status" and normalize-space()="Coach assigned."]`))
		if got := e.coachUIDs(t, c.UID); !slices.Equal(got, []string{coach.OwnerUID}) {
			t.Fatalf("stored coaches %v", got)
		}
		coaches := read(t, ctx, "the coaches", chromedp.Text(chromedp.CSS("ul.coaches")))
		if !strings.Contains(coaches, "Admin (coach@example.com)") {
			t.Errorf("the coaches listed: %q", coaches)
		}

		do(t, ctx, "add a note for the coaches",
			chromedp.SendKeys(field("New note"), "Ankle: rest a week"),
			chromedp.Click(`//input[@name="visibility" and @value="coaches"]`),
			chromedp.Click(button("Add note")),
			chromedp.WaitVisible(`//p[@role="status" and normalize-space()="Note added."]`))
		row := read(t, ctx, "the note history", chromedp.Text(chromedp.CSS("table.notes tbody")))
		if !strings.Contains(row, "Ankle: rest a week") || !strings.Contains(row, "coaches") || !strings.Contains(row, e.org.OwnerEmail) {
			t.Errorf("the note history shows %q", row)
		}
		if cl := e.storedClient(t, c.UID); cl.Note != nil {
			t.Errorf("a coaches' note became the client's note: %+v", cl.Note)
		}

		fitsWidths(t, ctx, e.srv.URL, map[string]string{
			page:             `//table[@class="list notes"]`,
			"/console/staff": `//table[@id="members"]`,
		})
	})
}
