package api_test

// Bulk import and export over HTTP, on every engine: every answer is
// checked for its status, its body and what was stored.

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"

	"roster"
	"roster/api"
	"roster/internal/csvtest"
	"roster/store/storetest"
)

func init() {
	// The OpenAPI document describes an NDJSON body as the array of its
	// lines, so that each line is checked against its schema.
	openapi3filter.RegisterBodyDecoder("application/x-ndjson",
		func(body io.Reader, _ http.Header, _ *openapi3.SchemaRef, _ openapi3filter.EncodingFn) (any, error) {
			return ndjsonValues(body)
		})
}

// ndjsonValues reads the lines of any length, as an export with history
// writes them.
func ndjsonValues(body io.Reader) ([]any, error) {
	b, err := io.ReadAll(body)
	if err != nil {
		return nil, err
	}
	out := []any{}
	for line := range strings.Lines(string(b)) {
		var v any
		if err := json.Unmarshal([]byte(line), &v); err != nil {
			return nil, fmt.Errorf("line %d: %w", len(out)+1, err)
		}
		out = append(out, v)
	}
	return out, nil
}

const (
	csvType    = "text/csv"
	ndjsonType = "application/x-ndjson"
)

// bulkRow is the i-th generated client as CSV cells under
// roster.CSVFieldNames: every field varies with i, and some cells need
// the formula guard or CSV quoting.
func bulkRow(tag string, i int) []string {
	pick := func(c bool, a, b string) string {
		if c {
			return a
		}
		return b
	}
	return []string{
		fmt.Sprintf("%s%06d@example.com", tag, i),
		fmt.Sprintf("Client %d", i),
		pick(i%3 == 0, "", fmt.Sprintf("+1 555 %04d", i%10000)),
		strconv.Itoa(i % 151),
		[]string{"male", "female", ""}[i%3],
		fmt.Sprintf("%d.5", 150+i%50),
		pick(i%4 == 0, "", fmt.Sprintf("%d.25", 50+i%40)),
		"0.9",
		"",
		[]string{"7.5", "10", "44"}[i%3],
		[]string{"Asics", "=Nike", "Adidas", ""}[i%4],
		pick(i%10 == 0, `Gel, "30"`, "Nova"),
		[]string{`[]`, `["Running"]`, `["Running","Weightlifting"]`, `["Vertical Jump"]`, `["Mobility Assessment","Running"]`}[i%5],
		pick(i%2 == 0, fmt.Sprintf("ext-%s-%d", tag, i), ""),
		pick(i%7 == 0, "3", ""),
	}
}

// bulkCSV streams a CSV body of the generated rows 1 to n, each changed by
// mod when set, without building it first.
func bulkCSV(tag string, n int, mod func(i int, row []string)) io.Reader {
	pr, pw := io.Pipe()
	go func() {
		w := csv.NewWriter(pw)
		w.Write(roster.CSVFieldNames)
		for i := 1; i <= n; i++ {
			row := bulkRow(tag, i)
			if mod != nil {
				mod(i, row)
			}
			w.Write(row)
		}
		w.Flush()
		pw.CloseWithError(w.Error())
	}()
	return pr
}

// csvText encodes rows as CSV.
func csvText(rows ...[]string) string {
	var b strings.Builder
	w := csv.NewWriter(&b)
	w.WriteAll(rows)
	return b.String()
}

// bulkExpected is a generated row's field data as a JSON export shows it.
func bulkExpected(row []string) map[string]any {
	out := map[string]any{}
	for i, name := range roster.CSVFieldNames {
		cell := row[i]
		var v any
		switch {
		case cell == "" && name == "preferable_activities":
			v = []any{}
		case cell == "":
		case name == "preferable_activities":
			json.Unmarshal([]byte(cell), &v)
		case slices.Contains([]string{"height", "weight", "ycom", "leg_length", "sessions_limit"}, name):
			v, _ = strconv.ParseFloat(cell, 64)
		default:
			v = cell
		}
		out[name] = v
	}
	return out
}

// fieldData keeps the fields of an exported client that a caller sets.
func fieldData(obj map[string]any) map[string]any {
	out := map[string]any{}
	for _, name := range roster.CSVFieldNames {
		out[name] = obj[name]
	}
	return out
}

type bulkRowError struct {
	Row   int    `json:"row"`
	Field string `json:"field"`
	Error string `json:"error"`
}

// bulkAnswer is an import's answer or streamed line: a result, a failure
// or a progress report.
type bulkAnswer struct {
	Imported   int            `json:"imported"`
	Skipped    int            `json:"skipped"`
	Errors     []bulkRowError `json:"errors"`
	Error      string         `json:"error"`
	ErrorCount int            `json:"error_count"`
	Result     *bulkAnswer    `json:"result"`
	Progress   *struct {
		Rows  int    `json:"rows"`
		Total *int   `json:"total"`
		Phase string `json:"phase"`
	} `json:"progress"`
}

// importAs posts an import body with key; header adds request headers.
func (e *env) importAs(key, prefix, query, contentType string, body io.Reader, header map[string]string) response {
	e.t.Helper()
	path := prefix + "/import/"
	if query != "" {
		path += "?" + query
	}
	return e.do(req{Method: "POST", Path: path, Key: key, ContentType: contentType, BodyReader: body, Header: header})
}

// imported checks a 201 with its counts and errors.
func imported(t testing.TB, r response, n, skipped int, errs ...bulkRowError) {
	t.Helper()
	expect(t, r, 201)
	var a bulkAnswer
	r.decode(t, &a)
	checkAnswer(t, a, n, skipped, errs)
}

func checkAnswer(t testing.TB, a bulkAnswer, n, skipped int, errs []bulkRowError) {
	t.Helper()
	if a.Imported != n || a.Skipped != skipped || a.Errors == nil || !reflect.DeepEqual(a.Errors, append([]bulkRowError{}, errs...)) {
		t.Errorf("imported %d, skipped %d, errors %+v; want %d, %d, %+v", a.Imported, a.Skipped, a.Errors, n, skipped, errs)
	}
}

// rejected checks a 400 that lists the bad rows.
func rejected(t testing.TB, r response, want string, errs ...bulkRowError) {
	t.Helper()
	expect(t, r, 400)
	var a bulkAnswer
	r.decode(t, &a)
	if !strings.Contains(a.Error, want) || a.ErrorCount != len(errs) || !reflect.DeepEqual(a.Errors, errs) {
		t.Errorf("error %q, %d errors %+v; want %q, %d, %+v", a.Error, a.ErrorCount, a.Errors, want, len(errs), errs)
	}
}

// count is the filter's query_count for a filter, 0 for its empty-page 404.
func (e *env) count(key, filter string) int64 {
	e.t.Helper()
	r := e.do(req{Method: "GET", Path: prefixes[0] + "/filter/?limit=1&" + filter, Key: key})
	if r.Status == 404 {
		return 0
	}
	expect(e.t, r, 200)
	var page struct {
		QueryCount int64 `json:"query_count"`
	}
	r.decode(e.t, &page)
	return page.QueryCount
}

// counters are the organization's counters, which an import must move as
// creating each client would.
func (e *env) counters(org storetest.Org) string {
	e.t.Helper()
	filters := []string{"", "gender=male", "gender=female", "admin_uid=" + org.OwnerUID}
	for _, a := range roster.Activities {
		filters = append(filters, "activity="+strings.ReplaceAll(a, " ", "+"))
	}
	var b strings.Builder
	for _, f := range filters {
		fmt.Fprintf(&b, "%s:%d ", f, e.count(org.APIKey, f))
	}
	return b.String()
}

// state is everything an import could change in an organization: its
// clients and its counters.
func (e *env) state(org storetest.Org) string {
	e.t.Helper()
	return badSnap(e, org.APIKey, prefixes[0]+"/") + e.counters(org)
}

// export reads an NDJSON export of the organization's clients as objects.
func (e *env) export(key, prefix string) []map[string]any {
	e.t.Helper()
	r := e.do(req{Method: "GET", Path: prefix + "/export/", Key: key})
	expect(e.t, r, 200)
	var out []map[string]any
	for line := range strings.Lines(string(r.Body)) {
		var obj map[string]any
		if err := json.Unmarshal([]byte(line), &obj); err != nil {
			e.t.Fatalf("export line %q: %v", line, err)
		}
		out = append(out, obj)
	}
	return out
}

func mib(n uint64) float64 { return float64(n) / (1 << 20) }

// The bad rows of one CSV file: each is reported by row and field, in row
// order, and in mode=all nothing at all is written.
var (
	badRowsHeader = []string{"email", "display_name", "age", "gender", "external_id", "preferable_activities"}
	badRowsCSV    = csvText(badRowsHeader,
		[]string{"a1@example.com", "Ann", "30", "female", "x1", `["Running"]`},
		[]string{"a2@example.com", "Bob", "200", "", "", ""},
		[]string{"", "No Email", "", "", "", ""},
		[]string{"A1@Example.com", "Ann Again", "", "", "", ""},
		[]string{"TAKEN@example.com", "Taken", "", "", "", ""},
		[]string{"a6@example.com", "Ext Taken", "", "", "ext-taken", ""},
		[]string{"a7@example.com", "Short"},
		[]string{"a8@example.com", "Swimmer", "", "", "", `["Swimming"]`},
		[]string{"a9@example.com", "Cleo", "", "Male", "x9", ""},
		[]string{"a10@example.com", "Dan", "", "other", "", ""},
		[]string{"a11@example.com", "Eve", "", "", "x9", ""},
		[]string{"a12@example.com"},
	)
	badRowsErrors = []bulkRowError{
		{2, "age", "must be between 0 and 150"},
		{3, "email", "required"},
		{4, "email", "the same as row 1's"},
		{5, "email", "a client with this email already exists"},
		{6, "external_id", "a client with this external_id already exists"},
		{7, "", "has 2 cells; the header row has 6"},
		{8, "preferable_activities", `unknown activity "Swimming": allowed are Running, Vertical Jump, Weightlifting, Mobility Assessment`},
		{10, "gender", "must be male or female"},
		{11, "external_id", "the same as row 9's"},
		{12, "", "has 1 cell; the header row has 6"},
	}
)

// The bad lines of one NDJSON file.
var (
	badLinesNDJSON = strings.Join([]string{
		`{"email": "n1@example.com", "display_name": "Ann", "age": 30, "preferable_activities": ["Running"]}`,
		`{"email": "n2@example.com"`,
		`[1, 2]`,
		`"a string"`,
		`{"email": "n5@example.com", "email": "n5b@example.com", "display_name": "Twice"}`,
		`{"email": "n6@example.com", "display_name": "Nick", "nickname": "N"}`,
		``,
		`{"email": "n8@example.com", "display_name": "Age", "age": "abc"}`,
		`{"email": "n9@example.com", "display_name": "Exported", "user_uid": "x", "created_at": "then", "status": "deactivated", "profile_photo": "https://x.example/p.png"}`,
		`{"email": "n10@example.com", "display_name": "Two"} {}`,
		`{"email": "taken@EXAMPLE.com", "display_name": "Taken"}`,
	}, "\n") + "\n"
	badLinesErrors = []bulkRowError{
		{2, "", "the line is not valid JSON: it ends too early"},
		{3, "", "the line must be a JSON object"},
		{4, "", "the line must be a JSON object"},
		{5, "email", "given more than once"},
		{6, "nickname", "unknown field"},
		{8, "age", "must be an integer"},
		{10, "", "the line must hold one JSON object only"},
		{11, "email", "a client with this email already exists"},
	}
)

// withTaken gives the env a fresh organization, for each prefix, with the
// client whose email and external_id the bad rows repeat.
func withTaken(e *env, prefix string) {
	e.t.Helper()
	e.org = storetest.NewOrg(e.t, e.st, "Pro")
	e.create(prefix, map[string]any{"email": "taken@example.com", "display_name": "Taken", "external_id": "ext-taken"})
}

func TestImportWithBadRowsChangesNothing(t *testing.T) {
	badEach(t, func(t *testing.T, e *env, tag, prefix string) {
		withTaken(e, prefix)
		before := e.state(e.org)
		rejected(t, e.importAs(e.org.APIKey, prefix, "", csvType, strings.NewReader(badRowsCSV), nil),
			"10 of 12 rows are invalid, so nothing was imported", badRowsErrors...)
		rejected(t, e.importAs(e.org.APIKey, prefix, "mode=all", ndjsonType, strings.NewReader(badLinesNDJSON), nil),
			"8 of 10 rows are invalid", badLinesErrors...)
		if after := e.state(e.org); after != before {
			t.Errorf("a refused import changed the data: %s", badChange(before, after))
		}
	})
}

func TestImportSkipsBadRows(t *testing.T) {
	badEach(t, func(t *testing.T, e *env, tag, prefix string) {
		withTaken(e, prefix)
		imported(t, e.importAs(e.org.APIKey, prefix, "mode=skip", csvType, strings.NewReader(badRowsCSV), nil),
			2, 10, badRowsErrors...)
		imported(t, e.importAs(e.org.APIKey, prefix, "mode=skip", ndjsonType, strings.NewReader(badLinesNDJSON), nil),
			2, 8, badLinesErrors...)
		// Newest first: the NDJSON rows, then the CSV rows, each in file order.
		got := e.export(e.org.APIKey, prefix)
		var emails []string
		for _, c := range got {
			emails = append(emails, c["email"].(string))
		}
		want := []string{"n1@example.com", "n9@example.com", "a1@example.com", "a9@example.com", "taken@example.com"}
		if !slices.Equal(emails, want) {
			t.Fatalf("stored %v, want %v", emails, want)
		}
		checks := []struct {
			i     int
			field string
			want  any
		}{
			{0, "age", "30"}, {0, "preferable_activities", []any{"Running"}},
			{1, "status", "active"}, {1, "profile_photo", nil},
			{2, "gender", "female"}, {2, "external_id", "x1"},
			{3, "gender", "male"}, {3, "age", nil}, {3, "admin_uid", e.org.OwnerUID},
		}
		for _, c := range checks {
			if v := got[c.i][c.field]; !reflect.DeepEqual(v, c.want) {
				t.Errorf("%s of %s = %v, want %v", c.field, emails[c.i], v, c.want)
			}
		}
		if n := e.count(e.org.APIKey, ""); n != 5 {
			t.Errorf("query_count = %d, want 5", n)
		}
		if n := e.count(e.org.APIKey, "activity=Running"); n != 2 {
			t.Errorf("activity=Running count = %d, want 2", n)
		}
	})
}

func TestImportBadRequests(t *testing.T) {
	huge := `{"email": "h@example.com", "display_name": "` + strings.Repeat("h", 1<<20) + `"}`
	tooMany := "email,display_name\n" + strings.Repeat("x,y\n", roster.MaxImportRows+1)
	cases := []badCase{
		{name: "JSON", ct: "application/json", body: `{"email": "a@example.com"}`, status: 415,
			want: `Content-Type "application/json" is not accepted here: send text/csv or application/x-ndjson`},
		{name: "no Content-Type", ct: badNoCT, body: "email,display_name\na@example.com,A\n", status: 415,
			want: `Content-Type "" is not accepted here`},
		{name: "not UTF-8", ct: "text/csv; charset=iso-8859-1", body: "email,display_name\n", status: 415,
			want: `charset "iso-8859-1" is not accepted: send UTF-8`},
		{name: "empty CSV", ct: csvType, status: 400, want: "request body is empty: send a CSV header row"},
		{name: "empty NDJSON", ct: ndjsonType, status: 400, want: "request body is empty: send one JSON object per line"},
		{name: "blank NDJSON", ct: ndjsonType, body: "\n  \n\n", status: 400, want: "request body is empty"},
		{name: "header only", ct: csvType, body: "email,display_name\n", status: 400,
			want: "the CSV body has a header row but no data rows"},
		{name: "unknown column", ct: csvType, body: "email,display_name,nickname\na@example.com,A,N\n", status: 400,
			want: "nickname: unknown column; the columns are email, display_name, phone"},
		{name: "column twice", ct: csvType, body: "email,display_name,email\n", status: 400,
			want: "email: column given more than once"},
		{name: "no email column", ct: csvType, body: "display_name,age\nA,3\n", status: 400,
			want: "email: required column missing from the CSV header"},
		{name: "unnamed column", ct: csvType, body: "email,,display_name\n", status: 400,
			want: "CSV header: column 2 has no name"},
		{name: "bare quote", ct: csvType, body: "email,display_name\na@example.com,Ann \"the\" Smith\n", status: 400,
			want: `CSV body is malformed: parse error on line 2, column 19: bare " in non-quoted-field`},
		{name: "unterminated quote", ct: csvType, body: "email,display_name\na@example.com,\"Ann\n", status: 400,
			want: `CSV body is malformed: parse error on line 2, column 20: extraneous or missing " in quoted-field`},
		{name: "too many rows", ct: csvType, body: tooMany, status: 400,
			want: "too many rows: an import takes at most 100000 rows; split the file"},
		{name: "NDJSON line too long", ct: ndjsonType, body: huge + "\n", status: 413, want: "line 1 is longer than 1048576 bytes"},
		// History does not count, but the rest of the line does, and no
		// value of the history may be longer than a line either.
		{name: "NDJSON line too long beside its history", ct: ndjsonType,
			body: `{"history": ` + longHistory + `, ` + huge[1:] + "\n", status: 413,
			want: "line 1 is longer than 1048576 bytes, not counting its history (which an import ignores)"},
		{name: "NDJSON history value too long", ct: ndjsonType,
			body:   `{"email": "h@example.com", "display_name": "H", "history": ["` + strings.Repeat("h", 1<<20) + `"]}` + "\n",
			status: 413, want: "line 1 has a value in its history longer than 1048576 bytes"},
		{name: "unknown mode", query: "mode=some", ct: csvType, body: "email,display_name\na@example.com,A\n", status: 400,
			want: "mode: must be all or skip"},
		// An empty value is the default, as everywhere in a query: mode=all.
		{name: "empty mode", query: "mode=", ct: csvType, body: "email,display_name\nnot an email,A\nb@example.com,B\n",
			status: 400, want: "1 of 2 rows is invalid, so nothing was imported"},
		{name: "mode twice", query: "mode=all&mode=skip", ct: csvType, body: "email,display_name\na@example.com,A\n",
			status: 400, want: "mode: given more than once"},
		{name: "unknown parameter", query: "format=csv", ct: csvType, body: "email,display_name\na@example.com,A\n",
			status: 400, want: "format: unknown query parameter; accepted are mode, claim_links"},
	}
	badEach(t, func(t *testing.T, e *env, tag, prefix string) {
		withTaken(e, prefix)
		for i := range cases {
			cases[i].path = "/import/"
		}
		badRun(t, e, "POST", prefix, strings.NewReplacer(), func(e *env) string { return e.state(e.org) }, cases)
	})
}

// longHistory is a history of about 2 MiB, as an export writes it.
var longHistory = "[" + strings.Repeat(`{"uid":"00Vd5FA23zcR3wD57WZE","field":"weight","value":40.5,`+
	`"recorded_at":"2025-10-16T11:26:18.487Z","recorded_by":"00Vd5F9yJd0RvGDCqMmy"},`, 16000) + `{"uid":"x"}]`

// TestImportPassesOverHistory: an NDJSON line's history, which an export
// with history=true writes, is checked and passed over however long it
// is, and the rows around it import as usual; a history that is not JSON
// or is given twice makes its line a bad row.
func TestImportPassesOverHistory(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		body := strings.Join([]string{
			`{"email": "h1@example.com", "display_name": "Long", "weight": 70, "history": ` + longHistory + `}`,
			`{"email": "h2@example.com", "history": ` + longHistory + `, "display_name": "After"}`,
			`{"email": "h3@example.com", "display_name": "Broken", "history": [{"uid": "x"}, ]}`,
			`{"email": "h4@example.com", "display_name": "Twice", "history": [], "history": ` + longHistory + `}`,
			"{\"email\": \"h5@example.com\", \"display_name\": \"Latin-1\", \"history\": [\"caf\xe9\"]}",
			`{"email": "h6@example.com", "display_name": "Odd", "history": "whatever it holds"}`,
		}, "\n") + "\n"
		errs := []bulkRowError{
			{3, "", "the line is not valid JSON: invalid character ']' looking for beginning of value"},
			{4, "history", "given more than once"},
			{5, "", "the line is not valid UTF-8"},
		}
		for _, prefix := range prefixes {
			e := badBind(e, t)
			e.org = storetest.NewOrg(t, e.st, "Pro")
			imported(t, e.importAs(e.org.APIKey, prefix, "mode=skip", ndjsonType, strings.NewReader(body), nil), 3, 3, errs...)
			got := e.export(e.org.APIKey, prefix)
			var stored []string
			for _, c := range got {
				stored = append(stored, fmt.Sprintf("%s %s %v", c["email"], c["display_name"], c["weight"]))
			}
			if want := []string{"h1@example.com Long 70", "h2@example.com After <nil>", "h6@example.com Odd <nil>"}; !slices.Equal(stored, want) {
				t.Errorf("%s: stored %q, want %q", prefix, stored, want)
			}
			// The new client's history is its own, from its current values.
			if h := e.history(got[0]["user_uid"].(string)); len(h) != 1 || !strings.HasPrefix(h[0], "weight=70@") {
				t.Errorf("%s: the imported client's history is %q", prefix, h)
			}
		}
	})
}

// A body over the limit is refused as it is read, whatever its rows.
// One prefix is enough: both run the same handler.
func TestImportOversizedBody(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		before := e.state(e.org)
		pr := csvtest.Oversized(100 << 20)
		r := e.importAs(e.org.APIKey, prefixes[0], "", csvType, pr, nil)
		pr.Close()
		badWant(t, r, 413, "request body is larger than 104857600 bytes")
		if after := e.state(e.org); after != before {
			t.Errorf("an oversized import changed the data: %s", badChange(before, after))
		}
	})
}

// Another organization's clients neither block an import nor show in an
// export, and stay as they were.
func TestImportAndExportStayInTheOrganization(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		e.createAs(e.other.APIKey, prefixes[0], map[string]any{"email": "shared@example.com", "display_name": "Other's",
			"external_id": "ext-shared"})
		otherBefore := e.state(e.other)
		body := csvText([]string{"email", "display_name", "external_id"}, []string{"Shared@example.com", "Mine", "ext-shared"})
		imported(t, e.importAs(e.org.APIKey, prefixes[1], "", csvType, strings.NewReader(body), nil), 1, 0)
		for _, k := range []struct {
			org  storetest.Org
			name string
		}{{e.org, "Mine"}, {e.other, "Other's"}} {
			got := e.export(k.org.APIKey, prefixes[0])
			if len(got) != 1 || got[0]["display_name"] != k.name {
				t.Errorf("export of one organization shows %v", got)
			}
		}
		if after := e.state(e.other); after != otherBefore {
			t.Errorf("an import changed another organization: %s", badChange(otherBefore, after))
		}
	})
}

func TestImportPlanLimit(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		free := storetest.NewOrg(t, e.st, "Free") // 25 clients
		rows := func(tag string, n int) io.Reader {
			var text strings.Builder
			text.WriteString("email,display_name\n")
			for i := range n {
				fmt.Fprintf(&text, "%s%d@example.com,%s\n", tag, i, tag)
			}
			return strings.NewReader(text.String())
		}
		imported(t, e.importAs(free.APIKey, prefixes[0], "", csvType, rows("f", 1), nil), 1, 0)
		badWant(t, e.importAs(free.APIKey, prefixes[0], "", csvType, rows("h", 25), nil), 404,
			"client limit of 25 for the Free plan: the organization has 1 client, and 25 more would exceed it")
		imported(t, e.importAs(free.APIKey, prefixes[0], "", csvType, rows("e", 19), nil), 19, 0)
		before := e.state(free)
		r := e.importAs(free.APIKey, prefixes[0], "", csvType, rows("g", 6), nil)
		badWant(t, r, 404, "client limit of 25 for the Free plan: the organization has 20 clients, and 6 more would exceed it")
		if after := e.state(free); after != before {
			t.Errorf("a refused import changed the data: %s", badChange(before, after))
		}
		// The limit counts the rows imported: without its bad row, this fits.
		body, _ := io.ReadAll(rows("g", 6))
		r = e.importAs(free.APIKey, prefixes[0], "mode=skip", csvType,
			strings.NewReader(strings.Replace(string(body), "g0@example.com", "not-an-email", 1)), nil)
		imported(t, r, 5, 1, bulkRowError{1, "email", "must be a valid email address"})
		if n := e.count(free.APIKey, ""); n != 25 {
			t.Errorf("query_count = %d, want 25", n)
		}
		r = e.importAs(free.APIKey, prefixes[0], "", csvType, rows("z", 1), nil)
		badWant(t, r, 404, "client limit of 25 reached for the Free plan")
	})
}

// exportColumnsWant is the CSV export's header: a contract, spelled out.
var exportColumnsWant = []string{"email", "display_name", "phone", "age", "gender", "height", "weight", "ycom",
	"leg_length", "shoeSize", "brand", "shoeModel", "preferable_activities", "external_id", "sessions_limit",
	"user_uid", "admin_uid", "created_at", "updated_at", "last_session", "sessions_count", "status", "deactivated_at"}

// exportCSV reads a CSV export and checks its headers.
func (e *env) exportCSV(key, prefix string) (body string, records [][]string) {
	e.t.Helper()
	r := e.do(req{Method: "GET", Path: prefix + "/export/?format=csv", Key: key})
	expect(e.t, r, 200)
	if ct, cd := r.Header.Get("Content-Type"), r.Header.Get("Content-Disposition"); ct != "text/csv; charset=utf-8" ||
		cd != `attachment; filename="clients.csv"` {
		e.t.Errorf("CSV export headers: Content-Type %q, Content-Disposition %q", ct, cd)
	}
	records, err := csv.NewReader(bytes.NewReader(r.Body)).ReadAll()
	if err != nil {
		e.t.Fatalf("CSV export %q: %v", r.Body, err)
	}
	if !slices.Equal(records[0], exportColumnsWant) {
		e.t.Errorf("CSV header %q, want %q", records[0], exportColumnsWant)
	}
	return string(r.Body), records[1:]
}

func allFieldData(clients []map[string]any) []map[string]any {
	out := make([]map[string]any, len(clients))
	for i, c := range clients {
		out[i] = fieldData(c)
	}
	return out
}

// An export imports back, into another organization, with the same field
// data in the same order, through CSV and through NDJSON.
func TestExportRoundTripsThroughImport(t *testing.T) {
	badEach(t, func(t *testing.T, e *env, tag, prefix string) {
		e.org = storetest.NewOrg(t, e.st, "Pro")
		sessions := int64(5)
		if _, err := e.st.UpdateOrganization(context.Background(), e.org.UID, roster.OrganizationUpdate{SessionNumber: &sessions}); err != nil {
			t.Fatal(err)
		}
		withPhoto := badClientWithPhoto(e, prefix, "photo@example.com")
		badSaveNote(e, e.org.APIKey, prefix, withPhoto, "not exported")
		expect(t, e.json("POST", prefix+"/"+withPhoto+"/sessions", map[string]any{"activity": "Running", "duration": 60}), 201)
		for _, c := range []map[string]any{
			{"email": "eq@example.com", "display_name": "=1+2", "brand": `=HYPERLINK("http://evil.example","x")`,
				"phone": "+44 20 7946 0958", "age": 0, "height": 0, "preferable_activities": []string{"Running", "Weightlifting"},
				"external_id": "-5", "sessions_limit": 2},
			{"email": "at@example.com", "display_name": "@mention", "shoeModel": `Gel-Kayano, "30"`, "gender": "Female",
				"weight": 57.25, "shoeSize": 7.5},
			{"email": "quote@example.com", "display_name": "'quoted", "brand": "''twice", "shoeModel": "'", "ycom": 0.95,
				"leg_length": 0.91},
			{"email": "zoe@example.com", "display_name": "Zoë Ñandú", "brand": "Asics Pro",
				"preferable_activities": []string{"Vertical Jump", "Mobility Assessment"}},
			{"email": "min@example.com", "display_name": "Min"},
		} {
			e.create(prefix, c)
		}
		want := e.export(e.org.APIKey, prefix)
		if len(want) != 6 || want[5]["profile_photo"] == nil || want[5]["sessions_count"] != 1.0 {
			t.Fatalf("export before the round trip: %v", want)
		}
		body, records := e.exportCSV(e.org.APIKey, prefix)
		// The formula guard, and cells as the JSON shows the values.
		cells := map[string]string{}
		for i, c := range exportColumnsWant {
			cells[c] = records[4][i]
		}
		wantCells := map[string]string{"email": "eq@example.com", "display_name": "'=1+2",
			"brand": `'=HYPERLINK("http://evil.example","x")`, "phone": "'+44 20 7946 0958", "age": "0", "height": "0",
			"weight": "", "preferable_activities": `["Running","Weightlifting"]`, "external_id": "'-5", "sessions_limit": "2",
			"admin_uid": e.org.OwnerUID, "status": "active", "deactivated_at": "", "last_session": "", "sessions_count": "0"}
		for c, w := range wantCells {
			if cells[c] != w {
				t.Errorf("CSV cell %s = %q, want %q", c, cells[c], w)
			}
		}
		for i, w := range []string{"'@mention", "''quoted", "Zoë Ñandú", "Min"} {
			if got := records[3-i][1]; got != w {
				t.Errorf("display_name cell %q, want %q", got, w)
			}
		}

		viaCSV := storetest.NewOrg(t, e.st, "Pro")
		imported(t, e.importAs(viaCSV.APIKey, prefix, "", "text/csv; charset=utf-8", strings.NewReader(body), nil), 6, 0)
		viaNDJSON := storetest.NewOrg(t, e.st, "Pro")
		r := e.do(req{Method: "GET", Path: prefix + "/export/?format=ndjson", Key: e.org.APIKey})
		if cd := r.Header.Get("Content-Disposition"); cd != `attachment; filename="clients.ndjson"` {
			t.Errorf("NDJSON export Content-Disposition %q", cd)
		}
		imported(t, e.importAs(viaNDJSON.APIKey, prefix, "", ndjsonType, bytes.NewReader(r.Body), nil), 6, 0)

		for _, org := range []storetest.Org{viaCSV, viaNDJSON} {
			got := e.export(org.APIKey, prefix)
			if !reflect.DeepEqual(allFieldData(got), allFieldData(want)) {
				t.Errorf("round trip changed the field data:\n got %v\nwant %v", allFieldData(got), allFieldData(want))
			}
			for _, c := range got {
				if c["admin_uid"] != org.OwnerUID || c["profile_photo"] != nil || c["sessions_count"] != 0.0 ||
					c["last_session"] != nil || c["status"] != "active" {
					t.Errorf("imported client %v: the read-only fields are Roster's own", c)
				}
			}
			_, again := e.exportCSV(org.APIKey, prefix)
			for i := range again {
				if w := len(roster.CSVFieldNames); !slices.Equal(again[i][:w], records[i][:w]) {
					t.Errorf("CSV row %d after the round trip %q, want %q", i+1, again[i][:w], records[i][:w])
				}
			}
		}
	})
}

func TestExportFormats(t *testing.T) {
	badEach(t, func(t *testing.T, e *env, tag, prefix string) {
		// An organization without clients exports a header, or nothing.
		empty := storetest.NewOrg(t, e.st, "Pro")
		if body, records := e.exportCSV(empty.APIKey, prefix); len(records) != 0 || body != strings.Join(exportColumnsWant, ",")+"\n" {
			t.Errorf("empty CSV export %q", body)
		}
		r := e.do(req{Method: "GET", Path: prefix + "/export/", Key: empty.APIKey})
		expect(t, r, 200)
		if len(r.Body) != 0 || r.Header.Get("Content-Type") != ndjsonType {
			t.Errorf("empty NDJSON export: %q, Content-Type %q", r.Body, r.Header.Get("Content-Type"))
		}
		badRun(t, e, "GET", prefix, strings.NewReplacer(), nil, []badCase{
			{name: "unknown format", path: "/export/", query: "format=xml", status: 400, want: "format: must be csv or ndjson"},
			{name: "format twice", path: "/export/", query: "format=csv&format=csv", status: 400, want: "format: given more than once"},
			{name: "unknown parameter", path: "/export/", query: "mode=all", status: 400,
				want: "mode: unknown query parameter; accepted are format, deactivated, history"},
			{name: "history with CSV", path: "/export/", query: "format=csv&history=true", status: 400,
				want: "history: only an NDJSON export carries the history; use format=ndjson"},
		})
		r = e.do(req{Method: "GET", Path: prefix + "/export/"})
		badWant(t, r, 401, "missing credentials")
	})
}

// streamed reads an NDJSON import answer's lines.
func streamed(t testing.TB, r response) []bulkAnswer {
	t.Helper()
	if ct := r.Header.Get("Content-Type"); ct != ndjsonType {
		t.Fatalf("Content-Type %q, want %s; body %s", ct, ndjsonType, r.Body)
	}
	var lines []bulkAnswer
	for line := range strings.Lines(string(r.Body)) {
		var a bulkAnswer
		if err := json.Unmarshal([]byte(line), &a); err != nil {
			t.Fatalf("line %q: %v", line, err)
		}
		lines = append(lines, a)
	}
	return lines
}

// progressOf checks the progress lines and returns the last line: while
// validating, one every 10,000 rows (the body is read here, so exactly);
// while importing, up to one per 10,000 rows written, whose counts come as
// the store's chunks do.
func progressOf(t testing.TB, lines []bulkAnswer, validated, total int) bulkAnswer {
	t.Helper()
	var validating []int
	importing := 0
	for _, l := range lines[:len(lines)-1] {
		p := l.Progress
		switch {
		case p == nil:
			t.Fatalf("a line before the last is not progress: %+v", l)
		case p.Phase == "validating" && p.Total == nil && importing == 0:
			validating = append(validating, p.Rows)
		case p.Phase == "importing" && p.Total != nil && *p.Total == total && p.Rows >= (importing+1)*progressStep && p.Rows <= total:
			importing = p.Rows / progressStep
		default:
			t.Errorf("progress line %+v after %d importing lines, importing %d", *p, importing, total)
		}
	}
	var want []int
	for n := progressStep; n <= validated; n += progressStep {
		want = append(want, n)
	}
	if !slices.Equal(validating, want) || total >= progressStep && importing == 0 {
		t.Errorf("validating lines at %v, want %v; importing lines up to %d rows of %d", validating, want, importing*progressStep, total)
	}
	return lines[len(lines)-1]
}

// progressStep is how many rows TestImportProgress lets pass between two
// progress lines: a tenth of the server's, so that its imports are small.
const progressStep = 1_000

func TestImportProgress(t *testing.T) {
	accept := map[string]string{"Accept": "application/json, application/x-ndjson"}
	// A bad row late in the body: after the first progress line.
	const n, late = 12 * progressStep / 10, 11 * progressStep / 10
	api.SetProgressEveryForTest(t, progressStep)
	each(t, func(t *testing.T, e *env) {
		big := storetest.NewOrg(t, e.st, "Enterprise")
		before := e.state(big)
		// mode=all, a bad row before the first progress line: a plain 400.
		bad := func(at int) func(int, []string) {
			return func(i int, row []string) {
				if i == at {
					row[3] = "151"
				}
			}
		}
		r := e.importAs(big.APIKey, prefixes[0], "", csvType, bulkCSV("p", n, bad(5)), accept)
		rejected(t, r, "1 of 1200 rows is invalid", bulkRowError{5, "age", "must be between 0 and 150"})
		// A bad row after it: the outcome is the last line.
		r = e.importAs(big.APIKey, prefixes[1], "", csvType, bulkCSV("p", n, bad(late)), accept)
		expect(t, r, 200)
		last := progressOf(t, streamed(t, r), progressStep, 0)
		if !strings.Contains(last.Error, "1 of 1200 rows is invalid") || last.ErrorCount != 1 ||
			!reflect.DeepEqual(last.Errors, []bulkRowError{{late, "age", "must be between 0 and 150"}}) {
			t.Errorf("last line %+v", last)
		}
		// The plan's limit, known once the rows are read.
		pro := storetest.NewOrg(t, e.st, "Pro")
		r = e.importAs(pro.APIKey, prefixes[0], "", csvType, bulkCSV("p", n, nil), accept)
		expect(t, r, 200)
		last = progressOf(t, streamed(t, r), progressStep, 0)
		if last.Error != "client limit of 1000 for the Pro plan: the organization has 0 clients, and 1200 more would exceed it" ||
			last.Errors == nil || last.ErrorCount != 0 {
			t.Errorf("last line %+v", last)
		}
		if after := e.state(big); after != before {
			t.Errorf("a refused import changed the data: %s", badChange(before, after))
		}
		if c := e.count(pro.APIKey, ""); c != 0 {
			t.Errorf("the refused import left %d clients", c)
		}

		// mode=skip: progress through both phases, then the result.
		r = e.importAs(big.APIKey, prefixes[0], "mode=skip", csvType, bulkCSV("p", n, bad(late)), accept)
		expect(t, r, 200)
		last = progressOf(t, streamed(t, r), progressStep, n-1)
		if last.Result == nil {
			t.Fatalf("last line %+v is not a result", last)
		}
		checkAnswer(t, *last.Result, n-1, 1, []bulkRowError{{late, "age", "must be between 0 and 150"}})
		if c := e.count(big.APIKey, ""); c != n-1 {
			t.Errorf("query_count = %d, want %d", c, n-1)
		}

		// Done before any progress line: the status it would have anyway.
		small := storetest.NewOrg(t, e.st, "Pro")
		r = e.importAs(small.APIKey, prefixes[0], "", csvType, bulkCSV("s", 3, nil), accept)
		expect(t, r, 201)
		if lines := streamed(t, r); len(lines) != 1 || lines[0].Result == nil {
			t.Errorf("lines %+v, want one result", lines)
		} else {
			checkAnswer(t, *lines[0].Result, 3, 0, nil)
		}
		r = e.importAs(small.APIKey, prefixes[0], "", csvType, strings.NewReader("email,nickname\n"), accept)
		badWant(t, r, 400, "nickname: unknown column")
	})
}
