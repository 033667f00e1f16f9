package api

import (
	"encoding/csv"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"

	"roster"
)

// exportColumns are a CSV export's columns: the writable fields, then the
// read-only ones an import ignores.
var exportColumns = slices.Concat(roster.ClientFieldNames, roster.ReadOnlyFields)

// csvCells gives each export column's cell from a client's JSON form, so
// that CSV shows every value as JSON does; an empty cell is null.
var csvCells = map[string]func(j *clientJSON) string{
	"email":        func(j *clientJSON) string { return j.Email },
	"display_name": func(j *clientJSON) string { return j.DisplayName },
	"phone":        func(j *clientJSON) string { return deref(j.Phone) },
	"age":          func(j *clientJSON) string { return deref(j.Age) },
	"gender":       func(j *clientJSON) string { return deref(j.Gender) },
	"height":       func(j *clientJSON) string { return floatCell(j.Height) },
	"weight":       func(j *clientJSON) string { return floatCell(j.Weight) },
	"ycom":         func(j *clientJSON) string { return floatCell(j.YCOM) },
	"leg_length":   func(j *clientJSON) string { return floatCell(j.LegLength) },
	"shoeSize":     func(j *clientJSON) string { return deref(j.ShoeSize) },
	"brand":        func(j *clientJSON) string { return deref(j.Brand) },
	"shoeModel":    func(j *clientJSON) string { return deref(j.ShoeModel) },
	"preferable_activities": func(j *clientJSON) string {
		b, _ := marshalJSON(j.PreferableActivities)
		return string(b)
	},
	"external_id": func(j *clientJSON) string { return deref(j.ExternalID) },
	"sessions_limit": func(j *clientJSON) string {
		if j.SessionsLimit == nil {
			return ""
		}
		return strconv.FormatInt(*j.SessionsLimit, 10)
	},
	"user_uid":       func(j *clientJSON) string { return j.UserUID },
	"admin_uid":      func(j *clientJSON) string { return j.AdminUID },
	"created_at":     func(j *clientJSON) string { return j.CreatedAt },
	"updated_at":     func(j *clientJSON) string { return j.UpdatedAt },
	"last_session":   func(j *clientJSON) string { return deref(j.LastSession) },
	"sessions_count": func(j *clientJSON) string { return strconv.FormatInt(j.SessionsCount, 10) },
	"status":         func(j *clientJSON) string { return j.Status },
	"deactivated_at": func(j *clientJSON) string { return deref(j.DeactivatedAt) },
}

func init() {
	for _, c := range exportColumns {
		if csvCells[c] == nil {
			panic("api: no CSV cell for the export column " + c)
		}
	}
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func floatCell(x *float64) string {
	if x == nil {
		return ""
	}
	return strconv.FormatFloat(*x, 'f', -1, 64)
}

// exporter writes clients in one export format.
type exporter interface {
	begin() error // before the first client
	client(j *clientJSON) error
	end() error
}

type ndjsonExporter struct{ w io.Writer }

func (e ndjsonExporter) begin() error { return nil }
func (e ndjsonExporter) end() error   { return nil }

func (e ndjsonExporter) client(j *clientJSON) error {
	b, err := marshalJSON(j)
	if err != nil {
		return err
	}
	_, err = e.w.Write(append(b, '\n'))
	return err
}

type csvExporter struct {
	w      *csv.Writer
	record []string
}

func (e *csvExporter) begin() error { return e.w.Write(exportColumns) }

// client writes one row, every cell guarded against running as a formula
// in a spreadsheet (roster.GuardCell; an import takes the guard off).
func (e *csvExporter) client(j *clientJSON) error {
	e.record = e.record[:0]
	for _, c := range exportColumns {
		e.record = append(e.record, roster.GuardCell(csvCells[c](j)))
	}
	return e.w.Write(e.record)
}

func (e *csvExporter) end() error {
	e.w.Flush()
	return e.w.Error()
}

// exportQuery reads the query: format=ndjson (the default) or csv, and
// deactivated=true to export the deactivated clients instead of the
// active ones, as the list does.
func exportQuery(w http.ResponseWriter, r *http.Request) (exporter, string, roster.ClientQuery, error) {
	var cq roster.ClientQuery
	q, err := params(r, []string{"format", "deactivated"})
	if err != nil {
		return nil, "", cq, err
	}
	deactivated, err := boolParam(q, "deactivated")
	if err != nil {
		return nil, "", cq, err
	}
	cq.Deactivated = deactivated != nil && *deactivated
	ex, ext, err := exportFormat(w, q["format"])
	return ex, ext, cq, err
}

// exportFormat returns the exporter of format.
func exportFormat(w http.ResponseWriter, format string) (exporter, string, error) {
	switch format {
	case "", "ndjson":
		w.Header().Set("Content-Type", ndjsonType)
		return ndjsonExporter{w}, "ndjson", nil
	case "csv":
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		return &csvExporter{w: csv.NewWriter(w)}, "csv", nil
	}
	return nil, "", invalid("format: must be csv or ndjson")
}

// exportClients streams every client of the organization, newest first, as
// the list does: memory stays flat however many there are. Once the first
// byte is out, an error can only abort the response.
func (s *Server) exportClients(w http.ResponseWriter, r *http.Request) error {
	ex, ext, cq, err := exportQuery(w, r)
	if err != nil {
		return err
	}
	photoURL := s.photoURL()
	started := false
	begin := func() error {
		w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="clients.%s"`, ext))
		started = true
		return ex.begin()
	}
	err = s.store.EachClientMatching(r.Context(), principal(r).OrgID, cq, func(c *roster.Client) error {
		if !started {
			if err := begin(); err != nil {
				return err
			}
		}
		j := toJSON(c, photoURL, false)
		return ex.client(&j)
	})
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
