package console_test

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"roster"
	"roster/photo"
)

// TestBrowserClient: in Chromium, the owner creates a client with a photo,
// sees it previewed before saving and then as the client page's thumbnail,
// sees charts of the measures it has a history of, records an analysis
// session and sees it listed, is refused a session
// without a number of seconds and an edit with a bad age and a file that
// is no image, each error next to its field, and replaces the photo from
// the client's page. The screen fits a phone and a desktop.
//
// Its file sorts after browser_test.go, so that its client.png, with the
// photo, the charts and the sessions, is the one docs/console keeps.
func TestBrowserClient(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		ctx := newTab(t)
		e.setQuota(t, 10)
		dir := t.TempDir()
		files := map[string][]byte{"ada.png": pngOf(t, 480, 360), "new.jpg": jpegOf(t, 300, 300), "notes.txt": []byte("not an image")}
		for name, b := range files {
			if err := os.WriteFile(filepath.Join(dir, name), b, 0o600); err != nil {
				t.Fatal(err)
			}
		}
		file := func(name string) []string { return []string{filepath.Join(dir, name)} }
		ownerSignsIn(t, ctx, e)

		do(t, ctx, "a new client with a photo",
			chromedp.Click(link("New client")),
			chromedp.WaitVisible(field("Display name")),
			chromedp.SendKeys(field("Email"), "ada@example.com"),
			chromedp.SendKeys(field("Display name"), "Ada Lovelace"),
			chromedp.SendKeys(field("Age"), "36"),
			chromedp.SetValue(field("Gender"), "female"),
			chromedp.SendKeys(field("Height"), "168"),
			chromedp.SendKeys(field("Weight"), "61.5"),
			chromedp.Click(field("Running")),
			chromedp.SetUploadFiles(field("Photo"), file("ada.png")),
			chromedp.Poll[chromedp.Void](`document.getElementById("photo-preview").naturalWidth > 0`, chromedp.WithPollingTimeout(0)))
		preview := read(t, ctx, "the preview", chromedp.Evaluate[[3]any](
			`(p => [p.src.slice(0, 5), p.naturalWidth, p.hidden])(document.getElementById("photo-preview"))`))
		if preview[0] != "blob:" || preview[1] != float64(480) || preview[2] != false {
			t.Fatalf("the preview (src, width, hidden): %v", preview)
		}
		screenshot(t, ctx, "client-new")

		do(t, ctx, "save and see the thumbnail",
			chromedp.Click(button("Save")),
			chromedp.WaitVisible(heading("Ada Lovelace")),
			chromedp.Poll[chromedp.Void](`(i => i && i.complete && i.naturalWidth > 0)(document.querySelector("img.thumb"))`,
				chromedp.WithPollingTimeout(0)))
		thumb := read(t, ctx, "the thumbnail", chromedp.Evaluate[[2]int64](
			`(i => [i.naturalWidth, i.naturalHeight])(document.querySelector("img.thumb"))`))
		if thumb != [2]int64{photo.ThumbSide, photo.ThumbSide * 3 / 4} {
			t.Fatalf("the thumbnail shown is %v pixels", thumb)
		}
		ada := e.onlyClientNamed(t, "Ada Lovelace")
		if !strings.HasSuffix(ada.ProfilePhoto, ".png") {
			t.Fatalf("stored photo %q", ada.ProfilePhoto)
		}

		// Earlier weigh-ins join the weight's history (a newer one already
		// holds its current value), so that its chart draws a line.
		for i, w := range []float64{64.2, 63.5, 63.1, 62.4, 62} {
			at := e.clock.Now().AddDate(0, 0, -7*(5-i))
			m := roster.Metric{UID: roster.NewUID(at), Field: "weight", Value: w, RecordedAt: at, RecordedBy: e.org.OwnerUID}
			if err := e.st.RecordMetric(t.Context(), e.org.ID, ada.UID, m); err != nil {
				t.Fatal(err)
			}
		}

		do(t, ctx, "record a session",
			chromedp.SetValue(field("Activity"), "Running"),
			chromedp.SendKeys(field("Duration"), "1800"),
			chromedp.SendKeys(field("Metrics"), `{"cadence": 172, "stride_m": 1.21}`),
			chromedp.Click(button("Record session")),
			chromedp.WaitVisible(`//p[@role="status" and normalize-space()="Analysis session recorded."]`))
		row := read(t, ctx, "the sessions listed", chromedp.Text(chromedp.CSS("table.sessions tbody")))
		if !strings.Contains(row, "Running") || !strings.Contains(row, "1800 s (30m0s)") || !strings.Contains(row, `"cadence":172`) {
			t.Fatalf("the sessions list shows %q", row)
		}
		if got := e.sessionsOf(t, ada.UID); len(got) != 1 || got[0].Duration != 1800 {
			t.Fatalf("stored sessions %+v", got)
		}
		left := read(t, ctx, "the quota", chromedp.Text(chromedp.ID("sessions-left")))
		if left != "9 analysis sessions left" {
			t.Errorf("the page says %q", left)
		}
		charts := read(t, ctx, "the charts", chromedp.Evaluate[[]string](
			`[...document.querySelectorAll("figure.chart figcaption")].map(c => c.textContent + " " + c.previousElementSibling.querySelectorAll("circle").length)`))
		if want := []string{"Height history 1", "Weight history 6"}; !slices.Equal(charts, want) {
			t.Errorf("the charts (title, points): %q, want %q", charts, want)
		}
		screenshot(t, ctx, "client")

		do(t, ctx, "a session of no seconds",
			chromedp.SetValue(field("Activity"), "Running"),
			chromedp.SendKeys(field("Duration"), "half an hour"),
			chromedp.Click(button("Record session")),
			chromedp.WaitVisible(`//*[@id="session-duration-error"]`))
		screenshot(t, ctx, "session")
		msg := read(t, ctx, "the duration's error", chromedp.Text(`//*[@id="session-duration-error"]`))
		kept := read(t, ctx, "the duration", chromedp.Value(field("Duration")))
		if msg != "duration: must be a number of seconds" || kept != "half an hour" {
			t.Errorf("the duration's error %q, value kept %q", msg, kept)
		}
		if got := e.sessionsOf(t, ada.UID); len(got) != 1 {
			t.Errorf("a refused session was stored: %d sessions", len(got))
		}

		do(t, ctx, "edit with a bad age and a file that is no image",
			chromedp.Click(link("Edit")),
			chromedp.WaitVisible(field("Age")),
			chromedp.WaitVisible(`//img[@alt="Current photo"]`),
			chromedp.Clear(field("Age")),
			chromedp.SendKeys(field("Age"), "200"),
			chromedp.SetUploadFiles(field("Photo"), file("notes.txt")),
			chromedp.Click(button("Save")),
			chromedp.WaitVisible(`//*[@id="age-error"]`),
			chromedp.WaitVisible(`//*[@id="profile_photo-error"]`))
		ageError := read(t, ctx, "the age's error", chromedp.Text(`//*[@id="age-error"]`))
		photoError := read(t, ctx, "the photo's error", chromedp.Text(`//*[@id="profile_photo-error"]`))
		if ageError != "age: must be between 0 and 150" || photoError != "profile_photo: must be a JPEG or PNG image" {
			t.Errorf("errors next to the fields: %q, %q", ageError, photoError)
		}
		if got := e.storedClient(t, ada.UID); got.ProfilePhoto != ada.ProfilePhoto || *got.Age != 36 {
			t.Errorf("the refused edit stored photo %q, age %d", got.ProfilePhoto, *got.Age)
		}

		do(t, ctx, "replace the photo from the client's page",
			chromedp.Click(link("Cancel")),
			chromedp.WaitVisible(heading("Ada Lovelace")),
			chromedp.SetUploadFiles(field("Photo"), file("new.jpg")),
			chromedp.Click(button("Replace photo")),
			chromedp.WaitVisible(`//p[@role="status" and normalize-space()="Photo saved."]`),
			chromedp.Poll[chromedp.Void](`(i => i && i.complete && i.naturalWidth === 256)(document.querySelector("img.thumb"))`,
				chromedp.WithPollingTimeout(0)))
		if got := e.storedClient(t, ada.UID).ProfilePhoto; !strings.HasSuffix(got, ".jpg") {
			t.Errorf("after replacing, stored photo %q", got)
		}

		page := "/console/clients/" + ada.UID
		fitsWidths(t, ctx, e.srv.URL, map[string]string{
			page:                                `//img[@class="thumb"]`,
			page + "/edit":                      field("Photo"),
			page + "?sessions_after=" + ada.UID: field("Duration"),
		})
	})
}
