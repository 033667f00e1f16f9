package console

import (
	"net/http"
	"net/url"
	"strings"
	"time"

	"roster"
	"roster/api"
)

// The audit log page reads the organization's audit log as
// GET /admin-management/audit-log/ does, under the same permission (the
// guard in routes), a keyset page at a time, newest first. Its filters are
// a form's fields, so that every page of a filtered log is a URL.

// auditPerPage is how many entries a page shows.
const auditPerPage = 50

// auditQuery is the page's query: its filters and where its page starts.
type auditQuery struct {
	Action, Actor, Target string
	Since, Until          string // as typed: datetime-local, in UTC
	Before                string // keyset: the entries older than this id
}

// auditData is what the page shows.
type auditData struct {
	Q       auditQuery
	Entries []auditRow
	Error   string
	Older   string // the next page's URL; "" on the last
	Newest  string // the first page's URL, from a later page
}

// auditRow is one entry of the log.
type auditRow struct {
	ID, At, Action, ActorUID, ActorKind, KeyID, RemoteAddr, ObjectType, ObjectUID, Fields string
	ActorURL, ObjectURL                                                                   string
}

// localMinute is the format of an <input type="datetime-local">, read as
// UTC.
const localMinute = "2006-01-02T15:04"

func (c *Console) auditLog(w http.ResponseWriter, r *http.Request, s *session) error {
	v := r.URL.Query()
	q := auditQuery{Action: strings.TrimSpace(v.Get("action")), Actor: strings.TrimSpace(v.Get("actor")),
		Target: strings.TrimSpace(v.Get("target")), Since: v.Get("since"), Until: v.Get("until"), Before: v.Get("before")}
	d := auditData{Q: q}
	f, err := q.filter()
	if err != nil {
		var status int
		status, d.Error = api.ErrorAnswer(r, err)
		c.render(w, r, s, view{Template: "audit", Title: "Audit log", Status: status, Data: d})
		return nil
	}
	// One entry more than the page tells whether another page follows.
	entries, err := c.st.AuditLog(r.Context(), s.p.OrgID, f)
	if err != nil {
		return err
	}
	if len(entries) > auditPerPage {
		entries = entries[:auditPerPage]
		d.Older = q.url(entries[auditPerPage-1].ID)
	}
	if q.Before != "" {
		d.Newest = q.url("")
	}
	d.Entries = make([]auditRow, len(entries))
	for i, e := range entries {
		d.Entries[i] = q.row(e)
	}
	c.render(w, r, s, view{Template: "audit", Title: "Audit log", Data: d})
	return nil
}

// filter is the store's filter for q, or the error a field of q has.
func (q auditQuery) filter() (roster.AuditFilter, error) {
	f := roster.AuditFilter{Action: q.Action, ActorUID: q.Actor, ObjectUID: q.Target, BeforeID: q.Before, Limit: auditPerPage + 1}
	if q.Before != "" && !roster.IsNewUID(q.Before) {
		return f, roster.Errorf(roster.KindInvalid, "before: must be an entry's id, as the Older link gives it")
	}
	for _, t := range []struct {
		label, value string
		dst          *time.Time
	}{{"From", q.Since, &f.Since}, {"Until", q.Until, &f.Until}} {
		if t.value == "" {
			continue
		}
		at, err := parseMinute(t.value)
		if err != nil {
			return f, roster.Errorf(roster.KindInvalid, "%s: must be a date and time such as 2026-01-31T08:00 (UTC) or an RFC 3339 time", t.label)
		}
		*t.dst = at
	}
	if !f.Since.IsZero() && !f.Until.IsZero() && !f.Since.Before(f.Until) {
		return f, roster.Errorf(roster.KindInvalid, "Until: must be after From")
	}
	return f, nil
}

// parseMinute reads a datetime-local value, to the minute or to a fraction
// of a second, as UTC, or an RFC 3339 time as the API takes it.
func parseMinute(s string) (time.Time, error) {
	var t time.Time
	var err error
	for _, layout := range []string{localMinute, localMinute + ":05.999999999", time.RFC3339Nano} {
		if t, err = time.Parse(layout, s); err == nil {
			break
		}
	}
	return t, err
}

// url is the page of q's filters that starts before the entry before.
func (q auditQuery) url(before string) string {
	v := url.Values{}
	for name, value := range map[string]string{"action": q.Action, "actor": q.Actor, "target": q.Target,
		"since": q.Since, "until": q.Until, "before": before} {
		if value != "" {
			v.Set(name, value)
		}
	}
	if len(v) == 0 {
		return Prefix + "audit"
	}
	return Prefix + "audit?" + v.Encode()
}

// row shows e, with links that filter the log by its actor and its object.
func (q auditQuery) row(e roster.AuditEntry) auditRow {
	row := auditRow{ID: e.ID, At: e.At.UTC().Format("2006-01-02 15:04:05 UTC"), Action: e.Action, ActorUID: e.Actor.UID,
		ActorKind: e.Actor.Kind, KeyID: e.Actor.KeyID, RemoteAddr: e.Actor.RemoteAddr, ObjectType: e.ObjectType,
		ObjectUID: e.ObjectUID, Fields: strings.Join(e.Fields, ", ")}
	if e.Actor.UID != "" {
		row.ActorURL = auditQuery{Actor: e.Actor.UID}.url("")
	}
	if e.ObjectUID != "" {
		row.ObjectURL = auditQuery{Target: e.ObjectUID}.url("")
	}
	return row
}
