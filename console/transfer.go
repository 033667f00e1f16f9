package console

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"path"
	"strings"

	"roster"
	"roster/api"
)

// The import and export page runs the API's import and export
// (api.Server.ImportClients and ExportClients): the same reading of the
// rows, the same checks and words, the same all-or-nothing writing, the
// same streamed export. The console adds the form around them, and shows
// their answers as a page.

// framed serves the console's pages as the API serves its routes
// (api.Server.Framed), but for the import and the export, which are framed
// as the API's own: streams, the import without a budget, since it takes
// as long as its rows.
func framed(a *api.Server, pages http.Handler) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/", a.Framed(pages))
	mux.Handle("POST /console/import-export", a.FramedImport(pages))
	mux.Handle("GET /console/export", a.FramedExport(pages))
	return mux
}

// transferData is what the import and export page shows.
type transferData struct {
	Modes, Formats []option
	Columns        string        // the columns a CSV may have
	Outcome        importOutcome // the answer to the import just posted
	MaxListed      int           // how many row errors an answer lists at most
	Exports        []exportLink
	ClaimLinks     bool // the form asks to mail the new clients claim links
}

// exportLink is one download of the export.
type exportLink struct{ Label, URL string }

// exportLinks are the API's export options: each format, of the active or
// the deactivated clients.
var exportLinks = func() []exportLink {
	var out []exportLink
	for _, state := range []struct{ label, query string }{{"Active", ""}, {"Deactivated", "&deactivated=true"}} {
		for _, f := range []string{"CSV", "NDJSON"} {
			out = append(out, exportLink{Label: fmt.Sprintf("%s clients (%s)", state.label, f),
				URL: Prefix + "export?format=" + strings.ToLower(f) + state.query})
		}
	}
	return out
}()

// importOutcome is the API's answer to an import: a result, a failure,
// or neither before an import.
type importOutcome struct {
	Result  *api.ImportResult  // the rows were imported
	Failure *api.ImportFailure // nothing was imported
}

// Shown reports whether there is an answer to show.
func (o importOutcome) Shown() bool { return o.Result != nil || o.Failure != nil }

// Errors are the bad rows the answer lists.
func (o importOutcome) Errors() []api.ImportRowError {
	switch {
	case o.Result != nil:
		return o.Result.Errors
	case o.Failure != nil:
		return o.Failure.Errors
	}
	return nil
}

// ErrorCount is how many rows were bad, listed or not.
func (o importOutcome) ErrorCount() int {
	switch {
	case o.Result != nil:
		return o.Result.Skipped
	case o.Failure != nil:
		return o.Failure.ErrorCount
	}
	return 0
}

// The import's modes, as the API's mode parameter takes them.
var importModes = []option{
	{Value: "all", Label: "Import nothing (all or nothing)"},
	{Value: "skip", Label: "Skip them and import the other rows"},
}

// importFormats are the formats the form offers, "" for the one the file's
// name says; importTypes their media types, as the API's Content-Type.
var (
	importFormats = []option{{Value: "", Label: "From the file name"}, {Value: "csv", Label: "CSV"}, {Value: "ndjson", Label: "NDJSON"}}
	importTypes   = map[string]string{"csv": "text/csv", "ndjson": "application/x-ndjson"}
	fileFormats   = map[string]string{".csv": "csv", ".ndjson": "ndjson", ".jsonl": "ndjson"}
)

// newTransferData is the page with the form's choices posted, or the
// defaults.
func newTransferData(posted url.Values) transferData {
	return transferData{
		Modes:     chosen(importModes, posted.Get("mode")),
		Formats:   chosen(importFormats, posted.Get("format")),
		Columns:   strings.Join(roster.CSVFieldNames, ", "),
		MaxListed: roster.MaxListedRowErrors,
		Exports:   exportLinks,
		// A checkbox, as the form sends it.
		ClaimLinks: posted.Get("claim_links") == "true",
	}
}

// chosen returns options with the one of value selected.
func chosen(options []option, value string) []option {
	out := make([]option, len(options))
	for i, o := range options {
		o.Selected = o.Value == value
		out[i] = o
	}
	return out
}

func (c *Console) transferPage(w http.ResponseWriter, r *http.Request, s *session) error {
	c.showTransfer(w, r, s, newTransferData(nil), 0)
	return nil
}

func (c *Console) showTransfer(w http.ResponseWriter, r *http.Request, s *session, d transferData, status int) {
	c.render(w, r, s, view{Template: "import-export", Title: "Import and export", Status: status, Data: d})
}

// upload serves h, the POST of the import form, to a signed-in staff
// member who may manage clients, as staff does, but leaves the body to h:
// the file streams into the import as it arrives, so h checks the form's
// CSRF token from the fields before the file (see importForm), where
// signedIn would read the whole body first.
func (c *Console) upload(h handler) http.Handler {
	return c.serve(func(w http.ResponseWriter, r *http.Request, s *session) error {
		if err := permitted(s, roster.PermClients); err != nil {
			return err
		}
		return h(w, r, s)
	})
}

// importClients runs the API's import on the posted file. Asked by
// import.js for NDJSON, it answers as the API does, progress lines
// included; otherwise it shows the API's answer as a page. A refusal
// before the import begins is the page in both cases.
func (c *Console) importClients(w http.ResponseWriter, r *http.Request, s *session) error {
	file, formErr := importForm(r)
	if err := checkCSRF(r, s.csrf); err != nil {
		return err
	}
	d := newTransferData(r.PostForm)
	if formErr != nil {
		return c.importRefused(w, r, s, d, formErr)
	}
	ct, err := importType(r.PostForm.Get("format"), file.FileName())
	if err != nil {
		return c.importRefused(w, r, s, d, err)
	}
	in := api.ImportRequest{Body: file, ContentType: ct, Mode: r.PostForm.Get("mode"), ClaimLinks: d.ClaimLinks}
	if api.AcceptsNDJSON(r) {
		if err := c.api.ImportClients(w, r, s.p, in); err != nil {
			return c.importRefused(w, r, s, d, err)
		}
		return nil
	}
	var held heldAnswer
	if err := c.api.ImportClients(&held, r, s.p, in); err != nil {
		return c.importRefused(w, r, s, d, err)
	}
	if d.Outcome, err = held.importOutcome(); err != nil {
		return err
	}
	c.showTransfer(w, r, s, d, held.status)
	return nil
}

// importRefused shows an import that did not begin, with the API's status
// and words.
func (c *Console) importRefused(w http.ResponseWriter, r *http.Request, s *session, d transferData, err error) error {
	status, msg := api.ErrorAnswer(r, err)
	d.Outcome = importOutcome{Failure: &api.ImportFailure{Error: msg}}
	c.showTransfer(w, r, s, d, status)
	return nil
}

// The field the form's file comes in, which the form puts last.
const fileField = "file"

var errNoFile = roster.Errorf(roster.KindInvalid, "choose a file to import")

// importForm reads the import form's fields that come before its file into
// r.PostForm, together at most maxForm bytes, and returns the file's part,
// unread: the file streams into the import, never held whole.
func importForm(r *http.Request) (*multipart.Part, error) {
	r.PostForm = url.Values{}
	mr, err := r.MultipartReader()
	if err != nil {
		return nil, roster.Errorf(roster.KindInvalid, "the form could not be read: %v", err)
	}
	left := int64(maxForm)
	for {
		part, err := mr.NextPart()
		switch {
		case errors.Is(err, io.EOF):
			return nil, errNoFile
		case err != nil:
			return nil, roster.Errorf(roster.KindInvalid, "the form could not be read: %v", err)
		case part.FormName() == fileField && part.FileName() == "":
			return nil, errNoFile
		case part.FormName() == fileField:
			return part, nil
		}
		value, err := io.ReadAll(io.LimitReader(part, left+1))
		if err != nil {
			return nil, err
		}
		if left -= int64(len(value)); left < 0 {
			return nil, roster.Errorf(roster.KindTooLarge, "the form's fields are larger than %d bytes", maxForm)
		}
		r.PostForm.Add(part.FormName(), string(value))
	}
}

// importType is the media type of the file's rows: that of the format
// chosen, or of the one the file's name says.
func importType(format, filename string) (string, error) {
	if format == "" {
		if format = fileFormats[strings.ToLower(path.Ext(filename))]; format == "" {
			return "", roster.Errorf(roster.KindUnsupported,
				"%q: the file's name ends neither in .csv nor in .ndjson; choose its format", filename)
		}
	}
	ct, ok := importTypes[format]
	if !ok {
		return "", roster.Errorf(roster.KindInvalid, "format: must be csv or ndjson")
	}
	return ct, nil
}

// heldAnswer keeps an answer of the API's in memory for a page to show:
// an import's, which without progress lines is one small JSON body.
type heldAnswer struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (h *heldAnswer) Header() http.Header {
	if h.header == nil {
		h.header = http.Header{}
	}
	return h.header
}

func (h *heldAnswer) WriteHeader(status int) {
	if h.status == 0 {
		h.status = status
	}
}

func (h *heldAnswer) Write(b []byte) (int, error) {
	h.WriteHeader(http.StatusOK)
	return h.body.Write(b)
}

// importOutcome reads the held answer to an import: a 201's result, or
// any other status's failure.
func (h *heldAnswer) importOutcome() (importOutcome, error) {
	var o importOutcome
	var into any = &o.Failure
	if h.status == http.StatusCreated {
		into = &o.Result
	}
	if err := json.Unmarshal(h.body.Bytes(), into); err != nil {
		return o, fmt.Errorf("the import's answer (%d): %w", h.status, err)
	}
	return o, nil
}

// exportClients serves the API's export of the organization's clients,
// with the API's query (format, deactivated).
func (c *Console) exportClients(w http.ResponseWriter, r *http.Request, s *session) error {
	return c.api.ExportClients(w, r, s.p)
}
