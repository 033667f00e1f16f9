package store_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"roster"
	"roster/store"
	"roster/store/storetest"
)

// keysetBase is the time of listFixture's first session.
var keysetBase = time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)

// keysetFixture is listFixture with clients of a second creator, of other
// activities and without a gender, some with sessions days later.
func keysetFixture(t *testing.T, st *store.Store, org, other storetest.Org) (all []roster.Client, admin string) {
	t.Helper()
	ctx := context.Background()
	all = listFixture(t, st, org, other)
	admin = roster.NewUID(time.Now())
	for i := range 9 {
		c := newClient(org, fmt.Sprintf("lifter%d@example.com", i), func(c *roster.Client) {
			c.CreatedBy, c.DisplayName = admin, fmt.Sprintf("Lifter %d", i)
			c.PreferableActivities = roster.Activities[i%3 : i%3+1+i%2]
			if i%3 != 0 {
				c.Gender = ptr([]string{"male", "female"}[i%2])
			}
		})
		if err := st.CreateClient(ctx, org.ID, c); err != nil {
			t.Fatal(err)
		}
		if i%2 == 0 {
			s := &roster.AnalysisSession{UID: roster.NewUID(time.Now()), Activity: "Weightlifting", Duration: 60,
				Time: keysetBase.AddDate(0, 0, i), CreatedBy: admin, CreatedAt: time.Now().UTC()}
			if _, err := st.RecordAnalysisSession(ctx, org.ID, c.UID, s); err != nil {
				t.Fatal(err)
			}
		}
		stored, err := st.Client(ctx, org.ID, c.UID)
		if err != nil {
			t.Fatal(err)
		}
		stored.Note = nil
		all = append(all, stored)
	}
	return all, admin
}

// keysetFilters are filters alone and combined, each checked with and
// without a search, active and deactivated.
func keysetFilters(owner, admin string) []roster.ClientFilter {
	day := func(n int) time.Time { return keysetBase.AddDate(0, 0, n) }
	return []roster.ClientFilter{
		{}, {Gender: "female"}, {Activities: []string{"Running"}}, {Activities: []string{"Weightlifting"}},
		{AdminUID: owner}, {AdminUID: admin}, {From: keysetBase.Add(time.Hour)}, {To: keysetBase.Add(time.Hour)},
		{From: day(1), To: day(7)},
		{Gender: "male", Activities: []string{"Running"}}, {Gender: "female", Activities: []string{"Vertical Jump"}},
		{AdminUID: admin, Gender: "female"}, {AdminUID: admin, Activities: []string{"Weightlifting"}},
		{AdminUID: admin, Gender: "male", Activities: []string{"Vertical Jump"}},
		{AdminUID: owner, Gender: "female", From: keysetBase},
		{AdminUID: roster.NewUID(time.Now())}, // nobody's
	}
}

// TestClientKeysetPage walks every filter, alone, combined with a search
// and with each other, in every order either way, forward by the last uid
// of each page and back by the first, against what Go lists; every page
// has the total.
func TestClientKeysetPage(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		org, other := storetest.NewOrg(t, st, "Pro"), storetest.NewOrg(t, st, "Pro")
		all, admin := keysetFixture(t, st, org, other)
		for _, f := range keysetFilters(org.OwnerUID, admin) {
			for _, base := range []roster.ClientQuery{{}, {Search: "a"}, {Search: "lifter"}, {Deactivated: true}} {
				for _, by := range roster.ClientOrders {
					for _, asc := range []bool{true, false} {
						q := base
						q.ClientFilter, q.OrderBy, q.Ascending = f, by, asc
						want := storetest.Listed(all, q)
						forward, backward := keysetWalk(t, st, org.ID, q, 4, len(want))
						if !slices.Equal(forward, want) || !slices.Equal(backward, want) {
							t.Errorf("%+v:\n forward %v\nbackward %v\n    want %v", q, forward, backward, want)
						}
					}
				}
			}
		}
	})
}

// keysetWalk reads q page by page forward and then back from the last
// client, checking each page's count.
func keysetWalk(t *testing.T, st *store.Store, org roster.OrgID, q roster.ClientQuery, per, want int) (forward, backward []string) {
	t.Helper()
	return walkPages(t, fmt.Sprintf("%+v", q), per, want, func(p roster.Page) (roster.FilterPage, error) {
		return st.ClientKeysetPage(context.Background(), org, q, p)
	})
}

// walkPages reads the pages that page answers, per clients each, forward
// and then back from the last client, checking each page's count; what
// names them in failures.
func walkPages(t *testing.T, what string, per, want int, page func(roster.Page) (roster.FilterPage, error)) (forward, backward []string) {
	t.Helper()
	read := func(p roster.Page) []string {
		t.Helper()
		p.Limit = per
		got, err := page(p)
		if err != nil {
			t.Fatalf("%s %+v: %v", what, p, err)
		}
		if got.Count != int64(want) {
			t.Fatalf("%s %+v: count %d; want %d", what, p, got.Count, want)
		}
		uids := make([]string, len(got.Clients))
		for i, c := range got.Clients {
			uids[i] = c.UID
		}
		return uids
	}
	for p := (roster.Page{}); ; {
		uids := read(p)
		forward = append(forward, uids...)
		if len(uids) < per {
			break
		}
		p.After = uids[len(uids)-1]
	}
	if len(forward) == 0 {
		return forward, nil
	}
	backward = forward[len(forward)-1:]
	for p := (roster.Page{Before: backward[0]}); ; p.Before = backward[0] {
		uids := read(p)
		backward = append(uids, backward...)
		if len(uids) < per {
			break
		}
	}
	return forward, backward
}

// TestKeysetPageOfAGoneClient: a cursor whose client was deleted is a
// clear 400-kind error in an order that reads its sort key.
func TestKeysetPageOfAGoneClient(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		org := storetest.NewOrg(t, st, "Pro")
		c := newClient(org, "gone@example.com")
		for _, c := range []*roster.Client{c, newClient(org, "stays@example.com")} {
			if err := st.CreateClient(ctx, org.ID, c); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := st.DeleteClient(ctx, org.ID, c.UID); err != nil {
			t.Fatal(err)
		}
		_, err := st.ClientKeysetPage(ctx, org.ID, roster.ClientQuery{OrderBy: roster.OrderDisplayName}, roster.Page{After: c.UID, Limit: 5})
		if roster.KindOf(err) != roster.KindInvalid || !strings.Contains(err.Error(), "start from the first page") {
			t.Fatalf("after a deleted client: %v", err)
		}
	})
}

// TestListFiltersUseIndexes checks the plans of each filter's count and
// first page, alone and combined, in each list order. The count of a
// filter on creator, gender and activity reads a counter, and its page
// walks an index in the list's order. A filter by last-session dates reads
// the range of the last-session index, for the count and the page, which
// sorts that range: both cost what the range holds. SQLite's plans are
// checked for it; PostgreSQL's choice depends on its statistics, so they
// are checked only to read an index.
func TestListFiltersUseIndexes(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		org := storetest.NewOrg(t, st, "Enterprise")
		for i := range 3 {
			if err := st.CreateClient(ctx, org.ID, newClient(org, fmt.Sprintf("c%d@example.com", i))); err != nil {
				t.Fatal(err)
			}
		}
		for _, f := range keysetFilters(org.OwnerUID, org.OwnerUID) {
			for _, order := range []roster.ClientOrder{roster.OrderCreatedAt, roster.OrderDisplayName, roster.OrderEmail} {
				for _, asc := range []bool{true, false} {
					q := roster.ClientQuery{ClientFilter: f, OrderBy: order, Ascending: asc}
					queries := st.SearchQueriesForTest(ctx, org.ID, q, 20)
					if len(queries) != 2 {
						t.Fatalf("%+v: no page query", q)
					}
					count := explain(t, st, queries[0].SQL, queries[0].Args)
					page := explain(t, st, queries[1].SQL, queries[1].Args)
					dated := !f.From.IsZero() || !f.To.IsZero()
					switch {
					case !dated && strings.Contains(queries[0].SQL, "FROM clients"):
						t.Errorf("%+v counts clients:\n%s", q, queries[0].SQL)
					case !dated && sorts(page):
						t.Errorf("%+v sorts:\n%s", q, page)
					case dated && st.Engine() == "sqlite" && !(readsLastSessionRange(count) && readsLastSessionRange(page)):
						t.Errorf("%+v reads no range of last sessions:\n%s\n%s", q, count, page)
					case dated && (strings.Contains(count, "Seq Scan") || strings.Contains(page, "Seq Scan")):
						t.Errorf("%+v reads every client:\n%s\n%s", q, count, page)
					}
				}
			}
		}
	})
}

// readsLastSessionRange reports whether a SQLite plan reads clients
// through a range of the last-session index.
func readsLastSessionRange(plan string) bool {
	return strings.Contains(plan, "clients_org_last_session (org_id=? AND last_session>") ||
		strings.Contains(plan, "clients_org_last_session (org_id=? AND last_session<")
}
