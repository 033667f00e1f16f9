package console

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"roster"
)

// The clients list is one keyset page of the store's client list: a search
// and every filter of the API's two list endpoints at once, in one of the
// list endpoint's orders, with the number of clients they match. A page
// link names the client it continues from, so a page deep in the list
// costs what the first does.
const perPage = 20

// maxStaff bounds the creators offered by the list's "Created by": an
// organization's staff are few.
const maxStaff = 500

// dateForm is the form of the list's last-session dates, a date input's.
const dateForm = "2006-01-02"

// sortChoice is one of the list's orders with its direction.
type sortChoice struct {
	Value, Label string
	order        roster.ClientOrder
	ascending    bool
}

// sorts are the orders the list offers, the first its default: those of
// the list endpoint's orders that are columns of the list, or creation.
var sorts = []sortChoice{
	{"created_at:desc", "Newest first", roster.OrderCreatedAt, false},
	{"created_at:asc", "Oldest first", roster.OrderCreatedAt, true},
	{"display_name:asc", "Name, A to Z", roster.OrderDisplayName, true},
	{"display_name:desc", "Name, Z to A", roster.OrderDisplayName, false},
	{"email:asc", "Email, A to Z", roster.OrderEmail, true},
	{"email:desc", "Email, Z to A", roster.OrderEmail, false},
	{"last_session:desc", "Latest session first", roster.OrderLastSession, false},
	{"last_session:asc", "Earliest session first", roster.OrderLastSession, true},
}

// listQuery is what the list's form and links ask for.
type listQuery struct {
	Search, Gender, Activity, CreatedBy string
	Coach                               string // coach_uid: the clients assigned to this staff member
	From, To                            string // last-session dates, as dateForm
	Sort                                string // a sorts value; "" is the first
	Deactivated                         bool
	After, Before                       string // keyset cursors
	// Bounds are the range filters' bounds as typed, by their API names
	// (roster.RangeParams): age_min, age_max, height_min…
	Bounds map[string]string
}

func parseListQuery(v url.Values) (listQuery, error) {
	q := listQuery{Search: strings.TrimSpace(v.Get("q")), Gender: v.Get("gender"), Activity: v.Get("activity"),
		CreatedBy: v.Get("created_by"), Coach: v.Get("coach_uid"), From: v.Get("from"), To: v.Get("to"), Sort: v.Get("sort"),
		Deactivated: v.Get("deactivated") == "true", After: v.Get("after"), Before: v.Get("before"),
		Bounds: map[string]string{}}
	for _, name := range roster.RangeParams {
		if b := strings.TrimSpace(v.Get(name)); b != "" {
			q.Bounds[name] = b
		}
	}
	switch {
	case !utf8.ValidString(q.Search):
		return q, roster.Errorf(roster.KindInvalid, "q: must be valid UTF-8")
	case utf8.RuneCountInString(q.Search) > roster.MaxSearchLength:
		return q, roster.Errorf(roster.KindInvalid, "q: must be at most %d characters", roster.MaxSearchLength)
	case q.Activity != "" && !slices.Contains(roster.Activities, q.Activity):
		return q, roster.Errorf(roster.KindInvalid, "activity: unknown activity %q", q.Activity)
	case q.CreatedBy != "" && !roster.ValidUID(q.CreatedBy):
		return q, roster.Errorf(roster.KindInvalid, "created by: not a valid uid")
	case q.Coach != "" && !roster.ValidUID(q.Coach):
		return q, roster.Errorf(roster.KindInvalid, "coach: not a valid uid")
	case q.Sort != "" && !slices.ContainsFunc(sorts, func(s sortChoice) bool { return s.Value == q.Sort }):
		return q, roster.Errorf(roster.KindInvalid, "sort: unknown order %q", q.Sort)
	case q.After != "" && !roster.ValidUID(q.After):
		return q, roster.Errorf(roster.KindInvalid, "after: not a valid uid")
	case q.Before != "" && !roster.ValidUID(q.Before):
		return q, roster.Errorf(roster.KindInvalid, "before: not a valid uid")
	case q.After != "" && q.Before != "":
		return q, roster.Errorf(roster.KindInvalid, "after and before: give one, not both")
	}
	if q.Gender != "" {
		g, err := roster.ParseGender(q.Gender)
		if err != nil {
			return q, roster.Errorf(roster.KindInvalid, "gender: %v", err)
		}
		q.Gender = g
	}
	if _, err := q.ranges(); err != nil {
		return q, err
	}
	from, to, err := q.dates()
	if err == nil && !from.IsZero() && !to.IsZero() && !from.Before(to) {
		err = roster.Errorf(roster.KindInvalid, "last session from: must not be after last session to")
	}
	return q, err
}

// dates returns the bounds of the last sessions q asks for, as the filter
// endpoint takes start_date and end_date: from inclusive, and the whole of
// the day to. Zero times do not bound.
func (q listQuery) dates() (from, to time.Time, err error) {
	parse := func(s, name string) (time.Time, error) {
		if s == "" {
			return time.Time{}, nil
		}
		t, err := time.Parse(dateForm, s)
		// The API's bounds keep the stored text times comparable.
		if err != nil || t.Year() < 1900 || t.Year() > 9998 {
			return t, roster.Errorf(roster.KindInvalid, "%s: must be a date from 1900-01-01 to 9998-12-31", name)
		}
		return t, nil
	}
	if from, err = parse(q.From, "last session from"); err != nil {
		return
	}
	if to, err = parse(q.To, "last session to"); err == nil && !to.IsZero() {
		to = to.AddDate(0, 0, 1)
	}
	return
}

// ranges returns the ranges q's bounds ask for.
func (q listQuery) ranges() ([]roster.Range, error) {
	return roster.ParseRanges(func(name string) string { return q.Bounds[name] })
}

// boundInput is one input of a range filter's bound.
type boundInput struct{ Name, Label, Value string }

// boundInputs are the inputs of the range filters' bounds, holding q's.
func (q listQuery) boundInputs() []boundInput {
	inputs := make([]boundInput, len(roster.RangeParams))
	for i, name := range roster.RangeParams {
		field := strings.ReplaceAll(roster.Fields[roster.RangeFields[i/2]].Column, "_", " ")
		inputs[i] = boundInput{Name: name, Label: strings.ToUpper(field[:1]) + field[1:] + [2]string{" from", " to"}[i%2],
			Value: q.Bounds[name]}
	}
	return inputs
}

// sort returns q's order.
func (q listQuery) sort() sortChoice {
	for _, s := range sorts {
		if s.Value == q.Sort {
			return s
		}
	}
	return sorts[0]
}

// clientQuery is the store's query for q, which parseListQuery checked.
func (q listQuery) clientQuery() roster.ClientQuery {
	from, to, _ := q.dates()
	ranges, _ := q.ranges()
	s := q.sort()
	cq := roster.ClientQuery{Search: q.Search, Deactivated: q.Deactivated, OrderBy: s.order, Ascending: s.ascending,
		ClientFilter: roster.ClientFilter{AdminUID: q.CreatedBy, CoachUID: q.Coach, Gender: q.Gender, From: from, To: to, Ranges: ranges}}
	if q.Activity != "" {
		cq.Activities = []string{q.Activity}
	}
	return cq
}

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
	set("created_by", q.CreatedBy)
	set("coach_uid", q.Coach)
	set("from", q.From)
	set("to", q.To)
	for _, name := range roster.RangeParams {
		set(name, q.Bounds[name])
	}
	if q.Sort != sorts[0].Value {
		set("sort", q.Sort)
	}
	if q.Deactivated {
		v.Set("deactivated", "true")
	}
	set("after", q.After)
	set("before", q.Before)
	if len(v) == 0 {
		return Prefix + "clients"
	}
	return Prefix + "clients?" + v.Encode()
}

// clientRow is one client of the list.
type clientRow struct {
	UID, Name, Email, Activities, LastSession string
	Thumbnail                                 string // the signed link of the photo's thumbnail; "" without a photo
}

// listData is what the list page shows.
type listData struct {
	Q                   listQuery
	Error               string
	Message             string // what the last change did
	Notice              string // what the list should know about its query
	Genders, Activities []option
	Staff, Coaches      []option // the creators and the coaches offered
	Sorts               []option
	Bounds              []boundInput
	Sorted              map[string]string // the aria-sort of each column the list is sorted by
	Clients             []clientRow
	Count               int64
	CountCapped         bool   // more clients match a search than Count says
	Newer, Older        string // links to the pages around this one; "" when there is none
}

func (c *Console) clientList(w http.ResponseWriter, r *http.Request, s *session) error {
	q, qErr := parseListQuery(r.URL.Query())
	d := listData{Q: q, Message: doneMessage(r.URL.Query()), Genders: options(genders, []string{q.Gender}),
		Activities: options(roster.Activities, []string{q.Activity}), Bounds: q.boundInputs()}
	if err := c.staffOptions(r, s, &d); err != nil {
		return err
	}
	d.Sorts, d.Sorted = sortOptions(q.sort())
	if qErr == nil {
		qErr = c.keysetPage(r, s, &d)
	}
	status := 0
	if qErr != nil {
		v := errorPage(r, qErr)
		if v.Status == http.StatusInternalServerError {
			return qErr
		}
		d.Error, status = v.Data.(string), v.Status
	}
	c.render(w, r, s, view{Template: "clients", Title: "Clients", Status: status, Data: d})
	return nil
}

// staffOptions offers the organization's staff as creators and as
// coaches. A creator who is not among them (gone, or never staff) filters
// as the API's admin_uid does, which finds the clients they created here if
// any; the list says so. A coach who is not among them coaches nobody here.
func (c *Console) staffOptions(r *http.Request, s *session, d *listData) error {
	staff, _, err := c.st.Staff(r.Context(), s.p.OrgID, roster.StaffFilter{}, "", maxStaff)
	if err != nil {
		return err
	}
	var found bool
	d.Staff, found = staffChoices(staff, d.Q.CreatedBy)
	if !found && roster.ValidUID(d.Q.CreatedBy) {
		d.Notice = "Created by: no staff member of this organization has this uid; the list shows the clients it created here, if any."
	}
	d.Coaches, _ = staffChoices(staff, d.Q.Coach)
	return nil
}

// staffChoices are the options of staff with chosen selected, and whether
// chosen is one of them; a chosen uid that is not ends the list, so that
// the form keeps it.
func staffChoices(staff []roster.StaffMember, chosen string) ([]option, bool) {
	var out []option
	found := false
	for i := range staff {
		selected := staff[i].UID == chosen
		found = found || selected
		out = append(out, option{Value: staff[i].UID, Label: staffName(&staff[i]), Selected: selected})
	}
	if chosen != "" && !found && roster.ValidUID(chosen) {
		out = append(out, option{Value: chosen, Label: "Not staff of this organization", Selected: true})
	}
	return out, found
}

// sortOptions returns the list's orders with chosen selected, and the
// aria-sort of the column chosen sorts by.
func sortOptions(chosen sortChoice) ([]option, map[string]string) {
	out := make([]option, len(sorts))
	for i, s := range sorts {
		out[i] = option{Value: s.Value, Label: s.Label, Selected: s.Value == chosen.Value}
	}
	dir := "descending"
	if chosen.ascending {
		dir = "ascending"
	}
	return out, map[string]string{string(chosen.order): dir}
}

// keysetPage fills d with the page of the clients d.Q asks for. It asks for
// one client more than it shows, to know whether the list goes on in the
// direction it walks.
func (c *Console) keysetPage(r *http.Request, s *session, d *listData) error {
	q := d.Q
	res, err := c.st.ClientKeysetPage(r.Context(), s.p.OrgID, q.clientQuery(),
		roster.Page{After: q.After, Before: q.Before, Limit: perPage + 1})
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
	d.Clients, d.Count, d.CountCapped = c.rows(list), res.Count, res.CountCapped
	if len(list) > 0 {
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

// rows are the list's rows of clients, their thumbnails' links signed as
// the API signs them.
func (c *Console) rows(clients []roster.Client) []clientRow {
	thumbnail := c.api.ThumbnailURLs()
	out := make([]clientRow, len(clients))
	for i := range clients {
		cl := &clients[i]
		out[i] = clientRow{UID: cl.UID, Name: cl.DisplayName, Email: cl.Email,
			Activities: strings.Join(cl.PreferableActivities, ", "), LastSession: when(cl.LastSession)}
		if cl.ProfilePhoto != "" {
			out[i].Thumbnail = thumbnail(cl.ProfilePhoto)
		}
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
