package console_test

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"mime/multipart"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"roster"
	"roster/internal/csvtest"
	"roster/store/storetest"
)

// upload posts the import form as a browser sends it: the CSRF token
// (none when token is ""), the mode and the format, then the file, as
// multipart/form-data, streamed.
func (b *browser) upload(token, mode, format, filename string, file io.Reader, header ...string) answer {
	b.e.t.Helper()
	return b.uploadForm(uploadForm{token: token, mode: mode, format: format, filename: filename, file: file}, header...)
}

// uploadForm is the import form a browser posts. Its epilogue follows the
// form's end, where a multipart reader stops: a body the handler leaves
// unread.
type uploadForm struct {
	token, mode, format, filename string
	file                          io.Reader
	epilogue                      string
	claimLinks                    bool // the claim links box is checked
}

func (b *browser) uploadForm(f uploadForm, header ...string) answer {
	b.e.t.Helper()
	pr, pw := io.Pipe()
	mw := multipart.NewWriter(pw)
	go func() {
		pw.CloseWithError(func() error {
			if f.token != "" {
				if err := mw.WriteField("csrf", f.token); err != nil {
					return err
				}
			}
			fields := [][2]string{{"mode", f.mode}, {"format", f.format}}
			if f.claimLinks {
				fields = append(fields, [2]string{"claim_links", "true"})
			}
			for _, field := range fields {
				if err := mw.WriteField(field[0], field[1]); err != nil {
					return err
				}
			}
			part, err := mw.CreateFormFile("file", f.filename)
			if err != nil {
				return err
			}
			if _, err := io.Copy(part, f.file); err != nil {
				return err
			}
			if err := mw.Close(); err != nil {
				return err
			}
			_, err = io.WriteString(pw, f.epilogue)
			return err
		}())
	}()
	req, err := http.NewRequest(http.MethodPost, b.e.srv.URL+"/console/import-export", pr)
	if err != nil {
		b.e.t.Fatal(err)
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	a := b.do(req)
	pr.Close()
	return a
}

// importPage is what the import page shows of an import's answer.
type importPage struct {
	status             int
	imported, skipped  string
	err                string
	errorCount         string
	rows               []string // "row|field|error"
	nothingImported    bool
	resultShown, table bool
}

var (
	shownImported   = regexp.MustCompile(`<dd id="imported">([^<]*)</dd>`)
	shownSkipped    = regexp.MustCompile(`<dd id="skipped">([^<]*)</dd>`)
	shownImportErr  = regexp.MustCompile(`<p class="alert" role="alert" id="import-error">([^<]*)</p>`)
	shownErrorCount = regexp.MustCompile(`<span id="error-count">([^<]*)</span>`)
	shownRowError   = regexp.MustCompile(`<tr><td data-label="Row">([^<]*)</td><td data-label="Field">([^<]*)</td><td data-label="Error">([^<]*)</td></tr>`)
)

func readImportPage(a answer) importPage {
	p := importPage{status: a.status,
		nothingImported: strings.Contains(a.body, `<div id="import-failed">`) && strings.Contains(a.body, "Nothing was imported"),
		resultShown:     strings.Contains(a.body, `<section id="import-result" aria-labelledby="import-result-heading">`),
		table:           strings.Contains(a.body, `<table class="list" id="row-errors">`)}
	sub := func(re *regexp.Regexp) string {
		if m := re.FindStringSubmatch(a.body); m != nil {
			return html.UnescapeString(m[1])
		}
		return ""
	}
	p.imported, p.skipped, p.err, p.errorCount = sub(shownImported), sub(shownSkipped), sub(shownImportErr), sub(shownErrorCount)
	// Up to import.js's empty row, which the page holds for it to copy.
	shown, _, _ := strings.Cut(a.body, `<template id="row-error-template">`)
	for _, m := range shownRowError.FindAllStringSubmatch(shown, -1) {
		p.rows = append(p.rows, html.UnescapeString(m[1]+"|"+m[2]+"|"+m[3]))
	}
	if !p.resultShown {
		p.nothingImported = false
	}
	return p
}

// apiImport imports body into the other organization through the API,
// with its API key, and returns the status and the error the API answers:
// the words the console must show.
func (e *env) apiImport(t *testing.T, contentType, mode, body string) (int, string, []string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, e.srv.URL+"/client-management/clients/import/?mode="+mode, strings.NewReader(body))
	req.Header.Set("API-KEY", e.other.APIKey)
	req.Header.Set("Content-Type", contentType)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var failure struct {
		Error  string
		Errors []struct {
			Row          int
			Field, Error string
		}
	}
	if err := json.NewDecoder(resp.Body).Decode(&failure); err != nil {
		t.Fatal(err)
	}
	var rows []string
	for _, r := range failure.Errors {
		rows = append(rows, fmt.Sprintf("%d|%s|%s", r.Row, cmpOr(r.Field, "—"), r.Error))
	}
	return resp.StatusCode, failure.Error, rows
}

func cmpOr(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// TestImportPage: the screen is offered to staff, with the form's fields
// and the export's links, and current in the navigation.
func TestImportPage(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		b := e.browser()
		b.signIn(e.org)
		a := b.get("/console/import-export")
		for _, want := range []string{
			`<a href="/console/import-export" aria-current="page">Import and export</a>`,
			`<label for="file">File</label>`, `<label for="format">Format</label>`, `<label for="mode">Bad rows</label>`,
			`<option value="all">`, `<option value="skip">`, `enctype="multipart/form-data"`,
			`<button type="submit">Import</button>`,
			`href="/console/export?format=csv"`, `href="/console/export?format=ndjson"`,
			`href="/console/export?format=csv&amp;deactivated=true"`, `href="/console/export?format=ndjson&amp;deactivated=true"`,
			`<section id="import-result" aria-labelledby="import-result-heading" hidden>`,
		} {
			if !strings.Contains(a.body, want) {
				t.Errorf("the page lacks %s", want)
			}
		}
		if a.status != http.StatusOK {
			t.Fatalf("the page: %d %s", a.status, a.body)
		}
		// The file is the form's last field: the console reads the others
		// before it.
		if strings.Index(a.body, `name="file"`) < strings.Index(a.body, `name="format"`) ||
			strings.Index(a.body, `name="format"`) < strings.Index(a.body, `name="csrf" value`) {
			t.Error("the form's file is not its last field")
		}
	})
}

// TestImport: a CSV and an NDJSON file are imported whole, as the API
// imports them, created by the person signed in; an Admin may import too.
func TestImport(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		b := e.browser()
		token := b.signIn(e.org)
		file := "email,display_name,age,preferable_activities\n" +
			"ada@example.com,Ada Lovelace,36,\"[\"\"Running\"\"]\"\n" +
			"grace@example.com,Grace Hopper,,\n"
		p := readImportPage(b.upload(token, "all", "", "clients.csv", strings.NewReader(file)))
		if p.status != http.StatusCreated || p.imported != "2" || p.skipped != "0" || p.err != "" || p.table || p.nothingImported {
			t.Fatalf("a CSV import shows %+v; want 201, 2 imported", p)
		}
		ada := e.onlyClientNamed(t, "Ada Lovelace")
		if ada.Email != "ada@example.com" || ada.Age == nil || *ada.Age != 36 || !slices.Equal(ada.PreferableActivities, []string{"Running"}) ||
			ada.CreatedBy != e.org.OwnerUID {
			t.Fatalf("stored %+v, created by %s", ada.ClientFields, ada.CreatedBy)
		}
		if g := e.onlyClientNamed(t, "Grace Hopper"); g.Age != nil || len(g.PreferableActivities) != 0 {
			t.Fatalf("stored %+v", g.ClientFields)
		}

		// NDJSON, by the file's name and by the format chosen.
		for i, f := range []struct{ name, format string }{{"clients.ndjson", ""}, {"export.txt", "ndjson"}} {
			line := fmt.Sprintf(`{"email":"n%d@example.com","display_name":"Nia %d","height":170.5}`, i, i)
			p := readImportPage(b.upload(token, "", f.format, f.name, strings.NewReader(line+"\n")))
			if p.status != http.StatusCreated || p.imported != "1" {
				t.Fatalf("an NDJSON import as %s: %+v", f.name, p)
			}
			if n := e.onlyClientNamed(t, fmt.Sprintf("Nia %d", i)); n.Height == nil || *n.Height != 170.5 {
				t.Fatalf("stored %+v", n.ClientFields)
			}
		}
		if n := e.clientCount(e.org); n != 4 {
			t.Fatalf("the organization has %d clients; want 4", n)
		}
		if n := e.clientCount(e.other); n != 0 {
			t.Fatalf("the other organization has %d clients", n)
		}

		admin := e.addAdmin(t, e.org, "coach@example.com")
		ab := e.browser()
		adminToken := ab.signIn(admin)
		if a := ab.get("/console/import-export"); a.status != http.StatusOK || !strings.Contains(a.body, ">Import and export</a>") {
			t.Fatalf("an Admin's page: %d", a.status)
		}
		p = readImportPage(ab.upload(adminToken, "all", "csv", "coach.csv", strings.NewReader("email,display_name\nbo@example.com,Bo\n")))
		if p.status != http.StatusCreated || p.imported != "1" {
			t.Fatalf("an Admin's import: %+v", p)
		}
		if bo := e.onlyClientNamed(t, "Bo"); bo.CreatedBy != admin.OwnerUID {
			t.Fatalf("the Admin's import is created by %s", bo.CreatedBy)
		}
	})
}

// TestImportBadRows: one bad row in mode all imports nothing, and the page
// says so with the API's words and the row's error; mode skip imports the
// others and lists the skipped row.
func TestImportBadRows(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		b := e.browser()
		token := b.signIn(e.org)
		// Both organizations have a client with the email of row 3, so
		// that the API's answer for the other one is the console's.
		e.addClient(e.org, "taken@example.com", "Taken")
		e.addClient(e.other, "taken@example.com", "Taken")
		file := "email,display_name,age\n" +
			"ada@example.com,Ada,36\n" +
			"bad@example.com,Bad,200\n" +
			"taken@example.com,Again,\n" +
			"grace@example.com,Grace,\n"
		_, msg, rows := e.apiImport(t, "text/csv", "all", file)
		p := readImportPage(b.upload(token, "all", "csv", "clients.csv", strings.NewReader(file)))
		want := []string{"2|age|must be between 0 and 150", "3|email|" + roster.TakenMessage("email")}
		if p.status != http.StatusBadRequest || !strings.Contains(p.err, "2 of 4 rows are invalid, so nothing was imported") ||
			!slices.Equal(p.rows, want) || p.errorCount != "2" || !p.nothingImported || p.imported != "" {
			t.Fatalf("bad rows show %+v; want 400 and the rows %q", p, want)
		}
		if p.err != msg || !slices.Equal(p.rows, rows) {
			t.Errorf("the console shows %q %q where the API says %q %q", p.err, p.rows, msg, rows)
		}
		if n := e.clientCount(e.org); n != 1 {
			t.Fatalf("an import with bad rows stored something: %d clients", n)
		}

		p = readImportPage(b.upload(token, "skip", "csv", "clients.csv", strings.NewReader(file)))
		if p.status != http.StatusCreated || p.imported != "2" || p.skipped != "2" || !slices.Equal(p.rows, want) || p.nothingImported {
			t.Fatalf("mode skip shows %+v", p)
		}
		e.onlyClientNamed(t, "Grace")
		if n := e.clientCount(e.org); n != 3 {
			t.Fatalf("mode skip: %d clients; want 3", n)
		}
	})
}

// TestImportRefused: a file the import cannot take is refused with the
// API's status and words, or the console's own for its format choice, and
// nothing is stored.
func TestImportRefused(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		b := e.browser()
		token := b.signIn(e.org)
		notCSV := `{"email": "a@example.com", "display_name": "A"}` + "\n"
		_, notCSVMsg, _ := e.apiImport(t, "text/csv", "", notCSV)
		_, emptyMsg, _ := e.apiImport(t, "text/csv", "", "")
		_, emptyNDJSONMsg, _ := e.apiImport(t, "application/x-ndjson", "", "")
		_, modeMsg, _ := e.apiImport(t, "text/csv", "some", "email,display_name\na@example.com,A\n")
		for _, c := range []struct {
			name, mode, format, file, body string
			status                         int
			want                           string
		}{
			{"empty CSV", "all", "", "empty.csv", "", 400, emptyMsg},
			{"empty NDJSON", "all", "", "empty.ndjson", "", 400, emptyNDJSONMsg},
			{"not a CSV", "all", "", "clients.csv", notCSV, 400, notCSVMsg},
			{"a name of no format", "all", "", "clients.txt", "email,display_name\na@example.com,A\n", 415,
				`"clients.txt": the file's name ends neither in .csv nor in .ndjson; choose its format`},
			{"an unknown format", "all", "xlsx", "clients.csv", "email,display_name\na@example.com,A\n", 400,
				"format: must be csv or ndjson"},
			{"an unknown mode", "some", "", "clients.csv", "email,display_name\na@example.com,A\n", 400, modeMsg},
			{"no file", "all", "", "", "", 400, "choose a file to import"},
		} {
			p := readImportPage(b.upload(token, c.mode, c.format, c.file, strings.NewReader(c.body)))
			if p.status != c.status || p.err != c.want || !p.nothingImported {
				t.Errorf("%s: %+v; want %d and %q", c.name, p, c.status, c.want)
			}
		}
		for _, want := range []string{emptyMsg, notCSVMsg, modeMsg} {
			if want == "" {
				t.Fatal("the API answered without an error")
			}
		}

		// CSV read as NDJSON: every line is a bad row, in the API's words.
		csvFile := "email,display_name\na@example.com,A\n"
		_, _, apiRows := e.apiImport(t, "application/x-ndjson", "", csvFile)
		p := readImportPage(b.upload(token, "all", "ndjson", "clients.csv", strings.NewReader(csvFile)))
		if p.status != http.StatusBadRequest || !slices.Equal(p.rows, apiRows) || len(p.rows) != 2 {
			t.Errorf("CSV as NDJSON: %+v; want the API's rows %q", p, apiRows)
		}
		if n := e.clientCount(e.org); n != 0 {
			t.Fatalf("refused imports stored %d clients", n)
		}
	})
}

// TestImportOversized: a file over the API's limit is refused as it is
// read, with the API's 413, and nothing is stored.
func TestImportOversized(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		b := e.browser()
		token := b.signIn(e.org)
		pr := csvtest.Oversized(100 << 20)
		p := readImportPage(b.upload(token, "all", "", "huge.csv", pr))
		pr.Close()
		if want := "request body is larger than 104857600 bytes"; p.status != http.StatusRequestEntityTooLarge || p.err != want {
			t.Errorf("an oversized file: %+v; want 413 and %q", p, want)
		}
		if n := e.clientCount(e.org); n != 0 {
			t.Fatalf("an oversized import stored %d clients", n)
		}
	})
}

// TestImportNeedsCSRFAndStaff: an import without the session's CSRF token
// is refused, as is a person who may not manage clients, who is offered
// neither the page nor the export; nothing is stored.
func TestImportNeedsCSRFAndStaff(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		b := e.browser()
		token := b.signIn(e.org)
		file := "email,display_name\na@example.com,A\n"
		for name, tk := range map[string]string{"no token": "", "another token": token + "x"} {
			a := b.upload(tk, "all", "", "clients.csv", strings.NewReader(file))
			if a.status != http.StatusForbidden || !strings.Contains(html.UnescapeString(a.body), "this form has expired or did not come from this console") {
				t.Errorf("%s: %d %s; want 403", name, a.status, a.body)
			}
		}
		// Another session's token does not fit this one's, and without a
		// session there is no import.
		otherToken := e.browser().signIn(e.org)
		if a := b.upload(otherToken, "all", "", "clients.csv", strings.NewReader(file)); a.status != http.StatusForbidden {
			t.Errorf("another session's token: %d; want 403", a.status)
		}
		if a := e.browser().upload(otherToken, "all", "", "clients.csv", strings.NewReader(file)); a.status != http.StatusSeeOther ||
			!strings.HasPrefix(a.header.Get("Location"), "/console/sign-in") {
			t.Errorf("signed out: %d, Location %q; want 303 to sign in", a.status, a.header.Get("Location"))
		}

		e.addAccount(t, "athlete@example.com")
		nb := e.browser()
		nbToken := nb.signIn(storetest.Org{OwnerEmail: "athlete@example.com"})
		want := roster.Principal{}.Forbidden(roster.PermClients).Error()
		if a := nb.get("/console/account"); strings.Contains(a.body, "/console/import-export") {
			t.Error("a person who is not staff is offered the import")
		}
		for name, a := range map[string]answer{
			"the page":   nb.get("/console/import-export"),
			"the import": nb.upload(nbToken, "all", "", "clients.csv", strings.NewReader(file)),
			"the export": nb.get("/console/export?format=csv"),
		} {
			if a.status != http.StatusForbidden || !strings.Contains(html.UnescapeString(a.body), want) {
				t.Errorf("not staff, %s: %d %s; want 403 and %q", name, a.status, a.body, want)
			}
		}
		if n := e.clientCount(e.org); n != 0 {
			t.Fatalf("refused imports stored %d clients", n)
		}
	})
}

// TestImportStreams: asked for NDJSON, as import.js asks, the console
// answers as the API does: progress lines while the rows are read, then
// the outcome; an outcome known before any progress line is one line or
// the API's JSON.
func TestImportStreams(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		b := e.browser()
		token := b.signIn(e.org)
		unlimited(t, e)
		var file strings.Builder
		file.WriteString("email,display_name\n")
		for i := range 10_000 {
			fmt.Fprintf(&file, "athlete%d@example.com,Athlete %d\n", i, i)
		}
		a := b.upload(token, "all", "", "many.csv", strings.NewReader(file.String()), "Accept", "application/x-ndjson")
		lines := ndjsonLines(t, a.body)
		if a.status != http.StatusOK || a.header.Get("Content-Type") != "application/x-ndjson" || len(lines) < 2 {
			t.Fatalf("a streamed import: %d %s %q", a.status, a.header.Get("Content-Type"), a.body)
		}
		if lines[0] != `{"progress":{"rows":10000,"total":null,"phase":"validating"}}` ||
			lines[len(lines)-1] != `{"result":{"imported":10000,"skipped":0,"errors":[]}}` {
			t.Fatalf("the lines: %q", lines)
		}
		if n := e.clientCount(e.org); n != 10_000 {
			t.Fatalf("stored %d clients", n)
		}

		a = b.upload(token, "all", "", "one.csv", strings.NewReader("email,display_name\nsolo@example.com,Solo\n"), "Accept", "application/x-ndjson")
		if a.status != http.StatusCreated || a.body != `{"result":{"imported":1,"skipped":0,"errors":[]}}`+"\n" {
			t.Fatalf("a small streamed import: %d %q", a.status, a.body)
		}
		a = b.upload(token, "all", "", "bad.csv", strings.NewReader("email,display_name\nnot an email,X\n"), "Accept", "application/x-ndjson")
		var failure struct {
			Error      string `json:"error"`
			ErrorCount int    `json:"error_count"`
		}
		if err := json.Unmarshal([]byte(a.body), &failure); err != nil || a.status != http.StatusBadRequest ||
			a.header.Get("Content-Type") != "application/json" || failure.ErrorCount != 1 {
			t.Fatalf("a bad row, streamed: %d %q", a.status, a.body)
		}
		if n := e.clientCount(e.org); n != 10_001 {
			t.Fatalf("stored %d clients", n)
		}
	})
}

// TestImportStreamKeepsTheConnection: a streamed import whose body the
// import leaves unread (here a form's epilogue) answers, and the
// connection serves the next import. net/http, in full duplex, used to
// drain such a body only after the handler returned, racing the next
// request's read into a panic that reset the connection (golang/go#68560).
func TestImportStreamKeepsTheConnection(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		b := e.browser()
		token := b.signIn(e.org)
		for i := range 3 {
			a := b.uploadForm(uploadForm{token: token, mode: "skip", filename: "bad.csv",
				file:     strings.NewReader("email,display_name\nnot an email,X\n"),
				epilogue: strings.Repeat("x", 64<<10)}, "Accept", "application/x-ndjson")
			if want := `{"result":{"imported":0,"skipped":1,"errors":[{"row":1,"field":"email","error":`; a.status != http.StatusCreated || !strings.HasPrefix(a.body, want) {
				t.Fatalf("import %d: %d %q; want 201 and %s…", i, a.status, a.body, want)
			}
		}
	})
}

// unlimited puts e's organization on a plan without a client limit.
func unlimited(t *testing.T, e *env) {
	t.Helper()
	plan := "Enterprise"
	if _, err := e.st.UpdateOrganization(t.Context(), e.org.UID, roster.OrganizationUpdate{PaymentType: &plan}); err != nil {
		t.Fatal(err)
	}
}

func ndjsonLines(t *testing.T, body string) []string {
	t.Helper()
	var lines []string
	sc := bufio.NewScanner(strings.NewReader(body))
	for sc.Scan() {
		if !json.Valid(sc.Bytes()) {
			t.Fatalf("not a JSON line: %q", sc.Text())
		}
		lines = append(lines, sc.Text())
	}
	return lines
}

// TestExport: the export holds exactly the organization's clients, in
// either format, as a download, and the deactivated ones on their own; its
// refusals are the API's.
func TestExport(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		b := e.browser()
		b.signIn(e.org)
		// A second apart, so that newest first is one order.
		ada := e.addClient(e.org, "ada@example.com", "Ada")
		e.clock.Advance(time.Second)
		e.addClient(e.org, "grace@example.com", "Grace")
		e.addClient(e.other, "theirs@example.com", "Theirs")
		if _, err := e.st.SetClientActive(t.Context(), e.org.ID, roster.ClientRef{UID: ada.UID}, false); err != nil {
			t.Fatal(err)
		}
		e.clock.Advance(time.Second)
		e.addClient(e.org, "hedy@example.com", "Hedy")

		a := b.get("/console/export?format=csv")
		records, err := csv.NewReader(strings.NewReader(a.body)).ReadAll()
		if err != nil || a.status != http.StatusOK || a.header.Get("Content-Type") != "text/csv; charset=utf-8" ||
			a.header.Get("Content-Disposition") != `attachment; filename="clients.csv"` {
			t.Fatalf("the CSV export: %d %v %v %q", a.status, a.header, err, a.body)
		}
		if got := column(records, "email"); !slices.Equal(got, []string{"hedy@example.com", "grace@example.com"}) {
			t.Fatalf("the CSV export holds %q", got)
		}

		a = b.get("/console/export?format=ndjson")
		if a.status != http.StatusOK || a.header.Get("Content-Type") != "application/x-ndjson" ||
			a.header.Get("Content-Disposition") != `attachment; filename="clients.ndjson"` {
			t.Fatalf("the NDJSON export: %d %v", a.status, a.header)
		}
		if got := emails(t, a.body); !slices.Equal(got, []string{"hedy@example.com", "grace@example.com"}) {
			t.Fatalf("the NDJSON export holds %q", got)
		}
		if got := emails(t, b.get("/console/export?format=ndjson&deactivated=true").body); !slices.Equal(got, []string{"ada@example.com"}) {
			t.Fatalf("the export of the deactivated holds %q", got)
		}

		for path, want := range map[string]string{
			"/console/export?format=xlsx": "format: must be csv or ndjson",
			"/console/export?limit=3":     "limit: unknown query parameter; accepted are format, deactivated, history",
		} {
			a := b.get(path)
			status, msg := e.apiGet(t, strings.Replace(path, "/console/export", "/client-management/clients/export/", 1))
			if a.status != http.StatusBadRequest || status != a.status || msg != want ||
				!strings.Contains(html.UnescapeString(a.body), want) || a.header.Get("Content-Disposition") != "" {
				t.Errorf("%s: %d %s; want the API's %d %q", path, a.status, a.body, status, msg)
			}
		}
	})
}

// column is the values of a CSV export's column name.
func column(records [][]string, name string) []string {
	i := slices.Index(records[0], name)
	var out []string
	for _, r := range records[1:] {
		out = append(out, r[i])
	}
	return out
}

// emails are the emails of an NDJSON export's lines.
func emails(t *testing.T, body string) []string {
	t.Helper()
	var out []string
	dec := json.NewDecoder(bytes.NewReader([]byte(body)))
	for dec.More() {
		var c struct{ Email string }
		if err := dec.Decode(&c); err != nil {
			t.Fatal(err)
		}
		out = append(out, c.Email)
	}
	return out
}
