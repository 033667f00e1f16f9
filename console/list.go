package console

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"roster"
)

// The clients list pages through the store's two lists, as the API's two
// list endpoints do: without a search, the active clients newest first by
// keyset (the filter endpoint's FilterClients, which also filters by gender
// and activity); with a search, or for the deactivated clients, numbered
// pages (the list endpoint's ClientPage). Both count the matches.
const (
	perPage = 20
	// maxPagedRows bounds numbered pages as the API does: the store reads
	// and drops every client before a page.
	maxPagedRows = 10000
)

// listQuery is what the list's form and links ask for.
type listQuery struct {
	Search, Gender, Activity string
	Deactivated              bool
	After, Before            string // keyset cursors
	Page                     int    // numbered pages, from 1
}

// errMixedList refuses a search or the deactivated list with a filter,
// which no store list does at once.
var errMixedList = roster.Errorf(roster.KindInvalid,
	"gender and activity filter the active clients without a search: clear the search and deactivated, or the filters")

func parseListQuery(v url.Values) (listQuery, error) {
	q := listQuery{Search: strings.TrimSpace(v.Get("q")), Gender: v.Get("gender"), Activity: v.Get("activity"),
		Deactivated: v.Get("deactivated") == "true", After: v.Get("after"), Before: v.Get("before"), Page: 1}
	switch {
	case !utf8.ValidString(q.Search):
		return q, roster.Errorf(roster.KindInvalid, "q: must be valid UTF-8")
	case utf8.RuneCountInString(q.Search) > roster.MaxSearchLength:
		return q, roster.Errorf(roster.KindInvalid, "q: must be at most %d characters", roster.MaxSearchLength)
	case q.Activity != "" && !slices.Contains(roster.Activities, q.Activity):
		return q, roster.Errorf(roster.KindInvalid, "activity: unknown activity %q", q.Activity)
	case q.After != "" && !roster.ValidUID(q.After):
		return q, roster.Errorf(roster.KindInvalid, "after: not a valid uid")
	case q.Before != "" && !roster.ValidUID(q.Before):
		return q, roster.Errorf(roster.KindInvalid, "before: not a valid uid")
	case (q.Gender != "" || q.Activity != "") && (q.Search != "" || q.Deactivated):
		return q, errMixedList
	}
	if q.Gender != "" {
		g, err := roster.ParseGender(q.Gender)
		if err != nil {
			return q, roster.Errorf(roster.KindInvalid, "gender: %v", err)
		}
		q.Gender = g
	}
	if p := v.Get("page"); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n*perPage > maxPagedRows {
			return q, roster.Errorf(roster.KindInvalid, "page: must be a whole number from 1 to %d", maxPagedRows/perPage)
		}
		q.Page = n
	}
	return q, nil
}

// numbered reports whether q lists numbered pages rather than by keyset.
func (q listQuery) numbered() bool { return q.Search != "" || q.Deactivated }

// url is the list's URL for q.
func (q listQuery) url() string {
	v := url.Values{}
	set := func(k, val string) {
		if val != "" {
			v.Set(k, val)
		}
	}
	set("q", q.Search)
	set("gender", q.Gender)
	set("activity", q.Activity)
	if q.Deactivated {
		v.Set("deactivated", "true")
	}
	set("after", q.After)
	set("before", q.Before)
	if q.Page > 1 {
		v.Set("page", strconv.Itoa(q.Page))
	}
	if len(v) == 0 {
		return Prefix + "clients"
	}
	return Prefix + "clients?" + v.Encode()
}

// clientRow is one client of the list.
type clientRow struct {
	UID, Name, Email, Activities, LastSession string
}

// listData is what the list page shows.
type listData struct {
	Q                   listQuery
	Error               string
	Message             string // what the last change did
	Genders, Activities []option
	Clients             []clientRow
	Count               int64
	Page, Pages         int
	Newer, Older        string // links to the pages around this one; "" when there is none
}

func (c *Console) clientList(w http.ResponseWriter, r *http.Request, s *session) error {
	q, err := parseListQuery(r.URL.Query())
	d := listData{Q: q, Message: doneMessage(r.URL.Query()), Genders: options(genders, []string{q.Gender}), Activities: options(roster.Activities, []string{q.Activity})}
	status := 0
	switch {
	case err != nil:
		v := errorPage(r, err)
		d.Error, status = v.Data.(string), v.Status
	case q.numbered():
		err = c.numberedPage(r, s, &d)
	default:
		err = c.keysetPage(r, s, &d)
	}
	if err != nil {
		return err
	}
	c.render(w, r, s, view{Template: "clients", Title: "Clients", Status: status, Data: d})
	return nil
}

// numberedPage fills d with a numbered page of the clients d.Q searches.
func (c *Console) numberedPage(r *http.Request, s *session, d *listData) error {
	q := d.Q
	res, err := c.st.ClientPage(r.Context(), s.p.OrgID, roster.ClientQuery{Search: q.Search, Deactivated: q.Deactivated},
		(q.Page-1)*perPage, perPage)
	if err != nil {
		return err
	}
	d.Clients, d.Count, d.Page = rows(res.Clients), res.Count, q.Page
	d.Pages = int((res.Count + perPage - 1) / perPage)
	if q.Page > 1 {
		q.Page = d.Page - 1
		d.Newer = q.url()
	}
	if d.Page < d.Pages && (d.Page+1)*perPage <= maxPagedRows {
		q.Page = d.Page + 1
		d.Older = q.url()
	}
	return nil
}

// keysetPage fills d with a keyset page of the active clients d.Q filters.
// It asks for one client more than it shows, to know whether the list goes
// on in the direction it walks.
func (c *Console) keysetPage(r *http.Request, s *session, d *listData) error {
	q := d.Q
	f := roster.ClientFilter{Gender: q.Gender}
	if q.Activity != "" {
		f.Activities = []string{q.Activity}
	}
	res, err := c.st.FilterClients(r.Context(), s.p.OrgID, f, roster.Page{After: q.After, Before: q.Before, Limit: perPage + 1})
	if err != nil {
		return err
	}
	list, more := res.Clients, len(res.Clients) > perPage
	newer, older := q.After != "", q.Before != "" // a cursor came from a page on that side
	switch {
	case q.Before != "" && more:
		list, newer = list[1:], true // the walk went up from the cursor
	case more:
		list, older = list[:perPage], true
	}
	d.Clients, d.Count = rows(list), res.Count
	if len(list) > 0 {
		q.Page = 0
		if newer {
			q.After, q.Before = "", list[0].UID
			d.Newer = q.url()
		}
		if older {
			q.After, q.Before = list[len(list)-1].UID, ""
			d.Older = q.url()
		}
	}
	return nil
}

func rows(clients []roster.Client) []clientRow {
	out := make([]clientRow, len(clients))
	for i := range clients {
		c := &clients[i]
		out[i] = clientRow{UID: c.UID, Name: c.DisplayName, Email: c.Email,
			Activities: strings.Join(c.PreferableActivities, ", "), LastSession: when(c.LastSession)}
	}
	return out
}

// when shows a time to the minute, in UTC as the API gives it; nil is "—".
func when(t *time.Time) string {
	if t == nil {
		return "—"
	}
	return t.UTC().Format("2006-01-02 15:04 UTC")
}
