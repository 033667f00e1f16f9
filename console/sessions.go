package console

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"roster"
)

// The client page lists the client's analysis sessions, newest first, a
// page at a time as GET .../{user_uid}/sessions pages them, and records
// one as POST .../{user_uid}/sessions does: through the API server's
// RecordAnalysisSession, which takes a unit of the organization's quota.

// sessionsPerPage is how many sessions the client page lists at once: the
// API's page unless asked otherwise.
const sessionsPerPage = 20

// sessionsAfter is the client page's query parameter for an older page of
// sessions, as start_after_id is the API's.
const sessionsAfter = "sessions_after"

// sessionsData is the client page's part about analysis sessions.
type sessionsData struct {
	List   []shownSession
	Older  string // the link to the next older page; "" on the last
	Newest string // the link to the first page, from another
	Left   string // how many the organization has left
	Form   sessionForm
}

// shownSession is one row of the list.
type shownSession struct {
	Time, Activity, Duration, Metrics, Recorded string
}

// sessionForm is the form that records a session: what was typed, and
// the API's errors, each next to its field or, without one, above the
// form.
type sessionForm struct {
	Activity, Time, Duration, Metrics string
	Activities                        []option
	Errors                            map[string]string
	Error                             string
	Focus                             string // the first field in error
}

// sessionFieldNames are the session form's fields, in the form's order.
var sessionFieldNames = []string{"activity", "time", "duration", "metrics"}

// sessions reads the page of cl's sessions that q asks for, and the
// organization's quota and activities for the form.
func (c *Console) sessions(r *http.Request, s *session, cl *roster.Client, q url.Values) (sessionsData, error) {
	var d sessionsData
	after := q.Get(sessionsAfter)
	if after != "" && !roster.ValidUID(after) {
		return d, roster.Errorf(roster.KindInvalid, "%s: must be a session uid", sessionsAfter)
	}
	list, err := c.st.ClientAnalysisSessions(r.Context(), s.p.OrgID, cl.UID, after, sessionsPerPage+1)
	if err != nil {
		return d, err
	}
	if len(list) > sessionsPerPage {
		list = list[:sessionsPerPage]
		d.Older = clientURL(cl.UID) + "?" + url.Values{sessionsAfter: {list[len(list)-1].UID}}.Encode() + "#sessions"
	}
	if after != "" {
		d.Newest = clientURL(cl.UID) + "#sessions"
	}
	for i := range list {
		d.List = append(d.List, showSession(&list[i]))
	}
	org, err := c.st.OrganizationStatus(r.Context(), s.p.OrgID, s.p.AccountUID)
	if err != nil {
		return d, err
	}
	d.Left = roster.Count(org.SessionNumber, "analysis session") + " left"
	d.Form.Activities = options(org.Activities, nil)
	return d, nil
}

func showSession(a *roster.AnalysisSession) shownSession {
	secs := time.Duration(a.Duration * float64(time.Second)).Round(time.Second)
	return shownSession{Time: when(&a.Time), Activity: a.Activity, Metrics: string(a.Metrics), Recorded: when(&a.CreatedAt),
		Duration: strconv.FormatFloat(a.Duration, 'f', -1, 64) + " s (" + secs.String() + ")"}
}

// recordSession records an analysis session of the page's client from
// the form. A refusal shows the client's page again with the form as
// typed and the API's words: next to a field, or above the form (the
// organization's quota).
func (c *Console) recordSession(w http.ResponseWriter, r *http.Request, s *session) error {
	cl, err := c.client(r, s)
	if err != nil {
		return err
	}
	raw := sessionFields(r.PostForm)
	now := c.api.Now()
	errs := fieldErrors(raw, func(raw map[string]any) error {
		_, err := roster.NewAnalysisSession(raw, now)
		return err
	})
	if len(errs) == 0 {
		_, _, err = c.api.RecordAnalysisSession(r.Context(), s.p, cl.UID, raw)
	} else {
		err = errSeeFields
	}
	if err == nil {
		http.Redirect(w, r, clientURL(cl.UID)+"?done=session-recorded#sessions", http.StatusSeeOther)
		return nil
	}
	var e *roster.Error
	switch k := roster.KindOf(err); {
	case errors.As(err, &e) && e.Field != "":
		errs[e.Field] = e.Message
	case k != roster.KindInvalid && k != roster.KindForbidden && k != roster.KindTooLarge:
		return err
	}
	return c.showClient(w, r, s, &cl, errorPage(r, err).Status, func(d *clientData) {
		f := &d.Sessions.Form
		f.Activity, f.Time, f.Duration, f.Metrics = r.PostFormValue("activity"), r.PostFormValue("time"),
			r.PostFormValue("duration"), r.PostFormValue("metrics")
		for i := range f.Activities {
			f.Activities[i].Selected = f.Activities[i].Value == f.Activity
		}
		f.Errors = errs
		for _, name := range sessionFieldNames {
			if errs[name] != "" {
				f.Focus = name
				break
			}
		}
		if len(errs) == 0 {
			f.Error = errorPage(r, err).Data.(string)
		}
	})
}

// sessionFields turns the posted form into the raw values the API's JSON
// body would carry: an empty time or metrics is null, the duration a
// number as typed, the metrics the object typed; metrics that are not
// JSON stay a string, which the API's parsing refuses in its own words.
func sessionFields(posted url.Values) map[string]any {
	raw := map[string]any{"activity": posted.Get("activity"), "time": nil, "duration": nil, "metrics": nil}
	if t := strings.TrimSpace(posted.Get("time")); t != "" {
		raw["time"] = t
	}
	if d := strings.TrimSpace(posted.Get("duration")); d != "" {
		raw["duration"] = json.Number(d)
	}
	if m := strings.TrimSpace(posted.Get("metrics")); m != "" {
		raw["metrics"] = m
		dec := json.NewDecoder(strings.NewReader(m))
		dec.UseNumber()
		var v any
		if err := dec.Decode(&v); err == nil {
			if _, err := dec.Token(); err == io.EOF {
				raw["metrics"] = v
			}
		}
	}
	return raw
}
