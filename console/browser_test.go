package console_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/chromedp/chromedp"

	"roster"
	"roster/clocktest"
)

// The browser tests drive a headless Chromium (Debian's chromium package)
// through the console as a person would: by the labels and the names of
// fields, links and buttons, which are the console's contract. Each waits
// for what a page shows, bounded only by the test's deadline, never by a
// fixed time.

// chrome is the one browser the tests share; each test has a browser
// context of its own, with its own cookies.
var chrome struct {
	once   sync.Once
	ctx    context.Context // the browser's; nil when it could not start
	cancel func()
	err    error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if chrome.cancel != nil {
		chrome.cancel()
	}
	os.Exit(code)
}

// chromiumPath finds Chromium: Debian's chromium, or another build on PATH.
func chromiumPath() (string, error) {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("no chromium on PATH (apt-get install chromium)")
}

// newTab returns a fresh browser context of the shared browser, done when t
// ends or at t's deadline. Without Chromium the test skips, or fails under
// CI, which must run it.
func newTab(t *testing.T) context.Context {
	t.Helper()
	chrome.once.Do(func() {
		path, err := chromiumPath()
		if err != nil {
			chrome.err = err
			return
		}
		opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(path),
			chromedp.NoSandbox, // CI runs as root, where Chromium's sandbox cannot start
			chromedp.Flag("disable-dev-shm-usage", true))
		alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
		ctx, cancel := chromedp.NewContext(alloc)
		if err := chromedp.Do(ctx); err != nil {
			cancel()
			cancelAlloc()
			chrome.err = err
			return
		}
		chrome.ctx, chrome.cancel = ctx, func() { cancel(); cancelAlloc() }
	})
	if chrome.err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("the console's browser tests need Chromium: %v", chrome.err)
		}
		t.Skipf("the console's browser tests need Chromium: %v", chrome.err)
	}
	ctx, cancel := chromedp.NewContext(chrome.ctx, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	ctx, cancelDeadline := context.WithDeadline(ctx, clocktest.Deadline(t))
	t.Cleanup(cancelDeadline)
	return ctx
}

// field selects the form field whose label says label.
func field(label string) string {
	return fmt.Sprintf(`//*[@id=//label[normalize-space(text())=%q]/@for]`, label)
}

func button(name string) string { return fmt.Sprintf(`//button[normalize-space()=%q]`, name) }
func link(name string) string   { return fmt.Sprintf(`//a[normalize-space()=%q]`, name) }
func heading(text string) string {
	return fmt.Sprintf(`//h1[normalize-space()=%q]`, text)
}

// do runs a step's actions, failing t if one fails.
func do(t *testing.T, ctx context.Context, step string, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(ctx, actions...); err != nil {
		t.Fatalf("%s: %v", step, err)
	}
}

// read runs an action that reads the page, failing t if it fails.
func read[T any](t *testing.T, ctx context.Context, what string, a chromedp.Action[T]) T {
	t.Helper()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	return v
}

// TestBrowser walks the console in Chromium: sign in, create a client,
// find it by search and by a filter, edit it with a bad value and see the
// API's error next to the field, and meet another organization's client as
// the API's 404.
func TestBrowser(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		ctx := newTab(t)
		e.addClient(e.org, "grace@example.com", "Grace Hopper")
		theirs := e.addClient(e.other, "theirs@example.com", "Their Client")

		do(t, ctx, "the sign-in page",
			chromedp.EmulateViewport(1280, 720),
			chromedp.Navigate(e.srv.URL+"/console/clients"),
			chromedp.WaitVisible(field("Email")))
		screenshot(t, ctx, "sign-in")
		do(t, ctx, "sign in",
			chromedp.SendKeys(field("Email"), e.org.OwnerEmail),
			chromedp.SendKeys(field("Password"), password),
			chromedp.Click(button("Sign in")),
			chromedp.WaitVisible(field("Search")))

		do(t, ctx, "create a client",
			chromedp.Click(link("New client")),
			chromedp.WaitVisible(field("Display name")),
			chromedp.SendKeys(field("Email"), "ada@example.com"),
			chromedp.SendKeys(field("Display name"), "Ada Lovelace"),
			chromedp.SendKeys(field("Phone"), "+44 20 7946 0000"),
			chromedp.SendKeys(field("Age"), "36"),
			chromedp.SetValue(field("Gender"), "female"),
			chromedp.SendKeys(field("Height"), "170.5"),
			chromedp.Click(field("Running")),
			chromedp.Click(button("Save")),
			chromedp.WaitVisible(heading("Ada Lovelace")))
		ada := e.onlyClientNamed(t, "Ada Lovelace")
		if ada.Email != "ada@example.com" || ada.Age == nil || *ada.Age != 36 || ada.Gender == nil || *ada.Gender != "female" ||
			ada.Height == nil || *ada.Height != 170.5 || strings.Join(ada.PreferableActivities, ",") != "Running" {
			t.Fatalf("stored %+v", ada.ClientFields)
		}

		rowsShown := chromedp.Text(chromedp.CSS("table.list tbody"))
		do(t, ctx, "search",
			chromedp.Click(link("Clients")),
			chromedp.WaitVisible(field("Search")),
			chromedp.SendKeys(field("Search"), "lovelace"),
			chromedp.Click(button("Apply")),
			chromedp.WaitVisible(`//p[@id="total" and starts-with(normalize-space(), "1 client ")]`))
		if rows := read(t, ctx, "the list", rowsShown); !strings.Contains(rows, "Ada Lovelace") ||
			!strings.Contains(rows, "ada@example.com") || !strings.Contains(rows, "Running") || strings.Contains(rows, "Grace") {
			t.Fatalf("search for lovelace lists %q", rows)
		}

		// The filters apply on change through console.js, which the
		// Content-Security-Policy lets run: choosing a gender from the
		// keyboard lists its clients, without the Apply button.
		do(t, ctx, "the whole list",
			chromedp.Click(link("Clients")),
			chromedp.WaitVisible(`//p[@id="total" and normalize-space()="2 clients"]`))
		if os.Getenv("ROSTER_CONSOLE_SCREENSHOTS") != "" {
			do(t, ctx, "a phone's width", chromedp.EmulateViewport(360, 720))
			screenshot(t, ctx, "clients-phone")
			do(t, ctx, "a desktop's width", chromedp.EmulateViewport(1280, 720))
		}
		do(t, ctx, "filter by gender",
			chromedp.SendKeys(field("Gender"), "f"),
			chromedp.WaitVisible(`//p[@id="total" and normalize-space()="1 client"]`))
		location, rows := read(t, ctx, "the location", chromedp.Location()), read(t, ctx, "the list", rowsShown)
		if !strings.Contains(location, "gender=female") || !strings.Contains(rows, "Ada Lovelace") {
			t.Fatalf("filtered by gender at %s: %q", location, rows)
		}

		do(t, ctx, "edit with a bad value",
			chromedp.Click(link("Ada Lovelace")),
			chromedp.WaitVisible(heading("Ada Lovelace")),
			chromedp.Click(link("Edit")),
			chromedp.WaitVisible(field("Age")),
			chromedp.Clear(field("Age")),
			chromedp.SendKeys(field("Age"), "200"),
			chromedp.Click(button("Save")),
			chromedp.WaitVisible(`//*[@id="age-error"]`))
		screenshot(t, ctx, "edit-error")
		ageError := read(t, ctx, "the age's error", chromedp.Text(`//*[@id="age-error"]`))
		ageValue := read(t, ctx, "the age", chromedp.Value(field("Age")))
		described := read(t, ctx, "the age's description", chromedp.AttributeValue(field("Age"), "aria-describedby"))
		if ageError != "age: must be between 0 and 150" || ageValue != "200" || described.Value != "age-error" {
			t.Fatalf("age error %q, value kept %q, described by %q", ageError, ageValue, described.Value)
		}
		if got := e.onlyClientNamed(t, "Ada Lovelace"); got.Age == nil || *got.Age != 36 {
			t.Fatalf("the refused edit stored age %v", got.Age)
		}

		do(t, ctx, "correct and save",
			chromedp.Clear(field("Age")),
			chromedp.SendKeys(field("Age"), "37"),
			chromedp.Clear(field("Display name")),
			chromedp.SendKeys(field("Display name"), "Augusta Ada King"),
			chromedp.Click(button("Save")),
			chromedp.WaitVisible(heading("Augusta Ada King")))
		if got := e.onlyClientNamed(t, "Augusta Ada King"); got.Age == nil || *got.Age != 37 || got.UID != ada.UID {
			t.Fatalf("saved %+v", got)
		}

		_, apiMsg := e.apiGet(t, "/client-management/clients/"+theirs.UID)
		do(t, ctx, "another organization's client",
			chromedp.Navigate(e.srv.URL+"/console/clients/"+theirs.UID),
			chromedp.WaitVisible(heading("Not Found")))
		if shown := read(t, ctx, "the error", chromedp.Text(chromedp.ID("error-message"))); shown != apiMsg {
			t.Fatalf("another organization's client: %q; want the API's %q", shown, apiMsg)
		}
	})
}

// screenshot saves a PNG of the whole page as name in the directory
// ROSTER_CONSOLE_SCREENSHOTS names, when it names one: the README's
// pictures of the console (docs/console) come from there.
func screenshot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	dir := os.Getenv("ROSTER_CONSOLE_SCREENSHOTS")
	if dir == "" {
		return
	}
	png := read(t, ctx, "a screenshot", chromedp.FullScreenshot(100))
	if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
		t.Fatal(err)
	}
}

// onlyClientNamed returns the organization's one client with that name.
func (e *env) onlyClientNamed(t *testing.T, name string) roster.Client {
	t.Helper()
	page, err := e.st.ClientPage(t.Context(), e.org.ID, roster.ClientQuery{Search: name}, 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Clients) != 1 {
		t.Fatalf("%d clients named %q", len(page.Clients), name)
	}
	return page.Clients[0]
}

// TestBrowserWidths: every page fits a 360 px phone and a 1440 px desktop
// without scrolling sideways.
func TestBrowserWidths(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		ctx := newTab(t)
		c := e.addClient(e.org, "a.very.long.address.of.an.athlete@example.com", "Maximiliane Ottilie Wilhelmine Weißenfels-Hohenberg")
		ownerSignsIn(t, ctx, e)
		pages := map[string]string{
			"/console/clients":                      field("Search"),
			"/console/clients/new":                  field("Display name"),
			"/console/clients/" + c.UID:             `//h1`,
			"/console/clients/" + c.UID + "/edit":   field("Weight"),
			"/console/clients/" + c.UID + "/delete": button("Delete"),
			"/console/clients/00000000000000000000": heading("Not Found"),
			"/console/account":                      field("New password"),
			"/console/account/delete":               button("Delete my account"),
		}
		fitsWidths(t, ctx, e.srv.URL, pages)
	})
}

// fitsWidths opens each page, waiting for what it shows, at a phone's
// width and a desktop's, and fails t where one scrolls sideways.
func fitsWidths(t *testing.T, ctx context.Context, base string, pages map[string]string) {
	for _, width := range []int64{360, 1440} {
		for path, shown := range pages {
			do(t, ctx, fmt.Sprintf("%s at %d px", path, width),
				chromedp.EmulateViewport(width, 800),
				chromedp.Navigate(base+path),
				chromedp.WaitVisible(shown))
			size := read(t, ctx, "the page's width", chromedp.Evaluate[[2]int64](
				`[document.documentElement.scrollWidth, window.innerWidth]`))
			if size[0] > size[1] {
				t.Errorf("%s at %d px: %d px wide in a %d px window", path, width, size[0], size[1])
			}
		}
	}
}

// ownerSignsIn signs the owner of e's organization in, in a desktop's
// window, and waits for the clients list.
func ownerSignsIn(t *testing.T, ctx context.Context, e *env) {
	do(t, ctx, "sign in",
		chromedp.EmulateViewport(1280, 720),
		chromedp.Navigate(e.srv.URL+"/console/sign-in"),
		chromedp.WaitVisible(field("Email")),
		chromedp.SendKeys(field("Email"), e.org.OwnerEmail),
		chromedp.SendKeys(field("Password"), password),
		chromedp.Click(button("Sign in")),
		chromedp.WaitVisible(field("Search")))
}
