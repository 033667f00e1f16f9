package console_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestBrowserImport: in Chromium, the owner imports a CSV with one bad row
// and sees the row's error in the table and that nothing was imported;
// is told that a .txt file is of no format; then imports 10,000 good rows, whose progress import.js shows from the
// API's progress lines, and sees the bar reach its end and the counts. The
// page fits a phone and a desktop, with and without a result.
func TestBrowserImport(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		ctx := newTab(t)
		unlimited(t, e)
		dir := t.TempDir()
		bad := writeFile(t, dir, "bad.csv", "email,display_name,age\nada@example.com,Ada Lovelace,36\nbad@example.com,Bad Age,200\n")
		var rows strings.Builder
		rows.WriteString("email,display_name\n")
		for i := range 10_000 {
			fmt.Fprintf(&rows, "athlete%d@example.com,Athlete %d\n", i, i)
		}
		good := writeFile(t, dir, "athletes.csv", rows.String())
		ownerSignsIn(t, ctx, e)

		ageError := `//table[@id="row-errors"]//tr[td[@data-label="Row" and .="2"] and td[@data-label="Field" and .="age"]]` +
			`/td[@data-label="Error" and normalize-space()="must be between 0 and 150"]`
		do(t, ctx, "import a file with a bad row",
			chromedp.Click(link("Import and export")),
			chromedp.WaitVisible(field("File")),
			chromedp.SetUploadFiles(field("File"), []string{bad}),
			chromedp.Click(button("Import")),
			chromedp.WaitVisible(ageError))
		screenshot(t, ctx, "import-export")
		said := read(t, ctx, "the outcome", chromedp.Text(`#import-failed`))
		if !strings.Contains(said, "1 of 2 rows is invalid, so nothing was imported") || !strings.Contains(said, "Nothing was imported") {
			t.Fatalf("the page says %q", said)
		}
		if n := e.clientCount(e.org); n != 0 {
			t.Fatalf("an import with a bad row stored %d clients", n)
		}
		fitsNow(t, ctx, "the row errors")

		// A refusal before the import begins is the console's page, which
		// import.js puts in place of its own, form included.
		notes := writeFile(t, dir, "notes.txt", "email,display_name\nada@example.com,Ada\n")
		refusal := `"notes.txt": the file's name ends neither in .csv nor in .ndjson; choose its format`
		do(t, ctx, "import a file of no format",
			chromedp.SetUploadFiles(field("File"), []string{notes}),
			chromedp.Click(button("Import")),
			chromedp.WaitVisible(`//p[@id="import-error" and contains(., "choose its format")]`),
			chromedp.WaitNotPresent(ageError))
		if said := read(t, ctx, "the refusal", chromedp.Text(`#import-error`)); said != refusal {
			t.Fatalf("the page says %q; want %q", said, refusal)
		}

		// The status line's every text, as import.js sets them: a progress
		// line of the API's shows as rows checked.
		read(t, ctx, "watch the status", chromedp.Evaluate[bool](`
			window.statuses = [];
			new MutationObserver(function (records) {
				records.forEach(function (r) { r.addedNodes.forEach(function (n) { window.statuses.push(n.textContent); }); });
			}).observe(document.getElementById("import-status"), {childList: true});
			true`))
		do(t, ctx, "import 10,000 rows",
			chromedp.SetUploadFiles(field("File"), []string{good}),
			chromedp.Click(button("Import")),
			chromedp.WaitVisible(`//dd[@id="imported" and .="10,000"]`))
		statuses := read(t, ctx, "the statuses", chromedp.Evaluate[[]string](`window.statuses`))
		bar := read(t, ctx, "the progress bar", chromedp.Evaluate[[2]float64](
			`[document.getElementById("import-progress").value, document.getElementById("import-progress").max]`))
		skipped := read(t, ctx, "the skipped", chromedp.Text(`#skipped`))
		if !slices.Contains(statuses, "Checked 10,000 rows…") || statuses[len(statuses)-1] != "Done." || bar != [2]float64{10_000, 10_000} || skipped != "0" {
			t.Fatalf("statuses %q, the bar at %v, skipped %q", statuses, bar, skipped)
		}
		if hidden := read(t, ctx, "the row errors' table", chromedp.Evaluate[bool](`document.getElementById("row-errors").hidden`)); !hidden {
			t.Error("the row errors of the earlier import are still shown")
		}
		if n := e.clientCount(e.org); n != 10_000 {
			t.Fatalf("stored %d clients", n)
		}
		fitsNow(t, ctx, "the counts")

		fitsWidths(t, ctx, e.srv.URL, map[string]string{"/console/import-export": field("File")})
	})
}

func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// fitsNow fails t where the page as it is, not reloaded, scrolls sideways
// at a phone's width or a desktop's.
func fitsNow(t *testing.T, ctx context.Context, what string) {
	t.Helper()
	for _, width := range []int64{360, 1440} {
		do(t, ctx, fmt.Sprintf("%s at %d px", what, width), chromedp.EmulateViewport(width, 800))
		size := read(t, ctx, "the page's width", chromedp.Evaluate[[2]int64](
			`[document.documentElement.scrollWidth, window.innerWidth]`))
		if size[0] > size[1] {
			t.Errorf("%s at %d px: %d px wide in a %d px window", what, width, size[0], size[1])
		}
	}
	do(t, ctx, "a desktop's width", chromedp.EmulateViewport(1280, 720))
}
