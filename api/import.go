package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"
	"time"

	"roster"
	"roster/store"
)

// progressEvery is how many rows pass between two progress lines: a
// variable, so that tests see lines without importing tens of thousands.
var progressEvery = 10_000

// takenBatch is how many rows are checked against the organization's
// existing clients at once: one query per batch, not per row.
const takenBatch = 500

func (s *Server) importClients(w http.ResponseWriter, r *http.Request) error {
	q, err := params(r, []string{"mode", "claim_links"})
	if err != nil {
		return err
	}
	claim, err := boolParam(q, "claim_links")
	if err != nil {
		return err
	}
	return s.ImportClients(w, r, principal(r), ImportRequest{Body: r.Body, ContentType: r.Header.Get("Content-Type"),
		Mode: q["mode"], ClaimLinks: claim != nil && *claim})
}

// ImportRequest is what an import reads: what POST .../clients/import/
// takes from its request.
type ImportRequest struct {
	Body        io.ReadCloser // the rows, read up to maxImportBody
	ContentType string        // text/csv or application/x-ndjson, in UTF-8
	Mode        string        // the query's mode: all (or empty) or skip
	ClaimLinks  bool          // send each new client a link invitation
}

// ImportClients imports in's rows into p's organization as POST
// .../clients/import/ does, and answers it to w as that route does: JSON,
// or NDJSON progress lines when r accepts them. The staff console's
// import runs it too, so that the two cannot differ. An error it returns
// has not been answered: nothing was written to w.
func (s *Server) ImportClients(w http.ResponseWriter, r *http.Request, p roster.Principal, in ImportRequest) error {
	skipBad, err := importMode(in.Mode)
	if err != nil {
		return err
	}
	rows, err := newRowReader(w, in.Body, in.ContentType)
	if err != nil {
		return err
	}
	sp, err := newSpool()
	if err != nil {
		return err
	}
	defer sp.remove()
	im := &importer{store: s.store, org: p.OrgID, creator: p.AccountUID, skipBad: skipBad,
		check: roster.NewImportRows(), spool: sp, now: s.now, metrics: s.metrics}
	if in.ClaimLinks {
		if err := im.askClaimLinks(r.Context(), s, p); err != nil {
			return err
		}
	}
	im.out = newImportAnswer(w, r, im.mayStream)
	if im.out.stream {
		// In full duplex, net/http drains a body left unread (a form's
		// end, rows after a failure) only once the handler has returned,
		// and the drain's end races the connection's next read: a panic
		// that resets the connection (golang/go#68560). Drained here, the
		// body's end is seen while the handler still runs.
		defer r.Body.Close()
	}
	res, err := im.run(r.Context(), rows)
	if err == nil && im.claims != nil {
		s.mail.Notify()
	}
	return im.finish(r, res, err)
}

// FramedImport serves h as Framed does, but as the API serves its import:
// a stream without a budget, since an import takes as long as its rows.
func (s *Server) FramedImport(h http.Handler) http.Handler {
	return s.withRequestLog(s.bounded(routeOf("POST /import/{$}"), h))
}

// routeOf is the route of the table with pattern.
func routeOf(pattern string) Route {
	for _, rt := range routes {
		if rt.Pattern == pattern {
			return rt
		}
	}
	panic("api: no route " + pattern)
}

// importMode reads an import's mode: all (the default) imports nothing
// when any row is bad, skip imports the good rows.
func importMode(mode string) (skipBad bool, err error) {
	switch mode {
	case "", "all":
		return false, nil
	case "skip":
		return true, nil
	}
	return false, invalid("mode: must be all or skip")
}

// importer is one import: it validates the rows into the spool, then
// imports the spool, all or nothing (see store.ImportClients).
type importer struct {
	store   *store.Store
	org     roster.OrgID
	creator string
	skipBad bool
	check   *roster.ImportRows
	spool   *spool
	out     *importAnswer
	now     func() time.Time // the server's clock
	metrics *metrics

	claims    *roster.ClaimLinks // to send the new clients, if asked
	claimRoom int                // how many the organization may send now
	claimWait time.Duration      // until its room grows back

	rows    int               // data rows read
	bad     int               // rows with an error
	errors  []roster.RowError // the first MaxListedRowErrors of them
	pending []pendingRow      // read, not yet checked against existing clients
}

type pendingRow struct {
	fields roster.ClientFields
	err    *roster.RowError
	row    int
}

// ImportResult is the answer to an import that wrote its rows.
type ImportResult struct {
	Imported int              `json:"imported"`
	Skipped  int              `json:"skipped"`
	Errors   []ImportRowError `json:"errors"`
	// ClaimLinksSent counts the link invitations sent, when asked for.
	ClaimLinksSent *int `json:"claim_links_sent,omitempty"`
}

// ImportRowError is a bad row of an import, as its answer lists it.
type ImportRowError struct {
	Row   int    `json:"row"`
	Field string `json:"field"`
	Error string `json:"error"`
}

func (im *importer) run(ctx context.Context, rows rowReader) (*ImportResult, error) {
	if err := im.validate(ctx, rows); err != nil {
		return nil, err
	}
	if im.bad > 0 && !im.skipBad {
		verb := map[bool]string{true: "is", false: "are"}[im.bad == 1]
		return nil, invalid("%d of %s %s invalid, so nothing was imported (mode=skip imports the valid ones)",
			im.bad, roster.Count(im.rows, "row"), verb)
	}
	sent, err := im.insert(ctx)
	if err != nil {
		return nil, err
	}
	im.metrics.imported(im.spool.n)
	res := &ImportResult{Imported: im.spool.n, Skipped: im.bad, Errors: im.listedErrors()}
	if im.claims != nil {
		res.ClaimLinksSent = &sent
	}
	return res, nil
}

// askClaimLinks has the import send its new clients link invitations, and
// reads how many the organization may send now, to refuse the import as
// soon as it has more new clients than that (see flush), rather than
// after writing them; the store counts them for good when it publishes
// them.
func (im *importer) askClaimLinks(ctx context.Context, s *Server, p roster.Principal) error {
	claims, err := s.claimLinks(p)
	if err != nil {
		return err
	}
	im.claims = &claims
	im.claimRoom, im.claimWait, err = s.store.ClaimLinkRoom(ctx, p.OrgID, claims.Limits)
	return err
}

// validate reads every row, checks it alone, against the rows before it
// and against the organization's clients, and spools the valid ones.
func (im *importer) validate(ctx context.Context, rows rowReader) error {
	for {
		row, raw, err := rows.next()
		var rowErr *roster.RowError
		switch {
		case errors.Is(err, io.EOF):
			return im.flush(ctx)
		case errors.As(err, &rowErr):
			im.pending = append(im.pending, pendingRow{err: rowErr})
		case err != nil:
			return err
		default:
			f, rowErr := im.check.Check(row, raw)
			im.pending = append(im.pending, pendingRow{fields: f, err: rowErr, row: row})
		}
		if im.rows++; im.rows > roster.MaxImportRows {
			return invalid("too many rows: an import takes at most %d rows; split the file", roster.MaxImportRows)
		}
		if len(im.pending) == takenBatch {
			if err := im.flush(ctx); err != nil {
				return err
			}
		}
		im.out.progress("validating", im.rows, nil)
	}
}

// flush checks the pending rows against the organization's clients and
// moves them, in row order, to the errors or the spool.
func (im *importer) flush(ctx context.Context) error {
	var emails, ids []string
	for _, p := range im.pending {
		if p.err == nil {
			emails = append(emails, roster.EmailKey(p.fields.Email))
			if p.fields.ExternalID != nil {
				ids = append(ids, *p.fields.ExternalID)
			}
		}
	}
	takenEmails, takenIDs, err := im.store.TakenClientKeys(ctx, im.org, emails, ids)
	if err != nil {
		return err
	}
	for _, p := range im.pending {
		switch {
		case p.err != nil:
			im.fail(p.err)
		case takenEmails[roster.EmailKey(p.fields.Email)]:
			im.fail(&roster.RowError{Row: p.row, Field: "email", Message: roster.TakenMessage("email")})
		case p.fields.ExternalID != nil && takenIDs[*p.fields.ExternalID]:
			im.fail(&roster.RowError{Row: p.row, Field: "external_id", Message: roster.TakenMessage("external_id")})
		case im.bad > 0 && !im.skipBad:
			// Nothing will be imported: the rest is only checked.
		default:
			if err := im.spool.add(&p.fields); err != nil {
				return err
			}
		}
	}
	im.pending = im.pending[:0]
	if im.claims != nil && im.spool.n > im.claimRoom {
		return roster.TooManyClaimLinks(im.claimRoom, im.claims.Limits.LinkInvitationsPerOrg, im.claimWait)
	}
	return nil
}

func (im *importer) fail(e *roster.RowError) {
	im.bad++
	if len(im.errors) < roster.MaxListedRowErrors {
		im.errors = append(im.errors, *e)
	}
}

func (im *importer) listedErrors() []ImportRowError {
	out := make([]ImportRowError, len(im.errors))
	for i, e := range im.errors {
		out[i] = ImportRowError{Row: e.Row, Field: e.Field, Error: e.Message}
	}
	return out
}

// mayStream reports whether progress lines may begin: not once mode=all
// has found a bad row, for then the answer is a plain 400 at the end.
func (im *importer) mayStream() bool { return im.skipBad || im.bad == 0 }

// insert imports the spooled rows, and returns how many claim links it
// sent. Their uids are taken in one block and handed out backwards, so
// that lists, newest first, show the rows in the file's order.
func (im *importer) insert(ctx context.Context) (sent int, err error) {
	n := im.spool.n
	if n == 0 {
		return 0, nil
	}
	next, err := im.spool.rows()
	if err != nil {
		return 0, err
	}
	t := im.now()
	uid := roster.NewUIDs(t, n)
	i := n
	client := func() (*roster.Client, error) {
		f, err := next()
		if err != nil {
			return nil, fmt.Errorf("import spool: %w", err)
		}
		i--
		return &roster.Client{UID: uid(i), CreatedBy: im.creator, ClientFields: f, CreatedAt: t, UpdatedAt: t}, nil
	}
	if !im.out.stream {
		return im.store.ImportClientsWithClaimLinks(ctx, im.org, n, client, nil, im.claims)
	}
	// The store reports progress between the import's chunks, which must
	// not wait for a slow reader: an import that stops writing holds its
	// hidden rows, and their emails, until it is swept. The lines are
	// written from here, and ticks holds only the latest count.
	done, ticks := make(chan error, 1), make(chan int, 1)
	go func() {
		var err error
		sent, err = im.store.ImportClientsWithClaimLinks(ctx, im.org, n, client, func(k int) {
			for {
				select {
				case ticks <- k:
					return
				case <-ticks: // a stale count the reader has not taken
				}
			}
		}, im.claims)
		done <- err
	}()
	for {
		select {
		case k := <-ticks:
			im.out.progress("importing", k, &n)
		case err := <-done:
			if err == nil && len(ticks) > 0 {
				im.out.progress("importing", <-ticks, &n)
			}
			return sent, err
		}
	}
}

// ImportFailure is the answer to an import that wrote nothing: the error,
// and the bad rows found until then.
type ImportFailure struct {
	Error      string           `json:"error"`
	Errors     []ImportRowError `json:"errors"`
	ErrorCount int              `json:"error_count"`
}

// finish writes the outcome. A 400 once rows were found bad lists them;
// any other error is returned for writeError to answer, as long as nothing
// has been sent.
func (im *importer) finish(r *http.Request, res *ImportResult, err error) error {
	a := im.out
	switch {
	case err == nil && a.stream:
		a.line(http.StatusCreated, map[string]*ImportResult{"result": res})
	case err == nil:
		writeJSON(a.w, http.StatusCreated, res)
	case a.started:
		_, msg := errorMessage(r, err)
		a.line(http.StatusOK, im.failure(msg))
	case im.bad > 0 && roster.KindOf(err) == roster.KindInvalid:
		writeJSON(a.w, http.StatusBadRequest, im.failure(err.Error()))
	default:
		return err
	}
	return nil
}

func (im *importer) failure(msg string) ImportFailure {
	return ImportFailure{Error: msg, Errors: im.listedErrors(), ErrorCount: im.bad}
}

// importAnswer writes an import's answer: one JSON body, or, when the
// caller accepts NDJSON, progress lines and then the outcome as the last
// line. The status goes out with the first line, so an outcome known before
// any progress line has the status it would have without progress.
type importAnswer struct {
	w        http.ResponseWriter
	rc       *http.ResponseController
	stream   bool        // the caller asked for progress lines
	started  bool        // a line went out, and with it the status
	mayStart func() bool // whether progress lines may begin now
	lastRows int         // the rows of the last progress line
	phase    string
}

func newImportAnswer(w http.ResponseWriter, r *http.Request, mayStart func() bool) *importAnswer {
	a := &importAnswer{w: w, rc: http.NewResponseController(w), stream: AcceptsNDJSON(r), mayStart: mayStart}
	if a.stream {
		// Progress lines go out while the body is still being read; on
		// HTTP/1 Go would otherwise drain the body before the first one.
		a.rc.EnableFullDuplex()
	}
	return a
}

// AcceptsNDJSON reports whether r asks for an import's progress lines: it
// accepts application/x-ndjson.
func AcceptsNDJSON(r *http.Request) bool {
	for _, v := range strings.Split(r.Header.Get("Accept"), ",") {
		if media, _, err := mime.ParseMediaType(strings.TrimSpace(v)); err == nil && media == ndjsonType {
			return true
		}
	}
	return false
}

type progressJSON struct {
	Rows  int    `json:"rows"`
	Total *int   `json:"total"` // unknown while validating: the body is still being read
	Phase string `json:"phase"`
}

// progress sends a progress line when rows has passed another
// progressEvery since the last one of the phase.
func (a *importAnswer) progress(phase string, rows int, total *int) {
	if phase != a.phase {
		a.phase, a.lastRows = phase, 0
	}
	if !a.stream || rows/progressEvery == a.lastRows/progressEvery || !a.started && !a.mayStart() {
		return
	}
	a.lastRows = rows
	a.line(http.StatusOK, map[string]progressJSON{"progress": {Rows: rows, Total: total, Phase: phase}})
}

// line writes one NDJSON line and flushes it; the first sends status.
func (a *importAnswer) line(status int, v any) {
	if !a.started {
		a.w.Header().Set("Content-Type", ndjsonType)
		a.w.WriteHeader(status)
		a.started = true
	}
	enc := json.NewEncoder(a.w)
	enc.SetEscapeHTML(false)
	enc.Encode(v)
	a.rc.Flush()
}
