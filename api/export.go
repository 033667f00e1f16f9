package api

import (
	"encoding/csv"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"time"

	"roster"
)

// exportColumns are a CSV export's columns: the fields CSV carries, then
// the read-only ones an import ignores.
var exportColumns = slices.Concat(roster.CSVFieldNames, roster.ReadOnlyFields)

// csvFields are the fields of the export's first columns.
var csvFields = roster.FieldsFor(roster.UseCSV)

// readOnlyCells give each read-only column's cell, in the order of
// roster.ReadOnlyFields, as JSON shows the value; an empty cell is null.
var readOnlyCells = func() []func(c *roster.Client) string {
	cells := map[string]func(c *roster.Client) string{
		"user_uid":       func(c *roster.Client) string { return c.UID },
		"admin_uid":      func(c *roster.Client) string { return c.CreatedBy },
		"created_at":     func(c *roster.Client) string { return timeJSON(c.CreatedAt) },
		"updated_at":     func(c *roster.Client) string { return timeJSON(c.UpdatedAt) },
		"last_session":   func(c *roster.Client) string { return optTimeCell(c.LastSession) },
		"sessions_count": func(c *roster.Client) string { return strconv.FormatInt(c.SessionsCount, 10) },
		"status":         status,
		"deactivated_at": func(c *roster.Client) string { return optTimeCell(c.DeactivatedAt) },
	}
	list := make([]func(c *roster.Client) string, len(roster.ReadOnlyFields))
	for i, name := range roster.ReadOnlyFields {
		if list[i] = cells[name]; list[i] == nil {
			panic("api: no CSV cell for the export column " + name)
		}
	}
	return list
}()

func optTimeCell(t *time.Time) string {
	if t == nil {
		return ""
	}
	return timeJSON(*t)
}

// exporter writes clients in one export format.
type exporter interface {
	begin() error // before the first client
	// client writes one client; history, when not nil, is its metric
	// history, which only NDJSON carries.
	client(j *clientJSON, history []roster.Metric) error
	end() error
}

type ndjsonExporter struct {
	w    io.Writer
	line []byte
}

func (e *ndjsonExporter) begin() error { return nil }
func (e *ndjsonExporter) end() error   { return nil }

// historyPiece is about the most of a line's history that is written at
// once: a long history goes out in pieces rather than as one line buffer
// of its size.
const historyPiece = 64 << 10

// client writes one line.
func (e *ndjsonExporter) client(j *clientJSON, history []roster.Metric) error {
	if history == nil {
		e.line = append(j.appendJSON(e.line[:0]), '\n')
		_, err := e.w.Write(e.line)
		return err
	}
	e.line = append(j.appendFields(e.line[:0]), `,"history":[`...)
	for i := range history {
		if i > 0 {
			e.line = append(e.line, ',')
		}
		e.line = appendMetricJSON(e.line, &history[i])
		if len(e.line) >= historyPiece {
			if _, err := e.w.Write(e.line); err != nil {
				return err
			}
			e.line = e.line[:0]
		}
	}
	e.line = append(e.line, "]}\n"...)
	_, err := e.w.Write(e.line)
	return err
}

type csvExporter struct {
	w      *csv.Writer
	record []string
}

func (e *csvExporter) begin() error { return e.w.Write(exportColumns) }

// client writes one row, every cell guarded against running as a formula
// in a spreadsheet (roster.GuardCell; an import takes the guard off).
func (e *csvExporter) client(j *clientJSON, _ []roster.Metric) error {
	e.record = e.record[:0]
	for _, spec := range csvFields {
		e.record = append(e.record, roster.GuardCell(spec.Text(&j.c.ClientFields)))
	}
	for _, cell := range readOnlyCells {
		e.record = append(e.record, roster.GuardCell(cell(j.c)))
	}
	return e.w.Write(e.record)
}

func (e *csvExporter) end() error {
	e.w.Flush()
	return e.w.Error()
}

// exportQuery reads the query: format=ndjson (the default) or csv,
// deactivated=true to export the deactivated clients instead of the
// active ones, as the list does, and history=true to add each client's
// metric history, which only NDJSON can carry.
func exportQuery(w http.ResponseWriter, r *http.Request) (ex exporter, ext string, cq roster.ClientQuery, history bool, err error) {
	q, err := params(r, []string{"format", "deactivated", "history"})
	if err != nil {
		return nil, "", cq, false, err
	}
	deactivated, err := boolParam(q, "deactivated")
	if err != nil {
		return nil, "", cq, false, err
	}
	cq.Deactivated = deactivated != nil && *deactivated
	withHistory, err := boolParam(q, "history")
	if err != nil {
		return nil, "", cq, false, err
	}
	history = withHistory != nil && *withHistory
	if history && q["format"] == "csv" {
		return nil, "", cq, false, invalid("history: only an NDJSON export carries the history; use format=ndjson")
	}
	ex, ext, err = exportFormat(w, q["format"])
	return ex, ext, cq, history, err
}

// exportFormat returns the exporter of format.
func exportFormat(w http.ResponseWriter, format string) (exporter, string, error) {
	switch format {
	case "", "ndjson":
		w.Header().Set("Content-Type", ndjsonType)
		return &ndjsonExporter{w: w}, "ndjson", nil
	case "csv":
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		return &csvExporter{w: csv.NewWriter(w)}, "csv", nil
	}
	return nil, "", invalid("format: must be csv or ndjson")
}

func (s *Server) exportClients(w http.ResponseWriter, r *http.Request) error {
	return s.ExportClients(w, r, principal(r))
}

// ExportClients streams every client of p's organization to w, newest
// first, as the list does, in the format and of the state r's query asks
// for, as GET .../clients/export/ does: memory stays flat however many
// there are. The staff console's export runs it too, with the same query.
// An error it returns has not been answered: nothing was written. Once the
// first byte is out, an error can only abort the response.
func (s *Server) ExportClients(w http.ResponseWriter, r *http.Request, p roster.Principal) error {
	ex, ext, cq, history, err := exportQuery(w, r)
	if err != nil {
		return err
	}
	release, err := s.streams.take(p)
	if err != nil {
		return err
	}
	defer release()
	photoURL := s.photoURL()
	started := false
	begin := func() error {
		w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="clients.%s"`, ext))
		started = true
		return ex.begin()
	}
	write := func(c *roster.Client, h []roster.Metric) error {
		if !started {
			if err := begin(); err != nil {
				return err
			}
		}
		j := toJSON(c, photoURL, false)
		if history && h == nil {
			// A client without history shows an empty list, not none.
			h = []roster.Metric{}
		}
		return ex.client(&j, h)
	}
	if history {
		err = s.store.EachClientWithHistory(r.Context(), p.OrgID, cq, write)
	} else {
		err = s.store.EachClientMatching(r.Context(), p.OrgID, cq, func(c *roster.Client) error { return write(c, nil) })
	}
	if err == nil && !started {
		err = begin()
	}
	if err == nil {
		err = ex.end()
	}
	if err != nil && started {
		logFrom(r.Context()).Error("client export aborted", "err", err)
		panic(http.ErrAbortHandler)
	}
	return err
}

// FramedExport serves h as Framed does, but as the API serves its export:
// a stream, whose budget each write renews.
func (s *Server) FramedExport(h http.Handler) http.Handler {
	return s.withRequestLog(s.bounded(routeOf("GET /export/{$}"), h))
}
