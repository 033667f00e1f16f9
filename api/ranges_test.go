package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"roster"
	"roster/store/storetest"
)

// rangeFixture creates clients of varied ages, heights, weights and shoe
// sizes (some without) over HTTP on both prefixes, with 0 to 2 analysis
// sessions, deactivates some, and creates the same clients in the other
// organization. It returns the organization's clients as stored.
func (e *listEnv) rangeFixture() []roster.Client {
	e.t.Helper()
	e.setOrg(e.org, quota(1000))
	e.setOrg(e.other, quota(1000))
	var all []roster.Client
	for i := range 16 {
		fields := map[string]any{"email": fmt.Sprintf("r%d@example.com", i), "display_name": fmt.Sprintf("R %d", i),
			"gender": []string{"male", "female"}[i%2], "preferable_activities": []string{[]string{"Running", "Weightlifting"}[i%3%2]}}
		if i%7 != 0 {
			fields["age"] = 18 + i%6
		}
		if i%5 != 0 {
			fields["height"] = 160 + float64(i%4)*2.5
		}
		if i%6 != 0 {
			fields["weight"] = 55.5 + float64(i%5)*3
		}
		if i%4 != 0 {
			fields["shoeSize"] = 5 + float64(i%3)*0.5
		}
		for _, key := range []string{e.org.APIKey, e.other.APIKey} {
			prefix := prefixes[i%2]
			c := e.createAs(key, prefix, fields)
			for n := range i % 3 {
				at := rangeBase.Add(time.Duration(i+n) * time.Hour).Format(time.RFC3339)
				expect(e.t, e.record(key, prefix, c.UserUID, `{"activity":"Running","duration":60,"time":"`+at+`"}`), 201)
			}
			if key != e.org.APIKey {
				continue
			}
			if i%8 == 3 {
				e.deactivate(c.UserUID)
			}
			stored, err := e.st.Client(context.Background(), e.org.ID, c.UserUID)
			if err != nil {
				e.t.Fatal(err)
			}
			all = append(all, stored)
		}
	}
	return all
}

// rangeBase is the time of rangeFixture's first session.
var rangeBase = time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)

// rangeCase is a query string of range filters and the filter it means.
type rangeCase struct {
	query string
	f     roster.ClientFilter
}

func rangeCases() []rangeCase {
	num := func(v float64) *float64 { return &v }
	r := func(f roster.Field, lo, hi *float64) []roster.Range {
		return []roster.Range{{Field: f, Min: lo, Max: hi}}
	}
	at := func(h int) time.Time { return rangeBase.Add(time.Duration(h) * time.Hour) }
	return []rangeCase{
		{"age_min=20", roster.ClientFilter{Ranges: r(roster.FieldAge, num(20), nil)}},
		{"age_max=21", roster.ClientFilter{Ranges: r(roster.FieldAge, nil, num(21))}},
		{"age_min=19.5&age_max=22", roster.ClientFilter{Ranges: r(roster.FieldAge, num(19.5), num(22))}},
		{"height_min=162.5&height_max=165", roster.ClientFilter{Ranges: r(roster.FieldHeight, num(162.5), num(165))}},
		{"weight_max=61.5", roster.ClientFilter{Ranges: r(roster.FieldWeight, nil, num(61.5))}},
		{"shoe_size_min=5.5&shoe_size_max=5.5", roster.ClientFilter{Ranges: r(roster.FieldShoeSize, num(5.5), num(5.5))}},
		{"age_min=19&weight_min=58&shoe_size_max=6", roster.ClientFilter{Ranges: []roster.Range{
			{Field: roster.FieldAge, Min: num(19)}, {Field: roster.FieldWeight, Min: num(58)}, {Field: roster.FieldShoeSize, Max: num(6)}}}},
		{"last_session_after=2025-03-01T15:00:00Z", roster.ClientFilter{From: at(6)}},
		{"last_session_before=2025-03-01T19:30:00%2B01:00", roster.ClientFilter{To: at(9).Add(30 * time.Minute)}},
		{"last_session_after=2025-03-01&last_session_before=2025-03-02", roster.ClientFilter{From: at(-9), To: at(15)}},
		{"age_min=18&age_max=21&last_session_after=2025-03-01T12:00:00Z", roster.ClientFilter{
			Ranges: r(roster.FieldAge, num(18), num(21)), From: at(3)}},
	}
}

// TestRangeFiltersOverHTTP walks each range filter, under both prefixes:
// the filter endpoint forward by start_after_id and back by end_before_id,
// alone and with gender and activity; the list paged and streamed, alone
// and with q and deactivated; each against what Go lists, with exact
// counts, and never with another organization's clients.
func TestRangeFiltersOverHTTP(t *testing.T) {
	eachList(t, func(t *testing.T, e *listEnv) {
		all := e.rangeFixture()
		for i, c := range rangeCases() {
			prefix := prefixes[i%2]
			for _, extra := range []rangeCase{{"", roster.ClientFilter{}}, {"&activity=Running", roster.ClientFilter{Activities: []string{"Running"}}},
				{"&gender=female", roster.ClientFilter{Gender: "female"}}} {
				f := c.f
				f.Activities, f.Gender = extra.f.Activities, extra.f.Gender
				want := storetest.Listed(all, roster.ClientQuery{ClientFilter: f})
				forward, backward := e.filterWalk(prefix+"/filter/?limit=2&"+c.query+extra.query, len(want))
				if !slices.Equal(forward, want) || !slices.Equal(backward, want) {
					t.Errorf("filter %s%s:\n forward %v\nbackward %v\n    want %v", c.query, extra.query, forward, backward, want)
				}
			}
			for _, extra := range []struct {
				query string
				q     roster.ClientQuery
			}{{"", roster.ClientQuery{}}, {"&q=r1", roster.ClientQuery{Search: "r1"}}, {"&deactivated=true", roster.ClientQuery{Deactivated: true}}} {
				q := extra.q
				q.ClientFilter = c.f
				want := storetest.Listed(all, q)
				var paged []string
				for page := 1; ; page++ {
					var p listPage
					r := e.get(fmt.Sprintf("%s/?per_page=3&page=%d&%s%s", prefix, page, c.query, extra.query))
					expect(t, r, 200)
					r.decode(t, &p)
					if p.QueryCount != int64(len(want)) {
						t.Errorf("list %s%s page %d: query_count %d, want %d", c.query, extra.query, page, p.QueryCount, len(want))
					}
					paged = append(paged, uidsOf(p.Users)...)
					if len(p.Users) < 3 {
						break
					}
				}
				var streamed listPage
				r := e.get(prefix + "/?" + c.query + extra.query)
				expect(t, r, 200)
				r.decode(t, &streamed)
				if !slices.Equal(paged, want) || !slices.Equal(uidsOf(streamed.Users), want) {
					t.Errorf("list %s%s:\n   paged %v\nstreamed %v\n    want %v", c.query, extra.query, paged, uidsOf(streamed.Users), want)
				}
			}
		}
	})
}

// filterWalk reads the filter pages of path forward and back, checking
// each page's query_count, and returns the uids each way. A page without
// clients (nothing matches, or the cursor is at an end) is a 404, as the
// seed has it.
func (e *listEnv) filterWalk(path string, want int) (forward, backward []string) {
	e.t.Helper()
	read := func(cursor string) []string {
		e.t.Helper()
		r := e.get(path + cursor)
		if r.Status == 404 {
			badWant(e.t, r, 404, "no users found")
			return nil
		}
		expect(e.t, r, 200)
		var p struct {
			QueryCount int64 `json:"query_count"`
			Users      []client
		}
		r.decode(e.t, &p)
		if p.QueryCount != int64(want) {
			e.t.Errorf("%s%s: query_count %d, want %d", path, cursor, p.QueryCount, want)
		}
		return uidsOf(p.Users)
	}
	for cursor := ""; ; {
		uids := read(cursor)
		forward = append(forward, uids...)
		if len(uids) < 2 {
			break
		}
		cursor = "&start_after_id=" + uids[len(uids)-1]
	}
	if len(forward) == 0 {
		return nil, nil
	}
	backward = forward[len(forward)-1:]
	for {
		uids := read("&end_before_id=" + backward[0])
		backward = append(uids, backward...)
		if len(uids) < 2 {
			break
		}
	}
	return forward, backward
}

// TestBadRangeFilters: a bound that is not a number, is outside the
// field's limits, exceeds the other bound, or a time that is not one, is a
// 400 with exactly this message, on the filter endpoint and on the list,
// under both prefixes.
func TestBadRangeFilters(t *testing.T) {
	cases := []struct{ query, want string }{
		{"age_min=x", "age_min: must be a number from 0 to 150"},
		{"age_max=151", "age_max: must be a number from 0 to 150"},
		{"age_min=-1", "age_min: must be a number from 0 to 150"},
		{"height_min=NaN", "height_min: must be a number from 0 to 1000"},
		{"height_max=Infinity", "height_max: must be a number from 0 to 1000"},
		{"weight_min=-0.5", "weight_min: must be a number from 0 to 1000"},
		{"weight_max=1e3x", "weight_max: must be a number from 0 to 1000"},
		{"shoe_size_min=9&shoe_size_max=8.5", "shoe_size_min: must not be greater than shoe_size_max"},
		{"age_min=30&age_max=20", "age_min: must not be greater than age_max"},
		{"age_min=20&age_min=21", "age_min: given more than once"},
		{"last_session_after=yesterday", "last_session_after: must be a time in RFC 3339 form (2006-01-02T15:04:05Z) or a date (2006-01-02)"},
		{"last_session_before=2025-02-30", "last_session_before: must be a time in RFC 3339 form (2006-01-02T15:04:05Z) or a date (2006-01-02)"},
		{"last_session_before=2025-03-01T10:00:00", "last_session_before: must be a time in RFC 3339 form (2006-01-02T15:04:05Z) or a date (2006-01-02)"},
		{"last_session_after=9999-01-01", "last_session_after: must be between 1900-01-01 and 9998-12-31"},
		{"last_session_before=1900-01-01T00:30:00%2B01:00", "last_session_before: must be between 1900-01-01 and 9998-12-31"},
		{"last_session_after=2025-03-02&last_session_before=2025-03-01", "last_session_after: must be before last_session_before"},
		{"last_session_after=2025-03-01T10:00:00Z&last_session_before=2025-03-01T11:00:00%2B01:00",
			"last_session_after: must be before last_session_before"},
	}
	filterOnly := []struct{ query, want string }{
		{"start_date=2025-03-01&last_session_after=2025-03-01", "last_session_after and start_date: give one, not both"},
		{"end_date=2025-03-01&last_session_before=2025-03-01", "last_session_before and end_date: give one, not both"},
	}
	badEach(t, func(t *testing.T, e *env, tag, prefix string) {
		badClient(e, e.org.APIKey, prefix, `{"email":"a-`+tag+`@example.com","display_name":"A","age":20}`)
		check := func(path, want string) {
			t.Helper()
			r := e.get(path)
			var body map[string]any
			if err := json.Unmarshal(r.Body, &body); r.Status != 400 || err != nil || len(body) != 1 || body["error"] != want {
				t.Errorf("%s: %d %s; want 400 {\"error\":%q}", path, r.Status, r.Body, want)
			}
		}
		for _, c := range cases {
			check(prefix+"/filter/?"+c.query, c.want)
			check(prefix+"/?page=1&"+c.query, c.want)
			check(prefix+"/?"+c.query, c.want)
		}
		for _, c := range filterOnly {
			check(prefix+"/filter/?"+c.query, c.want)
		}
		// The list has no start_date: there it is an unknown parameter.
		r := e.get(prefix + "/?start_date=2025-03-01")
		if r.Status != 400 || !strings.Contains(r.errorText(t), "start_date: unknown query parameter") {
			t.Errorf("list with start_date: %d %s", r.Status, r.Body)
		}
		// A range that only the other organization's clients are in finds nothing here.
		badClient(e, e.other.APIKey, prefix, `{"email":"o-`+tag+`@example.com","display_name":"O","age":99}`)
		badWant(t, e.get(prefix+"/filter/?age_min=99&age_max=99"), 404, "no users found")
		var p listPage
		e.get(prefix+"/?page=1&age_min="+url.QueryEscape("99")).decode(t, &p)
		if p.QueryCount != 0 || len(p.Users) != 0 {
			t.Errorf("the list counts another organization's client: %+v", p)
		}
	})
}
