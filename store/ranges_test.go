package store_test

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"roster"
	"roster/store"
	"roster/store/storetest"
)

// rangeFixture stores clients of varied ages, heights, weights and shoe
// sizes (some without), genders, activities, creators and last sessions,
// some deactivated, and the same clients in another organization, whose
// clients a count that leaked would include. It returns org's clients as
// stored and the second creator.
func rangeFixture(t *testing.T, st *store.Store, org, other storetest.Org) (all []roster.Client, admin string) {
	t.Helper()
	ctx := context.Background()
	admin = roster.NewUID(time.Now())
	for i := range 30 {
		for _, o := range []storetest.Org{org, other} {
			c := newClient(o, fmt.Sprintf("r%d@example.com", i), func(c *roster.Client) {
				if i%7 != 0 {
					c.Age = ptr(int64(18 + i%10))
				}
				if i%5 != 0 {
					c.Height = ptr(160 + float64(i%8)*2.5)
				}
				if i%6 != 0 {
					c.Weight = ptr(55.5 + float64(i%9)*3)
				}
				if i%4 != 0 {
					c.ShoeSize = ptr(5 + float64(i%6)*0.5)
				}
				c.Gender = ptr([]string{"male", "female"}[i%2])
				c.PreferableActivities = roster.Activities[i%3 : i%3+1]
				if i%3 == 1 {
					c.CreatedBy = admin
				}
			})
			if err := st.CreateClient(ctx, o.ID, c); err != nil {
				t.Fatal(err)
			}
			if i%3 != 0 {
				if err := st.SetLastSession(ctx, o.ID, c.UID, keysetBase.Add(time.Duration(i)*time.Hour)); err != nil {
					t.Fatal(err)
				}
			}
			if i%8 == 3 {
				if err := deactivate(st, o.ID, c.UID); err != nil {
					t.Fatal(err)
				}
			}
			if o == other {
				continue
			}
			stored, err := st.Client(ctx, org.ID, c.UID)
			if err != nil {
				t.Fatal(err)
			}
			stored.Note = nil
			all = append(all, stored)
		}
	}
	return all, admin
}

// between is a range of f from lo to hi; NaN leaves an end open.
func between(f roster.Field, lo, hi float64) roster.Range {
	r := roster.Range{Field: f}
	if lo == lo {
		r.Min = &lo
	}
	if hi == hi {
		r.Max = &hi
	}
	return r
}

var open = nan()

func nan() float64 { var z float64; return z / z }

// rangeFilters are ranges alone (each bound alone and both, bounds that
// are values, bounds between values, bounds that round on whole-number
// ages, an empty range) and combined with each other and with every other
// filter.
func rangeFilters(admin string) []roster.ClientFilter {
	rs := func(r ...roster.Range) []roster.Range { return r }
	at := func(h int) time.Time { return keysetBase.Add(time.Duration(h) * time.Hour) }
	return []roster.ClientFilter{
		{Ranges: rs(between(roster.FieldAge, 20, open))},
		{Ranges: rs(between(roster.FieldAge, open, 22))},
		{Ranges: rs(between(roster.FieldAge, 20, 22))},
		{Ranges: rs(between(roster.FieldAge, 21.5, 23.5))},
		{Ranges: rs(between(roster.FieldAge, 23, 23))},
		{Ranges: rs(between(roster.FieldAge, 40, 150))},
		{Ranges: rs(between(roster.FieldHeight, 165, 170))},
		{Ranges: rs(between(roster.FieldHeight, 164.9, open))},
		{Ranges: rs(between(roster.FieldWeight, open, 61.5))},
		{Ranges: rs(between(roster.FieldShoeSize, 6, 6))},
		{Ranges: rs(between(roster.FieldShoeSize, 5.25, 6.75))},
		{Ranges: rs(between(roster.FieldAge, 19, 25), between(roster.FieldHeight, 165, open))},
		{Ranges: rs(between(roster.FieldAge, 18, 26), between(roster.FieldWeight, 58, 70), between(roster.FieldShoeSize, open, 7))},
		{Ranges: rs(between(roster.FieldAge, 20, 27)), Activities: []string{"Running"}},
		{Ranges: rs(between(roster.FieldHeight, 162, 175)), Activities: []string{"Running", "Weightlifting"}},
		{Ranges: rs(between(roster.FieldWeight, 55, 75)), Gender: "female"},
		{Ranges: rs(between(roster.FieldShoeSize, 5, 7)), AdminUID: admin},
		{Ranges: rs(between(roster.FieldAge, 18, 24)), AdminUID: admin, Gender: "female", Activities: []string{"Weightlifting"}},
		{From: at(10)}, {To: at(10)}, {From: at(4), To: at(20)},
		{Ranges: rs(between(roster.FieldAge, 20, 25)), From: at(4), To: at(25)},
		{Ranges: rs(between(roster.FieldHeight, 160, 170)), To: at(17), Activities: []string{"Running"}},
	}
}

// TestRangeFilters walks every range filter, with and without a search,
// active and deactivated, in every list order either way, forward and
// back, against what Go lists, with the count on every page; and the
// filter endpoint's pages forward and back the same way.
func TestRangeFilters(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		org, other := storetest.NewOrg(t, st, "Enterprise"), storetest.NewOrg(t, st, "Enterprise")
		all, admin := rangeFixture(t, st, org, other)
		for _, f := range rangeFilters(admin) {
			for _, base := range []roster.ClientQuery{{}, {Search: "r1"}, {Deactivated: true}} {
				for _, by := range roster.ClientOrders {
					for _, asc := range []bool{true, false} {
						q := base
						q.ClientFilter, q.OrderBy, q.Ascending = f, by, asc
						want := storetest.Listed(all, q)
						forward, backward := keysetWalk(t, st, org.ID, q, 4, len(want))
						if !slices.Equal(forward, want) || !slices.Equal(backward, want) {
							t.Errorf("%s:\n forward %v\nbackward %v\n    want %v", describe(q), forward, backward, want)
						}
					}
				}
			}
			want := storetest.Listed(all, roster.ClientQuery{ClientFilter: f})
			forward, backward := filterWalk(t, st, org.ID, f, 3, len(want))
			if !slices.Equal(forward, want) || !slices.Equal(backward, want) {
				t.Errorf("filter %s:\n forward %v\nbackward %v\n    want %v", describe(roster.ClientQuery{ClientFilter: f}),
					forward, backward, want)
			}
		}
		// A filter that could match in the other organization only.
		page, err := st.FilterClients(context.Background(), org.ID, roster.ClientFilter{AdminUID: other.OwnerUID,
			Ranges: []roster.Range{between(roster.FieldAge, 18, 150)}}, roster.Page{Limit: 5})
		if err != nil || page.Count != 0 || len(page.Clients) != 0 {
			t.Errorf("other organization's creator: %d clients, count %d, %v", len(page.Clients), page.Count, err)
		}
	})
}

// describe writes q's ranges out, which %+v shows as pointers.
func describe(q roster.ClientQuery) string {
	var b strings.Builder
	for _, r := range q.Ranges {
		fmt.Fprintf(&b, " %s[", roster.Fields[r.Field].Column)
		for _, v := range []*float64{r.Min, r.Max} {
			if v != nil {
				fmt.Fprint(&b, *v)
			}
			b.WriteString(",")
		}
		b.WriteString("]")
	}
	q.Ranges = nil
	return fmt.Sprintf("%+v%s", q, b.String())
}

// filterWalk reads the filter endpoint's pages of f forward by the last
// uid of each page and then back by the first, checking each page's count.
func filterWalk(t *testing.T, st *store.Store, org roster.OrgID, f roster.ClientFilter, per, want int) (forward, backward []string) {
	t.Helper()
	return walkPages(t, describe(roster.ClientQuery{ClientFilter: f}), per, want, func(p roster.Page) (roster.FilterPage, error) {
		return st.FilterClients(context.Background(), org, f, p)
	})
}

// TestRangeCountsReadOnlyAnIndex checks the plan of each range filter's
// count: it never reads the clients' table, only an index. A range alone
// or with one activity, of active clients, sums its values' counters and
// reads no client at all; with several activities it reads only the range
// of its own index (with the activities' primary key), never a row of
// clients.
func TestRangeCountsReadOnlyAnIndex(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		org := storetest.NewOrg(t, st, "Enterprise")
		for i := range 3 {
			if err := st.CreateClient(ctx, org.ID, newClient(org, fmt.Sprintf("c%d@example.com", i))); err != nil {
				t.Fatal(err)
			}
		}
		if st.Engine() == "postgres" {
			// An index-only scan is planned for a table whose pages are
			// known all-visible, as a running deployment's mostly are.
			if _, err := st.DBForTest().ExecContext(ctx, "VACUUM ANALYZE clients"); err != nil {
				t.Fatal(err)
			}
		}
		for _, f := range rangeFilters(org.OwnerUID) {
			for _, deactivated := range []bool{false, true} {
				q := roster.ClientQuery{ClientFilter: f, Deactivated: deactivated}
				queries := st.SearchQueriesForTest(ctx, org.ID, q, 20)
				if len(queries) != 2 {
					t.Fatalf("%s: no page query", describe(q))
				}
				plan := explain(t, st, queries[0].SQL, queries[0].Args)
				index := "clients_org_last_session"
				if len(f.Ranges) > 0 {
					index = "clients_org_" + roster.Fields[f.Ranges[0].Field].Column
				}
				onlyIndex := f.AdminUID == "" && f.Gender == "" && (len(f.Ranges) == 0 || f.From.IsZero() && f.To.IsZero())
				counted := onlyIndex && len(f.Ranges) == 1 && len(f.Activities) < 2 && !deactivated
				switch {
				case counted && !readsCounters(st, plan):
					t.Errorf("%s: the count reads more than its counters:\n%s", describe(q), plan)
				case counted:
				case scansClients(plan):
					t.Errorf("%s: the count reads every client:\n%s", describe(q), plan)
				case onlyIndex && len(f.Ranges) < 2 && !readsOnly(st, plan, index):
					t.Errorf("%s: the count reads more than %s:\n%s", describe(q), index, plan)
				}
			}
		}
	})
}

// scansClients reports whether a plan reads the clients' table whole.
func scansClients(plan string) bool {
	for line := range strings.Lines(plan) {
		if strings.Contains(line, "Seq Scan on clients") || strings.HasPrefix(strings.TrimSpace(line), "SCAN clients") {
			return true
		}
	}
	return false
}

// readsCounters reports whether a plan reads the counters' primary key
// and nothing else.
func readsCounters(st *store.Store, plan string) bool {
	if st.Engine() == "postgres" {
		return regexp.MustCompile(`Index (Only )?Scan using client_count_slots_pkey on client_count_slots`).MatchString(plan) &&
			!strings.Contains(plan, " on clients")
	}
	return strings.Contains(plan, "SEARCH client_count_slots USING ") && !strings.Contains(plan, "clients ")
}

// readsOnly reports whether a plan reads clients through index alone,
// never a row of the table.
func readsOnly(st *store.Store, plan, index string) bool {
	if st.Engine() == "postgres" {
		return strings.Contains(plan, "Index Only Scan using "+index+" on clients") &&
			!regexp.MustCompile(`(Index|Heap) Scan (using \w+ )?on clients`).MatchString(plan)
	}
	return strings.Contains(plan, "SEARCH clients USING COVERING INDEX "+index+" ")
}

// TestRangePageWays checks how a page of a range filter is read, by the
// count: a range with few matches reads them along its index (no + before
// its column) and one with many walks the list's order, testing the range
// on each client (+age), on SQLite without sorting. Both ways list what Go
// lists.
func TestRangePageWays(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		org := storetest.NewOrg(t, st, "Enterprise")
		var all []roster.Client
		for i := range 40 {
			c := newClient(org, fmt.Sprintf("w%d@example.com", i), func(c *roster.Client) { c.Age = ptr(int64(20 + i%20)) })
			if err := st.CreateClient(ctx, org.ID, c); err != nil {
				t.Fatal(err)
			}
			c.Note = nil
			all = append(all, *c)
		}
		for _, tc := range []struct {
			lo, hi float64
			walk   bool
		}{{25, 25, false}, {20, 39, true}} {
			q := roster.ClientQuery{ClientFilter: roster.ClientFilter{Ranges: []roster.Range{between(roster.FieldAge, tc.lo, tc.hi)}}}
			queries := st.SearchQueriesForTest(ctx, org.ID, q, 5)
			if len(queries) != 2 {
				t.Fatalf("%s: no page query", describe(q))
			}
			if walks := strings.Contains(queries[1].SQL, "+age"); walks != tc.walk {
				t.Errorf("%s (%s): walks %v, want %v:\n%s", describe(q), queries[1].What, walks, tc.walk, queries[1].SQL)
			}
			if plan := explain(t, st, queries[1].SQL, queries[1].Args); tc.walk && st.Engine() == "sqlite" && sorts(plan) {
				t.Errorf("%s: the walk sorts:\n%s", describe(q), plan)
			}
			want := storetest.Listed(all, q)
			forward, backward := keysetWalk(t, st, org.ID, q, 5, len(want))
			if !slices.Equal(forward, want) || !slices.Equal(backward, want) {
				t.Errorf("%s:\n forward %v\nbackward %v\n    want %v", describe(q), forward, backward, want)
			}
			got, err := st.FilterClients(ctx, org.ID, q.ClientFilter, roster.Page{Limit: 5})
			if err != nil || got.Count != int64(len(want)) || len(got.Clients) != min(5, len(want)) {
				t.Errorf("%s: filter page of %d, count %d, %v; want count %d", describe(q), len(got.Clients), got.Count, err, len(want))
			}
		}
	})
}

// TestRangeCountersFollowChanges changes rangeFixture's clients every way
// that moves the counters of a range's values: updates of range fields and
// activities, fields cleared, measurements recorded as the newest and as
// older ones, deactivation and reactivation, deletion, an import. Then each
// range filter's count must be what Go lists of the clients as stored; and
// again after migration 24 is rolled back and run anew, counting from the
// rows in chunks of 7.
func TestRangeCountersFollowChanges(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		org, other := storetest.NewOrg(t, st, "Enterprise"), storetest.NewOrg(t, st, "Enterprise")
		all, admin := rangeFixture(t, st, org, other)
		uids := changeAllRanged(t, st, org.ID, all)
		imported := importable(org, 12, func(i int, c *roster.Client) {
			c.Age, c.Weight, c.PreferableActivities = ptr(int64(20+i%3)), ptr(57.25+float64(i%2)), []string{"Running"}
		})
		if err := st.ImportClients(ctx, org.ID, len(imported), from(imported), nil); err != nil {
			t.Fatal(err)
		}
		for _, c := range imported {
			uids = append(uids, c.UID)
		}
		assertRangeCounts(t, st, org, uids, rangeFilters(admin))
		if err := st.MigrateDownTo(ctx, 23, quiet); err != nil {
			t.Fatal(err)
		}
		store.SetRangeCountChunkForTest(t, 7)
		if err := st.Migrate(ctx, quiet); err != nil {
			t.Fatal(err)
		}
		assertRangeCounts(t, st, org, uids, rangeFilters(admin))
	})
}

// changeAllRanged changes each client of rangeFixture's all by
// changeRanged and returns the uids of those it did not delete.
func changeAllRanged(t *testing.T, st *store.Store, org roster.OrgID, all []roster.Client) (uids []string) {
	t.Helper()
	later := time.Now().AddDate(1, 0, 0)
	for i, c := range all {
		if err := changeRanged(context.Background(), st, org, i, c, later); err != nil {
			t.Fatalf("change %d: %v", i%6, err)
		}
		if i%6 != 5 {
			uids = append(uids, c.UID)
		}
	}
	return uids
}

// changeRanged changes the client c, the i-th of its fixture, one of six
// ways by i: later is a time after any measurement of it.
func changeRanged(ctx context.Context, st *store.Store, org roster.OrgID, i int, c roster.Client, later time.Time) error {
	var err error
	switch i % 6 {
	case 0:
		_, err = st.UpdateClient(ctx, org, c.UID, roster.ClientUpdate{
			Set: roster.FieldsOf(roster.FieldAge, roster.FieldHeight, roster.FieldPreferableActivities),
			ClientFields: roster.ClientFields{Age: ptr(int64(19 + i%9)), Height: ptr(161.5 + float64(i%5)),
				PreferableActivities: roster.Activities[(i+1)%3 : (i+1)%3+2]}})
	case 1:
		_, err = st.UpdateClient(ctx, org, c.UID, roster.ClientUpdate{Set: roster.FieldsOf(roster.FieldWeight, roster.FieldShoeSize)})
	case 2:
		err = st.RecordMetric(ctx, org, c.UID, roster.Metric{UID: roster.NewUID(later), Field: "weight",
			Value: 50 + float64(i%4), RecordedAt: later})
	case 3:
		// Older than a stored shoe size, which stays current; the only
		// one, and current, for a client without.
		err = st.RecordMetric(ctx, org, c.UID, roster.Metric{UID: roster.NewUID(keysetBase), Field: "shoeSize",
			Value: 6.5, RecordedAt: keysetBase})
	case 4:
		if c.DeactivatedAt == nil {
			err = deactivate(st, org, c.UID)
		}
		if err == nil {
			_, err = st.SetClientActive(ctx, org, roster.ClientRef{UID: c.UID}, true)
		}
	case 5:
		_, err = st.DeleteClient(ctx, org, c.UID)
	}
	return err
}

// assertRangeCounts checks that the count of each filter is what Go lists
// of the organization's clients uids as stored.
func assertRangeCounts(t *testing.T, st *store.Store, org storetest.Org, uids []string, filters []roster.ClientFilter) {
	t.Helper()
	ctx := context.Background()
	var all []roster.Client
	for _, uid := range uids {
		c, err := st.Client(ctx, org.ID, uid)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, c)
	}
	for _, f := range filters {
		want := storetest.Listed(all, roster.ClientQuery{ClientFilter: f})
		page, err := st.FilterClients(ctx, org.ID, f, roster.Page{Limit: 1})
		if err != nil || page.Count != int64(len(want)) {
			t.Errorf("%s: count %d, %v; want %d", describe(roster.ClientQuery{ClientFilter: f}), page.Count, err, len(want))
		}
	}
}

// TestImportManyDistinctValues imports 7,000 clients whose weights all
// differ: the publication moves some 14,000 counters, whose arguments
// would pass both engines' limits in one statement.
func TestImportManyDistinctValues(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		org := storetest.NewOrg(t, st, "Enterprise")
		const n = 7000
		imported := importable(org, n, func(i int, c *roster.Client) {
			c.Weight, c.PreferableActivities = ptr(40+float64(i)*0.01), []string{"Running"}
		})
		if err := st.ImportClients(ctx, org.ID, n, from(imported), nil); err != nil {
			t.Fatal(err)
		}
		// 40.00 to 49.99: the first thousand.
		assertFilterCount(t, st, org, roster.ClientFilter{Ranges: []roster.Range{between(roster.FieldWeight, 40, 49.995)},
			Activities: []string{"Running"}}, 1000)
		assertFilterCount(t, st, org, roster.ClientFilter{Ranges: []roster.Range{between(roster.FieldWeight, 40, open)}}, n)
	})
}

// TestRangeCountersLeaveNoRows records 200 weights of one client, each the
// newest: each leaves the counters of the one before, whose rows are then
// removed, so that a range sums the rows of the values clients hold and
// not of every value they ever held.
func TestRangeCountersLeaveNoRows(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		org := storetest.NewOrg(t, st, "Enterprise")
		c := newClient(org, "grow@example.com", func(c *roster.Client) {
			c.Weight, c.PreferableActivities = ptr(70.0), []string{"Running"}
		})
		if err := st.CreateClient(ctx, org.ID, c); err != nil {
			t.Fatal(err)
		}
		base := time.Now()
		for i := range 200 {
			at := base.AddDate(0, 0, i+1)
			if err := st.RecordMetric(ctx, org.ID, c.UID, roster.Metric{UID: roster.NewUID(at), Field: "weight",
				Value: 70 + float64(i)*0.1, RecordedAt: at}); err != nil {
				t.Fatal(err)
			}
		}
		var rows, total int
		if err := st.DB().QueryRow(`SELECT count(*), COALESCE(SUM(n), 0) FROM client_count_slots
			WHERE org_id = $1 AND dim LIKE 'range:weight%'`, org.ID).Scan(&rows, &total); err != nil {
			t.Fatal(err)
		}
		// The weight alone, and with Running.
		if rows != 2 || total != 2 {
			t.Errorf("%d rows of weight counters summing to %d, want 2 rows of 1", rows, total)
		}
		assertFilterCount(t, st, org, roster.ClientFilter{Ranges: []roster.Range{between(roster.FieldWeight, 89.9, 89.9)}}, 1)
	})
}

// TestActivityWalk checks the page of one activity with ranges that walks
// the list's order (migration 26). It walks the activity's rows along
// client_activities_walk, in order without sorting, and looks clients up
// by their ids alone. The rows hold what they must of their clients after
// every change of changeRanged, a client created deactivated and an
// import, and after migration 26 is rolled back and run anew; the pages
// list what Go lists.
func TestActivityWalk(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		org, other := storetest.NewOrg(t, st, "Enterprise"), storetest.NewOrg(t, st, "Enterprise")
		all, _ := rangeFixture(t, st, org, other)
		uids := changeAllRanged(t, st, org.ID, all)
		gone := newClient(org, "gone@example.com", func(c *roster.Client) {
			c.Age, c.PreferableActivities, c.DeactivatedAt = ptr(int64(20)), []string{"Running"}, ptr(time.Now().UTC())
		})
		if err := st.CreateClient(ctx, org.ID, gone); err != nil {
			t.Fatal(err)
		}
		imported := importable(org, 30, func(i int, c *roster.Client) {
			c.Age, c.Height, c.Weight = ptr(int64(18+i%9)), ptr(170+float64(i%5)), ptr(60+float64(i%10))
			c.PreferableActivities = roster.Activities[i%2*2 : i%2*2+2]
		})
		if err := st.ImportClients(ctx, org.ID, len(imported), from(imported), nil); err != nil {
			t.Fatal(err)
		}
		for _, c := range append(imported, gone) {
			uids = append(uids, c.UID)
		}
		assertActivityRows(t, st, org.ID, uids)
		// Rolled back and run anew, the migration fills the rows in.
		if err := st.MigrateDownTo(ctx, 25, quiet); err != nil {
			t.Fatal(err)
		}
		if err := st.Migrate(ctx, quiet); err != nil {
			t.Fatal(err)
		}
		assertActivityRows(t, st, org.ID, uids)

		var clients []roster.Client
		for _, uid := range uids {
			c, err := st.Client(ctx, org.ID, uid)
			if err != nil {
				t.Fatal(err)
			}
			c.Note = nil
			clients = append(clients, c)
		}
		active := int64(len(storetest.Listed(clients, roster.ClientQuery{})))
		if st.Engine() == "postgres" {
			// Planned with statistics, as a running deployment's tables are.
			if _, err := st.DBForTest().ExecContext(ctx, "VACUUM ANALYZE clients, client_activities"); err != nil {
				t.Fatal(err)
			}
		}
		for _, f := range []roster.ClientFilter{
			{Ranges: []roster.Range{between(roster.FieldAge, 18, 30)}, Activities: []string{"Running"}},
			{Ranges: []roster.Range{between(roster.FieldAge, 18, open), between(roster.FieldWeight, open, 100)}, Activities: []string{"Vertical Jump"}},
			{Ranges: []roster.Range{between(roster.FieldHeight, 150, 200)}, Activities: []string{"Running"}, Gender: "female"},
		} {
			what := describe(roster.ClientQuery{ClientFilter: f})
			walk := st.RangeWalkQueryForTest(org.ID, f, roster.Page{Limit: 1, After: uids[0]})
			plan := explain(t, st, walk.SQL, walk.Args)
			if !walksActivity(st, plan) {
				t.Errorf("%s: the walk does not read its activity's index alone and the clients it lists:\n%s", what, plan)
			}
			want := storetest.Listed(clients, roster.ClientQuery{ClientFilter: f})
			// A page of one walks when count² > clients (see walks).
			if n := int64(len(want)); n*n <= active {
				t.Fatalf("%s: %d matches of %d clients; a page of one would not walk", what, n, active)
			}
			forward, backward := filterWalk(t, st, org.ID, f, 1, len(want))
			if !slices.Equal(forward, want) || !slices.Equal(backward, want) {
				t.Errorf("%s:\n forward %v\nbackward %v\n    want %v", what, forward, backward, want)
			}
		}
		// Every activity's walk has its index (on PostgreSQL, one per
		// activity: migration 28 names them).
		for _, activity := range roster.Activities {
			f := roster.ClientFilter{Ranges: []roster.Range{between(roster.FieldAge, 18, 30)}, Activities: []string{activity}}
			walk := st.RangeWalkQueryForTest(org.ID, f, roster.Page{Limit: 1, After: uids[0]})
			if plan := explain(t, st, walk.SQL, walk.Args); !walksActivity(st, plan) {
				t.Errorf("%s: the walk does not read its activity's index alone and the clients it lists:\n%s", activity, plan)
			}
		}
	})
}

// walksActivity reports whether a plan walks an activity's index in
// order, without sorting, and reads only the clients it lists: on
// PostgreSQL the activity's partial index of clients (migration 28), on
// SQLite client_activities_walk and each client by id.
func walksActivity(st *store.Store, plan string) bool {
	if st.Engine() == "postgres" {
		// The ranges' bounds (>= and <=, the cursor being <) are tested on
		// the index.
		return regexp.MustCompile(`Index Scan (Backward )?using clients_walk_\w+ on clients`).MatchString(plan) &&
			regexp.MustCompile(`Index Cond: .*(>=|<=)`).MatchString(plan) &&
			!strings.Contains(plan, "client_activities") && !sorts(plan)
	}
	return strings.Contains(plan, "SEARCH client_activities USING COVERING INDEX client_activities_walk ") &&
		strings.Contains(plan, "SEARCH clients USING INTEGER PRIMARY KEY (rowid=?)") && !sorts(plan)
}

// assertActivityRows checks that client_activities holds, for each of the
// organization's clients uids, one row for each of its activities, with
// the client's organization, uid, state, import and range values.
func assertActivityRows(t *testing.T, st *store.Store, org roster.OrgID, uids []string) {
	t.Helper()
	ctx := context.Background()
	var stale int
	if err := st.DBForTest().QueryRowContext(ctx, `SELECT count(*) FROM client_activities a JOIN clients c ON c.id = a.client_id
		WHERE a.org_id <> c.org_id OR a.client_uid <> c.uid OR a.deactivated <> (c.deactivated_at IS NOT NULL)
			OR a.import_id IS DISTINCT FROM c.import_id OR a.age IS DISTINCT FROM c.age OR a.height IS DISTINCT FROM c.height
			OR a.weight IS DISTINCT FROM c.weight OR a.shoe_size IS DISTINCT FROM c.shoe_size`).Scan(&stale); err != nil {
		t.Fatal(err)
	}
	if stale != 0 {
		t.Errorf("%d activity rows differ from their clients", stale)
	}
	rows, err := st.DBForTest().QueryContext(ctx, `SELECT client_uid, activity FROM client_activities WHERE org_id = $1`, org)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	got := map[string][]string{}
	for rows.Next() {
		var uid, activity string
		if err := rows.Scan(&uid, &activity); err != nil {
			t.Fatal(err)
		}
		got[uid] = append(got[uid], activity)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	for _, uid := range uids {
		c, err := st.Client(ctx, org, uid)
		if err != nil {
			t.Fatal(err)
		}
		want := slices.Sorted(slices.Values(c.PreferableActivities))
		if have := slices.Sorted(slices.Values(got[uid])); !slices.Equal(have, want) {
			t.Errorf("client %s: activity rows %v; want %v", uid, have, want)
		}
		delete(got, uid)
	}
	if len(got) > 0 {
		t.Errorf("activity rows of clients not stored: %v", got)
	}
}

// TestRangeKeysDiffer: no two different lists of a filter's arguments
// share a key in rangeWays, whatever their types and however their
// strings read.
func TestRangeKeysDiffer(t *testing.T) {
	lists := [][]any{
		{roster.OrgID(1)}, {int64(1)}, {1.0}, {"1"}, {roster.OrgID(1), "a"}, {roster.OrgID(1), "a", "b"},
		{roster.OrgID(1), "a string b"}, {roster.OrgID(1), "a b"}, {roster.OrgID(1), int64(30), int64(34)},
		{roster.OrgID(1), int64(303), int64(4)}, {roster.OrgID(1), 30.5}, {roster.OrgID(1), 30.25},
		{roster.OrgID(12)}, {roster.OrgID(1), true},
	}
	seen := map[string]int{}
	for i, args := range lists {
		key := store.RangeKeyForTest(args...)
		if j, ok := seen[key]; ok {
			t.Errorf("%#v and %#v share the key %q", lists[j], args, key)
		}
		seen[key] = i
	}
}

// TestRangeWayOfAMovedCount reads a page of a range filter, which
// remembers its count, then deactivates all but two of its matches: the
// next pages, read the way the old count chose until a page brings the
// new one back, list what Go lists with the new count, an empty page
// past the last match included.
func TestRangeWayOfAMovedCount(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		org := storetest.NewOrg(t, st, "Enterprise")
		var uids []string // newest first
		for i := range 40 {
			c := newClient(org, fmt.Sprintf("m%d@example.com", i), func(c *roster.Client) {
				c.Age, c.PreferableActivities = ptr(int64(20+i%20)), []string{"Running"}
			})
			if err := st.CreateClient(ctx, org.ID, c); err != nil {
				t.Fatal(err)
			}
			uids = append([]string{c.UID}, uids...)
		}
		for _, f := range []roster.ClientFilter{
			{Ranges: []roster.Range{between(roster.FieldAge, 20, 39)}},
			{Ranges: []roster.Range{between(roster.FieldAge, 20, 39)}, Activities: []string{"Running"}},
		} {
			what := describe(roster.ClientQuery{ClientFilter: f})
			page := func(p roster.Page) roster.FilterPage {
				t.Helper()
				p.Limit = 5
				got, err := st.FilterClients(ctx, org.ID, f, p)
				if err != nil {
					t.Fatalf("%s %+v: %v", what, p, err)
				}
				return got
			}
			if got := page(roster.Page{}); got.Count != 40 || len(got.Clients) != 5 {
				t.Fatalf("%s: first page of %d, count %d; want 5 of 40", what, len(got.Clients), got.Count)
			}
			for _, uid := range uids[1 : len(uids)-1] {
				if err := deactivate(st, org.ID, uid); err != nil {
					t.Fatal(err)
				}
			}
			for _, tc := range []struct {
				p    roster.Page
				want []string
			}{
				{roster.Page{}, []string{uids[0], uids[39]}},
				{roster.Page{After: uids[0]}, []string{uids[39]}},
				{roster.Page{After: uids[39]}, nil},
				{roster.Page{Before: uids[39]}, []string{uids[0]}},
			} {
				got := page(tc.p)
				var listed []string
				for _, c := range got.Clients {
					listed = append(listed, c.UID)
				}
				if got.Count != 2 || !slices.Equal(listed, tc.want) {
					t.Errorf("%s %+v: %v, count %d; want %v, count 2", what, tc.p, listed, got.Count, tc.want)
				}
			}
			for _, uid := range uids[1 : len(uids)-1] {
				if _, err := st.SetClientActive(ctx, org.ID, roster.ClientRef{UID: uid}, true); err != nil {
					t.Fatal(err)
				}
			}
		}
	})
}
