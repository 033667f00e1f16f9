package console_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"html"
	"mime/multipart"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"roster"
	"roster/photo/phototest"
	"roster/store"
	"roster/store/storetest"
)

var (
	rowName  = regexp.MustCompile(`data-label="Name"><a href="[^"]+">([^<]+)</a>`)
	pageLink = regexp.MustCompile(`<a href="([^"]+)" rel="(prev|next)">`)
	total    = regexp.MustCompile(`<p class="total" id="total">([^<]+)</p>`)
)

// listPage is what a list page shows: its rows' names, its total and its
// links to the pages around it.
type listPage struct {
	names      []string
	total      string
	prev, next string
}

func (b *browser) list(t *testing.T, path string) listPage {
	t.Helper()
	a := b.get(path)
	if a.status != http.StatusOK {
		t.Fatalf("%s: %d %s", path, a.status, a.body)
	}
	var p listPage
	for _, m := range rowName.FindAllStringSubmatch(a.body, -1) {
		p.names = append(p.names, html.UnescapeString(m[1]))
	}
	if m := total.FindStringSubmatch(a.body); m != nil {
		p.total = html.UnescapeString(m[1])
	}
	for _, m := range pageLink.FindAllStringSubmatch(a.body, -1) {
		if m[2] == "prev" {
			p.prev = html.UnescapeString(m[1])
		} else {
			p.next = html.UnescapeString(m[1])
		}
	}
	return p
}

// TestListPaging: the list walks 45 clients by keyset, 20 a page, with
// their total, to the end and back; a search pages by number; bad
// parameters are the API's kind of 400 on the page.
func TestListPaging(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		for i := 1; i <= 45; i++ {
			e.addClient(e.org, fmt.Sprintf("runner%02d@example.com", i), fmt.Sprintf("Runner %02d", i))
		}
		e.addClient(e.other, "runner99@example.com", "Runner 99") // another organization's
		b := e.browser()
		b.signIn(e.org)

		seen := map[string]bool{}
		var sizes []int
		var last listPage
		for path := "/console/clients"; path != ""; path = last.next {
			last = b.list(t, path)
			if last.total != "45 clients" {
				t.Fatalf("%s: total %q", path, last.total)
			}
			if (path == "/console/clients") != (last.prev == "") {
				t.Fatalf("%s: link to newer clients %q", path, last.prev)
			}
			sizes = append(sizes, len(last.names))
			for _, n := range last.names {
				if seen[n] {
					t.Fatalf("%s lists %s again", path, n)
				}
				seen[n] = true
			}
		}
		if fmt.Sprint(sizes) != "[20 20 5]" || len(seen) != 45 || seen["Runner 99"] {
			t.Fatalf("pages of %v, %d clients", sizes, len(seen))
		}
		if last.names[len(last.names)-1] != "Runner 01" {
			t.Fatalf("the oldest client last: %v", last.names)
		}
		back := b.list(t, last.prev)
		if len(back.names) != 20 || back.names[0] != "Runner 25" {
			t.Fatalf("back from the last page: %v", back.names)
		}
		if first := b.list(t, back.prev); len(first.names) != 20 || first.names[0] != "Runner 45" || first.prev != "" {
			t.Fatalf("back at the first page: %v, newer %q", first.names, first.prev)
		}

		search := b.list(t, "/console/clients?q=runner")
		if search.total != "45 clients matching “runner”" || len(search.names) != 20 ||
			!strings.HasPrefix(search.next, "/console/clients?after=") || !strings.HasSuffix(search.next, "&q=runner") {
			t.Fatalf("search: %+v", search)
		}
		if none := b.list(t, "/console/clients?gender=female"); none.total != "0 clients" || len(none.names) != 0 {
			t.Fatalf("no female client: %+v", none)
		}
	})
}

// TestListSearchTotalStops: a search that matches more clients than the
// store counts says that at least that many match.
func TestListSearchTotalStops(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		big := storetest.NewOrg(t, e.st, "Enterprise")
		e.setPassword(big)
		i := 0
		next := func() (*roster.Client, error) {
			i++
			fields, err := roster.NewClientFields(map[string]any{"email": fmt.Sprintf("walker%d@example.com", i),
				"display_name": fmt.Sprintf("Walker %d", i)})
			c := roster.NewClient(big.OwnerUID, fields, e.clock.Now())
			return &c, err
		}
		if err := e.st.ImportClients(context.Background(), big.ID, roster.SearchCountMost+1, next, nil); err != nil {
			t.Fatal(err)
		}
		b := e.browser()
		b.signIn(big)
		if p := b.list(t, "/console/clients?q=walker"); p.total != "1000+ clients matching “walker”" || len(p.names) != 20 {
			t.Fatalf("broad search: total %q, %d rows", p.total, len(p.names))
		}
		if p := b.list(t, "/console/clients?q=walker%201000"); p.total != "1 client matching “walker 1000”" {
			t.Fatalf("narrow search: total %q", p.total)
		}
	})
}

// TestNotStaff: an account that is not staff of an organization may sign
// in, lands on its account, and is told why it sees no clients, in the
// API's words; staff land on the clients.
func TestNotStaff(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		for email, home := range map[string]string{"athlete@example.com": "/console/account", e.org.OwnerEmail: "/console/clients"} {
			if email != e.org.OwnerEmail {
				e.addAccount(t, email)
			}
			b := e.browser()
			b.signIn(storetest.Org{OwnerEmail: email})
			if a := b.get("/console/"); a.status != http.StatusSeeOther || a.header.Get("Location") != home {
				t.Errorf("%s's home: %d to %q; want %s", email, a.status, a.header.Get("Location"), home)
			}
		}
		b := e.browser()
		b.signIn(storetest.Org{OwnerEmail: "athlete@example.com"})
		a := b.get("/console/clients")
		want := roster.Principal{}.Forbidden(roster.PermClients).Error()
		if a.status != http.StatusForbidden || !strings.Contains(html.UnescapeString(a.body), want) {
			t.Fatalf("not staff: %d %s; want 403 and %q", a.status, a.body, want)
		}
	})
}

// listFixture stores 30 clients of e's organization, of two creators (its
// owner and a coach, staff too), both genders, three kinds of activities,
// sessions on some days, one deactivated, their names and emails in
// opposite orders; and one of the other organization. It returns the
// organization's clients as stored, the coach's uid and the first
// session's time.
func listFixture(t *testing.T, e *env) (all []roster.Client, coach string, base time.Time) {
	t.Helper()
	ctx := t.Context()
	inv, err := e.st.CreateInvitation(ctx, e.org.ID, e.org.OwnerUID, "coach@example.com", "", time.Hour, roster.DefaultLimits)
	if err != nil {
		t.Fatal(err)
	}
	coach = e.addAccount(t, "coach@example.com")
	if err := e.st.RespondInvitation(ctx, coach, inv.Token, true); err != nil {
		t.Fatal(err)
	}
	if _, err := e.st.UpdateOrganization(ctx, e.org.UID, roster.OrganizationUpdate{SessionNumber: ptr(int64(100))}); err != nil {
		t.Fatal(err)
	}
	base = time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	for i := 1; i <= 30; i++ {
		raw := map[string]any{"email": fmt.Sprintf("m%02d@example.com", 31-i), "display_name": fmt.Sprintf("Runner %02d", i),
			"gender": []string{"male", "female"}[i%2], "preferable_activities": [][]any{{"Running"}, {"Weightlifting"}, {}}[i%3],
			"height": fmt.Sprint(160 + i%5*5), "weight": fmt.Sprint(60 + float64(i%8)*2.5), "shoeSize": fmt.Sprint(5 + float64(i%4)*0.5)}
		if i%6 != 0 {
			raw["age"] = fmt.Sprint(18 + i%7)
		}
		fields, err := roster.NewClientFields(raw)
		if err != nil {
			t.Fatal(err)
		}
		c := roster.NewClient(map[bool]string{true: coach, false: e.org.OwnerUID}[i%4 == 0], fields, e.clock.Now())
		// As the coach creates theirs, so that they are assigned to them.
		as := store.AsStaff(ctx, roster.Principal{OrgID: e.org.ID, AccountUID: c.CreatedBy, Role: roster.RoleAdmin, Scope: roster.ScopeAll})
		if c.CreatedBy != coach {
			as = ctx
		}
		if err := e.st.CreateClient(as, e.org.ID, &c); err != nil {
			t.Fatal(err)
		}
		if i%5 == 0 {
			s := &roster.AnalysisSession{UID: roster.NewUID(e.clock.Now()), Activity: "Running", Duration: 60,
				Time: base.AddDate(0, 0, i), CreatedBy: e.org.OwnerUID, CreatedAt: e.clock.Now()}
			if _, err := e.st.RecordAnalysisSession(ctx, e.org.ID, c.UID, s); err != nil {
				t.Fatal(err)
			}
		}
		if i == 29 {
			if _, err := e.st.SetClientActive(ctx, e.org.ID, roster.ClientRef{UID: c.UID}, false); err != nil {
				t.Fatal(err)
			}
		}
		stored, err := e.st.Client(ctx, e.org.ID, c.UID)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, stored)
	}
	e.addClient(e.other, "m01@example.com", "Runner 99")
	return all, coach, base
}

func ptr[T any](v T) *T { return &v }

// listCase is a list's query string and the store query it stands for.
type listCase struct {
	params string
	q      roster.ClientQuery
}

// TestListFiltersSortsAndSearch: each filter and sort, alone, with a
// search and with each other, walked over real HTTP page by page forward
// and back, lists exactly the clients Go selects, in order, none lost or
// twice, each page with their total.
func TestListFiltersSortsAndSearch(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		all, coach, base := listFixture(t, e)
		b := e.browser()
		b.signIn(e.org)
		day := func(n int) time.Time { return base.AddDate(0, 0, n).Truncate(24 * time.Hour) }
		filters := []listCase{
			{"", roster.ClientQuery{}},
			{"gender=female", roster.ClientQuery{ClientFilter: roster.ClientFilter{Gender: "female"}}},
			{"activity=Running", roster.ClientQuery{ClientFilter: roster.ClientFilter{Activities: []string{"Running"}}}},
			{"created_by=" + coach, roster.ClientQuery{ClientFilter: roster.ClientFilter{AdminUID: coach}}},
			{"from=2026-03-10", roster.ClientQuery{ClientFilter: roster.ClientFilter{From: day(9)}}},
			{"to=2026-03-21", roster.ClientQuery{ClientFilter: roster.ClientFilter{To: day(21)}}},
			{"deactivated=true", roster.ClientQuery{Deactivated: true}},
			{"gender=male&activity=Running", roster.ClientQuery{ClientFilter: roster.ClientFilter{Gender: "male", Activities: []string{"Running"}}}},
			{"created_by=" + e.org.OwnerUID + "&gender=female&activity=Weightlifting", roster.ClientQuery{
				ClientFilter: roster.ClientFilter{AdminUID: e.org.OwnerUID, Gender: "female", Activities: []string{"Weightlifting"}}}},
			{"created_by=" + coach + "&from=2026-03-01&to=2026-03-31", roster.ClientQuery{
				ClientFilter: roster.ClientFilter{AdminUID: coach, From: day(0), To: day(31)}}},
			{"activity=Running&deactivated=true", roster.ClientQuery{Deactivated: true,
				ClientFilter: roster.ClientFilter{Activities: []string{"Running"}}}},
			{"age_min=20&age_max=22", roster.ClientQuery{ClientFilter: roster.ClientFilter{
				Ranges: []roster.Range{{Field: roster.FieldAge, Min: ptr(20.0), Max: ptr(22.0)}}}}},
			{"height_min=165&weight_max=70&activity=Running", roster.ClientQuery{ClientFilter: roster.ClientFilter{
				Activities: []string{"Running"}, Ranges: []roster.Range{{Field: roster.FieldHeight, Min: ptr(165.0)},
					{Field: roster.FieldWeight, Max: ptr(70.0)}}}}},
			{"shoe_size_min=5.5&shoe_size_max=6&created_by=" + coach, roster.ClientQuery{ClientFilter: roster.ClientFilter{
				AdminUID: coach, Ranges: []roster.Range{{Field: roster.FieldShoeSize, Min: ptr(5.5), Max: ptr(6.0)}}}}},
		}
		searches := []listCase{{"", roster.ClientQuery{}}, {"q=Runner+1", roster.ClientQuery{Search: "Runner 1"}},
			{"q=m0", roster.ClientQuery{Search: "m0"}}}
		sorts := []listCase{{"", roster.ClientQuery{}},
			{"sort=created_at:asc", roster.ClientQuery{Ascending: true}},
			{"sort=display_name:asc", roster.ClientQuery{OrderBy: roster.OrderDisplayName, Ascending: true}},
			{"sort=display_name:desc", roster.ClientQuery{OrderBy: roster.OrderDisplayName}},
			{"sort=email:asc", roster.ClientQuery{OrderBy: roster.OrderEmail, Ascending: true}},
			{"sort=email:desc", roster.ClientQuery{OrderBy: roster.OrderEmail}},
			{"sort=last_session:desc", roster.ClientQuery{OrderBy: roster.OrderLastSession}},
			{"sort=last_session:asc", roster.ClientQuery{OrderBy: roster.OrderLastSession, Ascending: true}},
		}
		names := map[string]string{}
		for _, c := range all {
			names[c.UID] = c.DisplayName
		}
		for _, f := range filters {
			for _, s := range searches {
				for _, o := range sorts {
					q := f.q
					q.Search, q.OrderBy, q.Ascending = s.q.Search, o.q.OrderBy, o.q.Ascending
					var want []string
					for _, uid := range storetest.Listed(all, q) {
						want = append(want, names[uid])
					}
					path := "/console/clients?" + strings.Trim(strings.Join([]string{f.params, s.params, o.params}, "&"), "&")
					checkWalk(t, b, path, want, s.q.Search)
				}
			}
		}
	})
}

// checkWalk walks the list from path to its last page and back, checking
// each page's total and that the names shown are want, in order.
func checkWalk(t *testing.T, b *browser, path string, want []string, search string) {
	t.Helper()
	wantTotal := roster.Count(int64(len(want)), "client")
	if search != "" {
		wantTotal += " matching “" + search + "”"
	}
	var forward []string
	var last listPage
	for p := path; p != ""; p = last.next {
		if last = b.list(t, p); last.total != wantTotal {
			t.Fatalf("%s: total %q; want %q", p, last.total, wantTotal)
		}
		forward = append(forward, last.names...)
	}
	backward := last.names
	for p := last.prev; p != ""; p = last.prev {
		last = b.list(t, p)
		backward = append(slices.Clone(last.names), backward...)
	}
	if !slices.Equal(forward, want) || !slices.Equal(backward, want) {
		t.Errorf("%s:\n forward %v\nbackward %v\n    want %v", path, forward, backward, want)
	}
}

// TestListBadValues: a bad date, sort, staff uid or cursor is a 400 with
// the list's own words; a well-formed uid of nobody's, and the uid of
// another organization's owner, both list what the API's admin_uid finds
// for them (nothing, as it answers both alike) and say that no staff
// member has it.
func TestListBadValues(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		e.addClient(e.org, "ada@example.com", "Ada")
		b := e.browser()
		b.signIn(e.org)
		for path, want := range map[string]string{
			"/console/clients?q=" + strings.Repeat("a", 101):                         "q: must be at most 100 characters",
			"/console/clients?gender=other":                                          "gender: must be male or female",
			"/console/clients?activity=Knitting":                                     `activity: unknown activity "Knitting"`,
			"/console/clients?after=not%20a%20uid":                                   "after: not a valid uid",
			"/console/clients?from=2026-13-01":                                       "last session from: must be a date from 1900-01-01 to 9998-12-31",
			"/console/clients?to=yesterday":                                          "last session to: must be a date from 1900-01-01 to 9998-12-31",
			"/console/clients?from=0001-01-01":                                       "last session from: must be a date from 1900-01-01 to 9998-12-31",
			"/console/clients?from=2026-03-02&to=2026-03-01":                         "last session from: must not be after last session to",
			"/console/clients?sort=shoe_size:asc":                                    `sort: unknown order "shoe_size:asc"`,
			"/console/clients?created_by=not%20a%20uid":                              "created by: not a valid uid",
			"/console/clients?age_min=x":                                             "age_min: must be a number from 0 to 150",
			"/console/clients?height_min=5&height_max=4":                             "height_min: must not be greater than height_max",
			"/console/clients?after=" + e.org.OwnerUID + "&before=" + e.org.OwnerUID: "after and before: give one, not both",
		} {
			a := b.get(path)
			if a.status != http.StatusBadRequest || !strings.Contains(html.UnescapeString(a.body), want) {
				t.Errorf("%s: %d; want 400 and %q in %s", path, a.status, want, a.body)
			}
		}

		nobody := roster.NewUID(e.clock.Now())
		notice := regexp.MustCompile(`<p class="notice" role="status" id="list-notice">([^<]+)</p>`)
		var shown []string
		for _, uid := range []string{nobody, e.other.OwnerUID} {
			a := b.get("/console/clients?created_by=" + uid)
			m := notice.FindStringSubmatch(a.body)
			p := b.list(t, "/console/clients?created_by="+uid)
			if a.status != http.StatusOK || m == nil || p.total != "0 clients" || len(p.names) != 0 {
				t.Fatalf("created by %s: %d %+v %s", uid, a.status, p, a.body)
			}
			shown = append(shown, html.UnescapeString(m[1]))
			status, msg := e.apiGet(t, "/client-management/clients/filter/?admin_uid="+uid)
			shown = append(shown, fmt.Sprint(status, msg))
		}
		if shown[0] != shown[2] || shown[1] != shown[3] || !strings.Contains(shown[0], "no staff member of this organization has this uid") {
			t.Fatalf("nobody's uid and another organization's are told apart: %q", shown)
		}

		// A cursor's client deleted meanwhile: start again.
		gone := e.addClient(e.org, "gone@example.com", "Gone")
		if _, err := e.st.DeleteClient(t.Context(), e.org.ID, gone.UID); err != nil {
			t.Fatal(err)
		}
		a := b.get("/console/clients?sort=display_name:asc&after=" + gone.UID)
		if a.status != http.StatusBadRequest || !strings.Contains(a.body, "start from the first page") {
			t.Fatalf("after a deleted client: %d %s", a.status, a.body)
		}
	})
}

// TestListRow: a row shows the client's photo thumbnail through the link
// the API signs (which serves it), its name, email, activities and the
// time of its newest session; the staff are offered as creators; the
// column the list is sorted by says so.
func TestListRow(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		uid, thumbnail := e.createWithPhoto(t, map[string]string{"email": "pic@example.com", "display_name": "Pic Ture",
			"preferable_activities": `["Running", "Weightlifting"]`})
		if _, err := e.st.UpdateOrganization(t.Context(), e.org.UID, roster.OrganizationUpdate{SessionNumber: ptr(int64(10))}); err != nil {
			t.Fatal(err)
		}
		for _, day := range []int{3, 9, 5} { // the newest is not the last recorded
			s := &roster.AnalysisSession{UID: roster.NewUID(e.clock.Now()), Activity: "Running", Duration: 60,
				Time: time.Date(2026, 2, day, 17, 30, 0, 0, time.UTC), CreatedBy: e.org.OwnerUID, CreatedAt: e.clock.Now()}
			if _, err := e.st.RecordAnalysisSession(t.Context(), e.org.ID, uid, s); err != nil {
				t.Fatal(err)
			}
		}
		e.addClient(e.org, "plain@example.com", "Plain")

		b := e.browser()
		b.signIn(e.org)
		a := b.get("/console/clients?sort=display_name:asc")
		thumb := regexp.MustCompile(`<img src="([^"]+)" alt="" width="40" height="40">`).FindAllStringSubmatch(a.body, -1)
		if len(thumb) != 1 || html.UnescapeString(thumb[0][1]) != thumbnail {
			t.Fatalf("thumbnails %q; want only %q", thumb, thumbnail)
		}
		if img := b.get(html.UnescapeString(thumb[0][1])); img.status != http.StatusOK || img.header.Get("Content-Type") != "image/png" {
			t.Fatalf("the thumbnail's link: %d %s", img.status, img.header.Get("Content-Type"))
		}
		for _, want := range []string{`<td data-label="Email">pic@example.com</td>`, `<td data-label="Activities">Running, Weightlifting</td>`,
			`<td data-label="Last session">2026-02-09 17:30 UTC</td>`, `<td data-label="Last session">—</td>`,
			`<th scope="col" aria-sort="ascending">Name</th>`, `<th scope="col">Email</th>`,
			`<option value="` + e.org.OwnerUID + `">Owner (` + e.org.OwnerEmail + `)</option>`,
			`<option value="display_name:asc" selected>Name, A to Z</option>`} {
			if !strings.Contains(a.body, want) {
				t.Errorf("no %s in %s", want, a.body)
			}
		}
	})
}

// createWithPhoto creates a client of e's organization with fields and a
// photo through the API, and returns its uid and the thumbnail's link the
// API answers.
func (e *env) createWithPhoto(t *testing.T, fields map[string]string) (uid, thumbnail string) {
	t.Helper()
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	for k, v := range fields {
		w.WriteField(k, v)
	}
	f, _ := w.CreateFormFile("profile_photo", "me.png")
	f.Write(phototest.EncodePNG(t, phototest.Quadrants(60, 40)))
	w.Close()
	req, _ := http.NewRequest(http.MethodPost, e.srv.URL+"/client-management/clients/", &body)
	req.Header.Set("API-KEY", e.org.APIKey)
	req.Header.Set("Content-Type", w.FormDataContentType())
	created := e.browser().do(req)
	var out struct {
		UserData struct {
			UID       string  `json:"user_uid"`
			Thumbnail *string `json:"profile_photo_thumbnail"`
		}
	}
	if err := json.Unmarshal([]byte(created.body), &out); err != nil || created.status != http.StatusCreated || out.UserData.Thumbnail == nil {
		t.Fatalf("create with a photo: %d %s", created.status, created.body)
	}
	return out.UserData.UID, *out.UserData.Thumbnail
}
