package api_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"roster"
	"roster/store/storetest"
)

// listEnv is an env for the listing tests.
type listEnv struct {
	*env
}

// eachList runs fn on a fresh listEnv for every engine.
func eachList(t *testing.T, fn func(t *testing.T, e *listEnv)) {
	each(t, func(t *testing.T, e *env) { fn(t, &listEnv{e}) })
}

// rawDB opens a connection past the store to the database of a store at
// dir or dbURL (as storetest.OpenAt takes them), closed when tb ends.
func rawDB(tb testing.TB, dir, dbURL string) *sql.DB {
	driver, dsn := "pgx", dbURL
	if dbURL == "" {
		driver, dsn = "sqlite", "file:"+filepath.Join(dir, "roster.db")+"?_pragma=journal_mode(WAL)&_pragma=busy_timeout(10000)"
	}
	db, err := sql.Open(driver, dsn)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	return db
}

// deactivate deactivates a client through the API.
func (e *listEnv) deactivate(uid string) {
	e.t.Helper()
	expect(e.t, e.json("POST", prefixes[0]+"/deactivate/", map[string]string{"user_uid": uid}), 200)
}

// listNames hold ties in every letter case, non-ASCII letters whose case
// only Go folds on SQLite, and the LIKE wildcards % and _.
var listNames = []string{"ana", "Ana", "ANA", "Émile", "émile", "Zoë", "zoe", "Bob", "Ça va", "100% pure",
	"snake_case", "Ångström", "mid%dle", "Zed"}

// fixture creates clients over HTTP on both prefixes, records 0 to 3
// analysis sessions for each at one of three times (ties in sessions_count
// and last_session, and no last_session for every fourth), deactivates two,
// and creates look-alikes in the other organization. It returns the
// organization's clients as stored.
func (e *listEnv) fixture() []roster.Client {
	e.t.Helper()
	e.setOrg(e.org, quota(1000))
	base := time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)
	var all []roster.Client
	for i, name := range listNames {
		prefix := prefixes[i%2]
		email := fmt.Sprintf("C%d.%s@Example.com", i, map[bool]string{true: "x_y", false: "xy"}[i%5 == 0])
		c := e.create(prefix, map[string]any{"email": email, "display_name": name, "gender": []string{"male", "female"}[i%2],
			"preferable_activities": []string{[]string{"Running", "Weightlifting"}[i%3%2]}})
		for range i % 4 {
			at := base.Add(time.Duration(i%3) * time.Hour).Format(time.RFC3339)
			expect(e.t, e.record(e.org.APIKey, prefix, c.UserUID, `{"activity":"Running","duration":60,"time":"`+at+`"}`), 201)
		}
		if i%6 == 2 {
			e.deactivate(c.UserUID)
		}
		stored, err := e.st.Client(context.Background(), e.org.ID, c.UserUID)
		if err != nil {
			e.t.Fatal(err)
		}
		all = append(all, stored)
	}
	for _, name := range []string{"ana", "Émile", "100% pure"} {
		e.createAs(e.other.APIKey, prefixes[0], map[string]any{"email": "x" + name[:1] + "@example.com", "display_name": name})
	}
	return all
}

// listPage is a list page as a test reads it.
type listPage struct {
	Users      []client `json:"users"`
	QueryCount int64    `json:"query_count"`
	Exact      *bool    `json:"query_count_exact"`
	Page       int      `json:"page"`
	PerPage    int      `json:"per_page"`
	Pages      int64    `json:"pages"`
}

func uidsOf(users []client) []string {
	uids := make([]string, len(users))
	for i, u := range users {
		uids[i] = u.UserUID
	}
	return uids
}

// streamedList reads the unpaged list of path and checks that it has the
// streamed shape: users and nothing else.
func (e *env) streamedList(path string) []string {
	e.t.Helper()
	r := e.get(path)
	expect(e.t, r, 200)
	var shape map[string]json.RawMessage
	r.decode(e.t, &shape)
	if len(shape) != 1 || shape["users"] == nil {
		e.t.Errorf("%s: streamed list %s, want only users", path, r.Body)
	}
	var list struct{ Users []client }
	r.decode(e.t, &list)
	return uidsOf(list.Users)
}

// pagedList reads every page of path's list (whose query string has no
// page), per clients a page, checking each page's totals against want.
func (e *env) pagedList(path string, per int, want int) []string {
	e.t.Helper()
	var uids []string
	pages := (want + per - 1) / per
	for n := 1; n == 1 || n <= pages; n++ {
		var p listPage
		e.get(fmt.Sprintf("%s&page=%d&per_page=%d", path, n, per)).decode(e.t, &p)
		if p.QueryCount != int64(want) || p.Page != n || p.PerPage != per || p.Pages != int64(pages) ||
			len(p.Users) != min(per, want-(n-1)*per) {
			e.t.Fatalf("%s page %d: %d users, query_count %d, page %d, per_page %d, pages %d; want %d in %d pages",
				path, n, len(p.Users), p.QueryCount, p.Page, p.PerPage, p.Pages, want, pages)
		}
		uids = append(uids, uidsOf(p.Users)...)
	}
	return uids
}

// checkList checks that path lists want both streamed and paged.
func (e *env) checkList(path string, want []string) {
	e.t.Helper()
	if got := e.streamedList(path); !slices.Equal(got, want) {
		e.t.Errorf("%s streamed:\n got %v\nwant %v", path, got, want)
	}
	if got := e.pagedList(path, 5, len(want)); !slices.Equal(got, want) {
		e.t.Errorf("%s paged:\n got %v\nwant %v", path, got, want)
	}
}

func TestListEveryOrder(t *testing.T) {
	eachList(t, func(t *testing.T, e *listEnv) {
		all := e.fixture()
		for i, by := range roster.ClientOrders {
			for j, order := range []string{"", "asc", "desc"} {
				for _, deactivated := range []string{"", "true"} {
					q := roster.ClientQuery{OrderBy: by, Deactivated: deactivated == "true",
						Ascending: order == "asc" || order == "" && by.AscendingByDefault()}
					v := url.Values{"order_by": {string(by)}, "order": {order}, "deactivated": {deactivated}}
					e.checkList(prefixes[(i+j)%2]+"/?"+v.Encode(), storetest.Listed(all, q))
				}
			}
		}
		// Without order_by: newest first.
		e.checkList(prefixes[1]+"/?", storetest.Listed(all, roster.ClientQuery{}))
	})
}

func TestListSearchAndFilters(t *testing.T) {
	eachList(t, func(t *testing.T, e *listEnv) {
		all := e.fixture()
		deactivatedEmail := all[2].Email
		for _, q := range []roster.ClientQuery{
			{Search: "ANA"}, {Search: "%"}, {Search: "_"}, {Search: "ÉMILE"}, {Search: "x_y"}, {Search: "EXAMPLE.COM"},
			{Search: "a", OrderBy: roster.OrderDisplayName}, {Search: "o", OrderBy: roster.OrderLastSession, Ascending: true},
			{Search: "nobody"}, {Email: "c1.xy@EXAMPLE.COM"}, {Email: deactivatedEmail}, {Email: deactivatedEmail, Deactivated: true},
			{Email: "xa@example.com"}, {Deactivated: true}, {Search: "e", Deactivated: true}, {Deactivated: true, Email: "c1.xy@example.com"},
		} {
			v := url.Values{"q": {q.Search}, "email": {q.Email}, "order_by": {string(q.OrderBy)},
				"order": {map[bool]string{true: "asc", false: "desc"}[q.Ascending]}}
			if q.Deactivated {
				v.Set("deactivated", "true")
			}
			for _, prefix := range prefixes {
				e.checkList(prefix+"/?"+v.Encode(), storetest.Listed(all, q))
			}
		}
		// deactivated=false is the default; 1 and 0 are accepted too.
		e.checkList(prefixes[0]+"/?deactivated=false", storetest.Listed(all, roster.ClientQuery{}))
		e.checkList(prefixes[1]+"/?deactivated=0", storetest.Listed(all, roster.ClientQuery{}))
		e.checkList(prefixes[0]+"/?deactivated=1", storetest.Listed(all, roster.ClientQuery{Deactivated: true}))

		// The other organization lists its own look-alikes only.
		theirs := e.do(req{Method: "GET", Path: prefixes[0] + "/?q=ana&page=1", Key: e.other.APIKey})
		var p listPage
		theirs.decode(t, &p)
		if p.QueryCount != 1 || len(p.Users) != 1 || p.Users[0].DisplayName != "ana" {
			t.Errorf("the other organization's search: %s", theirs.Body)
		}
		mine := e.get(prefixes[0] + "/?q=ana&per_page=50")
		if strings.Contains(string(mine.Body), p.Users[0].UserUID) {
			t.Errorf("another organization's client listed: %s", mine.Body)
		}
	})
}

// TestListSearchTotalStops checks the page of a search that matches more
// clients than roster.SearchCountMost: its total stops there and says so,
// and the pages past the total still list the matches.
func TestListSearchTotalStops(t *testing.T) {
	const n, per = roster.SearchCountMost + 20, 50
	each(t, func(t *testing.T, e *env) {
		big := storetest.NewOrg(t, e.st, "Enterprise")
		imported(t, e.importAs(big.APIKey, prefixes[1], "", csvType, bulkCSV("p", n, nil), nil), n, 0)
		page := func(query string) listPage {
			return decodeAs[listPage](t, e.do(req{Method: "GET", Path: prefixes[0] + "/?" + query, Key: big.APIKey}), 200)
		}
		check := func(query string, count int64, exact bool, pages int64, users int) {
			t.Helper()
			p := page(query)
			if p.QueryCount != count || p.Exact == nil || *p.Exact != exact || p.Pages != pages || len(p.Users) != users {
				t.Errorf("%s: query_count %d, exact %v, pages %d, %d users; want %d, %v, %d, %d", query, p.QueryCount,
					p.Exact, p.Pages, len(p.Users), count, exact, pages, users)
			}
		}
		check("q=example&per_page=50", roster.SearchCountMost, false, roster.SearchCountMost/per, per)
		check("q=example&per_page=50&page=21", roster.SearchCountMost, false, roster.SearchCountMost/per, n-20*per)
		check("q=p0000&page=1", 99, true, 10, 10)           // p000001 to p000099
		check("q=p00100&page=1", 10, true, 1, 10)           // p001000 to p001009
		check("per_page=1", n, true, n, 1)                  // the organization's counter, exact
		check("q=client%201&per_page=1", 132, true, 132, 1) // Client 1, 1x, 1xx and 1,0xx
	})
}

func TestListPagingLimits(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		for i := range 12 {
			e.create(prefixes[i%2], map[string]any{"email": fmt.Sprintf("p%d@example.com", i), "display_name": fmt.Sprintf("P%d", i)})
		}
		for _, prefix := range prefixes {
			page := func(query string) listPage {
				return decodeAs[listPage](t, e.get(prefix+"/?"+query), 200)
			}
			if p := page("per_page=50"); len(p.Users) != 12 || p.QueryCount != 12 || p.Pages != 1 || p.Page != 1 {
				t.Errorf("per_page=50: %+v", p)
			}
			if p := page("page=2"); len(p.Users) != 2 || p.PerPage != 10 || p.Pages != 2 {
				t.Errorf("page=2 of the default 10: %d users, per_page %d, pages %d", len(p.Users), p.PerPage, p.Pages)
			}
			// Past the end: a 200 with no users, unlike the filter's 404.
			for _, q := range []string{"page=3", "page=200&per_page=50", "page=5&q=p1"} {
				if p := page(q); p.Users == nil || len(p.Users) != 0 || p.QueryCount == 0 {
					t.Errorf("%s: %+v", q, p)
				}
			}
			badWant(t, e.get(prefix+"/?page=201&per_page=50"), 400, "page: page × per_page must be at most 10000")
			badWant(t, e.get(prefix+"/?page=1001"), 400, "start_after_id cursor")
			badWant(t, e.get(prefix+"/?per_page=51"), 400, "per_page: must be an integer from 1 to 50")
		}
		// An organization without clients: an empty page of no pages, and
		// an empty stream.
		empty := decodeAs[listPage](t, e.do(req{Method: "GET", Path: prefixes[0] + "/?page=1", Key: e.other.APIKey}), 200)
		if empty.Users == nil || empty.QueryCount != 0 || empty.Pages != 0 {
			t.Errorf("empty organization: %+v", empty)
		}
		r := e.do(req{Method: "GET", Path: prefixes[1] + "/?q=p", Key: e.other.APIKey})
		if expect(t, r, 200); string(r.Body) != "{\"users\":[]}\n" {
			t.Errorf("empty stream: %s", r.Body)
		}
	})
}

func TestBadList(t *testing.T) {
	cases := []badCase{
		{name: "page 0", query: "page=0", want: "page: must be an integer from 1 to 10000"},
		{name: "page x", query: "page=x", want: "page: must be an integer from 1 to 10000"},
		{name: "page negative", query: "page=-1", want: "page: must be an integer from 1 to 10000"},
		{name: "page fraction", query: "page=1.5", want: "page: must be an integer from 1 to 10000"},
		{name: "page huge", query: "page=99999999999999999999", want: "page: must be an integer from 1 to 10000"},
		{name: "page beyond 10000 rows", query: "page=11&per_page=1000", want: "per_page: must be an integer from 1 to 50"},
		{name: "page × per_page beyond 10000", query: "page=2001&per_page=5", want: "page: page × per_page must be at most 10000"},
		{name: "per_page 0", query: "per_page=0", want: "per_page: must be an integer from 1 to 50"},
		{name: "per_page 51", query: "per_page=51", want: "per_page: must be an integer from 1 to 50"},
		{name: "q too long", query: "q=" + strings.Repeat("é", 101), want: "q: must be at most 100 characters"},
		{name: "q not UTF-8", query: "q=%FF", want: "q: must be valid UTF-8"},
		{name: "order_by unknown", query: "order_by=name", want: "order_by: must be one of created_at, display_name, email, last_session, sessions_count"},
		{name: "order up", query: "order=up", want: "order: must be asc or desc"},
		{name: "order upper case", query: "order=ASC", want: "order: must be asc or desc"},
		{name: "email invalid", query: "email=nobody", want: "email: must be a valid email address"},
		{name: "deactivated yes", query: "deactivated=yes", want: "deactivated: must be true or false"},
		{name: "unknown parameter", query: "limit=5", want: "limit: unknown query parameter"},
		{name: "page twice", query: "page=1&page=2", want: "page: given more than once"},
		{name: "q twice", query: "q=a&q=b", want: "q: given more than once"},
		{name: "deactivated twice", query: "deactivated=true&deactivated=true", want: "deactivated: given more than once"},
		{name: "malformed query string", query: "q=%", want: "query string: invalid URL escape"},
	}
	for i := range cases {
		cases[i].status = 400
	}
	badEach(t, func(t *testing.T, e *env, tag, prefix string) {
		badClient(e, e.org.APIKey, prefix, `{"email":"a-`+tag+`@example.com","display_name":"A"}`)
		badRun(t, e, "GET", prefix, strings.NewReplacer(), nil, cases)
	})
}

func TestFilterLeavesOutDeactivated(t *testing.T) {
	eachList(t, func(t *testing.T, e *listEnv) {
		all := e.fixture()
		active := storetest.Listed(all, roster.ClientQuery{})
		byUID := map[string]roster.Client{}
		for _, c := range all {
			byUID[c.UID] = c
		}
		for _, f := range []struct {
			query string
			keep  func(c roster.Client) bool
		}{
			{"", func(roster.Client) bool { return true }},
			{"gender=male", func(c roster.Client) bool { return *c.Gender == "male" }},                         // a counter
			{"activity=Running", func(c roster.Client) bool { return c.PreferableActivities[0] == "Running" }}, // a counter
			{"admin_uid=" + e.org.OwnerUID, func(roster.Client) bool { return true }},                          // a counter
			{"gender=female&activity=Running", func(c roster.Client) bool { // counted rows
				return *c.Gender == "female" && c.PreferableActivities[0] == "Running"
			}},
			{"start_date=2025-03-01&end_date=2025-03-01", func(c roster.Client) bool { return c.LastSession != nil }}, // counted rows
		} {
			var want []string
			for _, uid := range active {
				if f.keep(byUID[uid]) {
					want = append(want, uid)
				}
			}
			var got []string
			path := prefixes[len(f.query)%2] + "/filter/?limit=3&" + f.query // either prefix, by the query's length
			for after := ""; ; {
				r := e.get(path + after)
				if r.Status == 404 {
					break
				}
				var p struct {
					QueryCount int64 `json:"query_count"`
					Users      []client
					LastUID    string `json:"last_uid"`
				}
				expect(t, r, 200)
				r.decode(t, &p)
				if p.QueryCount != int64(len(want)) {
					t.Errorf("%s: query_count %d, want %d", f.query, p.QueryCount, len(want))
				}
				got = append(got, uidsOf(p.Users)...)
				after = "&start_after_id=" + p.LastUID
			}
			if !slices.Equal(got, want) {
				t.Errorf("%s:\n got %v\nwant %v", f.query, got, want)
			}
		}
	})
}

func TestStaffListFilters(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		one, two, helper := e.subAdmin("Coach.One@Example.com").UID, e.subAdmin("coach_two@example.com").UID,
			e.subAdmin("helper@example.com").UID
		sorted := func(uids ...string) []string { return slices.Sorted(slices.Values(uids)) }
		admins := sorted(one, two, helper)
		staffUIDs := func(l staffList) []string {
			uids := make([]string, len(l.Users))
			for i, u := range l.Users {
				uids[i] = u.UID
			}
			return uids
		}
		for query, want := range map[string][]string{
			"q=COACH":                  sorted(one, two),
			"q=two":                    {two},
			"q=person":                 admins, // their display names, "Person <email>"
			"email=HELPER@example.com": {helper},
			"admins=true":              admins,
			"admins=1&limit=100":       admins,
			"admins=false":             {e.org.OwnerUID},
			"q=" + url.QueryEscape(strings.ToUpper(e.org.OwnerEmail)): {e.org.OwnerUID},
			"q=coach&admins=true&email=coach.one@example.com":         {one},
		} {
			for _, path := range []string{"/admin-management/sub-admins/?", "/admin-management/admins-list/?"} {
				l := e.staff(e.org.APIKey, path+query)
				if got := staffUIDs(l); !slices.Equal(got, want) || l.QueryCount != int64(len(want)) {
					t.Errorf("%s%s: %v (query_count %d), want %v", path, query, got, l.QueryCount, want)
				}
			}
		}
		// Keyset paging within a filter; query_count counts the matches.
		first := e.staff(e.org.APIKey, "/admin-management/sub-admins/?admins=true&limit=2")
		next := e.staff(e.org.APIKey, "/admin-management/sub-admins/?admins=true&limit=2&start_after_id="+first.Users[1].UID)
		if !slices.Equal(append(staffUIDs(first), staffUIDs(next)...), admins) || first.QueryCount != 3 || next.QueryCount != 3 {
			t.Errorf("pages %+v then %+v", first, next)
		}
		// % and _ match themselves; another organization's staff never match.
		badWant(t, e.get("/admin-management/sub-admins/?q=%25"), 404, "no admins found")
		badWant(t, e.get("/admin-management/sub-admins/?q=coach_o"), 404, "no admins found")
		badWant(t, e.get("/admin-management/admins-list/?email="+url.QueryEscape(e.other.OwnerEmail)), 404, "no admins found")
		for query, want := range map[string]string{
			"admins=maybe":                  "admins: must be true or false",
			"q=" + strings.Repeat("a", 101): "q: must be at most 100 characters",
			"email=nobody":                  "email: must be a valid email address",
			"admins=true&admins=true":       "admins: given more than once",
			"page=1":                        "page: unknown query parameter",
			"limit=101":                     "limit: must be an integer from 1 to 100",
		} {
			for _, path := range []string{"/admin-management/sub-admins/?", "/admin-management/admins-list/?"} {
				badWant(t, e.get(path+query), 400, want)
			}
		}
	})
}
