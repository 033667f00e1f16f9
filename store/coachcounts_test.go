package store_test

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"roster"
	"roster/store"
	"roster/store/storetest"
)

// coachFilters are the filters whose counts a coach's counters answer
// (migration 25), and some they do not, for the coach's clients: as a
// coach_uid filter, and as the scope of a scoped Admin (scoped).
func coachFilters(coach string, scoped bool) []roster.ClientFilter {
	var filters []roster.ClientFilter
	for _, gender := range []string{"", "male", "female"} {
		for _, a := range append([]string{""}, roster.Activities...) {
			f := roster.ClientFilter{Gender: gender}
			if a != "" {
				f.Activities = []string{a}
			}
			filters = append(filters, f)
		}
	}
	for _, f := range rangeFilters(coach) {
		if f.From.IsZero() && f.To.IsZero() {
			filters = append(filters, f)
		}
	}
	for i := range filters {
		if scoped {
			filters[i].Scope = coach
		} else {
			filters[i].CoachUID = coach
		}
	}
	return filters
}

// assertCoachCounts checks that the count of each of coachFilters of each
// coach is the number of clients its page lists, as an Owner sees them
// with a coach_uid filter and as the coach does through their scope.
func assertCoachCounts(t *testing.T, st *store.Store, org storetest.Org, coaches ...roster.Principal) {
	t.Helper()
	for _, p := range coaches {
		for _, scoped := range []bool{false, true} {
			ctx := context.Background()
			if scoped {
				ctx = store.AsStaff(ctx, p)
			}
			for _, f := range coachFilters(p.AccountUID, scoped) {
				f.Scope = "" // the store sets it from ctx
				page, err := st.FilterClients(ctx, org.ID, f, roster.Page{Limit: 100})
				if err != nil {
					t.Fatal(err)
				}
				if page.Count != int64(len(page.Clients)) {
					t.Errorf("%s's clients (scoped %v), %s: count %d, %d listed", p.AccountUID, scoped,
						describe(roster.ClientQuery{ClientFilter: f}), page.Count, len(page.Clients))
				}
			}
		}
	}
}

// coachCounters are the organization's coaches' counters that are not 0,
// summed over their slots.
func coachCounters(t *testing.T, st *store.Store, org roster.OrgID) map[string]int64 {
	t.Helper()
	rows, err := st.DB().Query(`SELECT dim, value, SUM(n) FROM client_count_slots WHERE org_id = $1 AND dim LIKE 'coach=%'
		GROUP BY dim, value HAVING SUM(n) <> 0`, org)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	counters := map[string]int64{}
	for rows.Next() {
		var dim, value string
		var n int64
		if err := rows.Scan(&dim, &value, &n); err != nil {
			t.Fatal(err)
		}
		counters[dim+" "+value] = n
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return counters
}

// TestCoachCountersFollowChanges assigns rangeFixture's clients to two
// coaches, one whose scope is assigned and who creates clients of their
// own, one by one, at once (batches) and by an import; changes the clients
// every way changeRanged does; unassigns some. Each coach's filtered count,
// through a coach_uid filter and through the scope, must be what the page
// lists; and the counters must be the same when migration 25 counts them
// anew from the assignments. A coach who leaves leaves no counter behind.
func TestCoachCountersFollowChanges(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		org, other := storetest.NewOrg(t, st, "Enterprise"), storetest.NewOrg(t, st, "Enterprise")
		all, _ := rangeFixture(t, st, org, other)
		scoped := newAdmin(t, st, org, "scoped@example.com", roster.ScopeAssigned)
		wide := newAdmin(t, st, org, "wide@example.com", roster.ScopeAll)
		for i, c := range all {
			for j, coach := range []roster.Principal{scoped, wide} {
				if (i+j)%3 != 0 {
					continue
				}
				if _, err := st.SetCoach(ctx, org.ID, c.UID, coach.AccountUID, true); err != nil {
					t.Fatal(err)
				}
			}
		}
		var wg sync.WaitGroup
		errs := make(chan error, 12)
		for i := range 12 {
			c := newClient(org, fmt.Sprintf("own%d@example.com", i), func(c *roster.Client) {
				c.CreatedBy, c.Gender, c.Age = scoped.AccountUID, ptr([]string{"male", "female"}[i%2]), ptr(int64(20+i%4))
				c.PreferableActivities = roster.Activities[i%3 : i%3+1]
			})
			wg.Go(func() { errs <- st.CreateClient(store.AsStaff(ctx, scoped), org.ID, c) })
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		// Deactivated from the start, as SCIM creates it: assigned, but
		// not counted until reactivated.
		dormant := newClient(org, "dormant@example.com", func(c *roster.Client) {
			c.CreatedBy, c.Gender, c.DeactivatedAt = scoped.AccountUID, ptr("male"), ptr(time.Now())
		})
		if err := st.CreateClient(store.AsStaff(ctx, scoped), org.ID, dormant); err != nil {
			t.Fatal(err)
		}
		imported := importable(org, 9, func(i int, c *roster.Client) {
			c.CreatedBy, c.Age, c.Gender, c.PreferableActivities = scoped.AccountUID, ptr(int64(21+i%2)), ptr("female"), []string{"Running"}
		})
		if err := st.ImportClients(store.AsStaff(ctx, scoped), org.ID, len(imported), from(imported), nil); err != nil {
			t.Fatal(err)
		}
		assertCoachCounts(t, st, org, scoped, wide)

		later := time.Now().AddDate(1, 0, 0)
		for i, c := range all {
			if err := changeRanged(ctx, st, org.ID, i, c, later); err != nil {
				t.Fatalf("change %d: %v", i%6, err)
			}
			if i%4 == 1 && i%6 != 5 {
				if _, err := st.SetCoach(ctx, org.ID, c.UID, wide.AccountUID, false); err != nil {
					t.Fatal(err)
				}
			}
		}
		assertCoachCounts(t, st, org, scoped, wide)
		// Some of them deactivated, others back.
		for i, c := range all {
			if i%6 == 2 {
				if err := deactivate(st, org.ID, c.UID); err != nil {
					t.Fatal(err)
				}
			}
		}
		if _, err := st.SetClientActive(ctx, org.ID, roster.ClientRef{UID: dormant.UID}, true); err != nil {
			t.Fatal(err)
		}
		assertCoachCounts(t, st, org, scoped, wide)
		assertAssignmentRows(t, st, org.ID)

		counted := coachCounters(t, st, org.ID)
		if len(counted) == 0 {
			t.Fatal("no coach's counter")
		}
		if err := st.MigrateDownTo(ctx, 24, quiet); err != nil {
			t.Fatal(err)
		}
		if n := len(coachCounters(t, st, org.ID)); n != 0 {
			t.Fatalf("%d coach's counters left by the way down", n)
		}
		if err := st.Migrate(ctx, quiet); err != nil {
			t.Fatal(err)
		}
		if recounted := coachCounters(t, st, org.ID); !maps.Equal(recounted, counted) {
			t.Errorf("migration 25 counted\n%v\nthe changes left\n%v", recounted, counted)
		}
		assertAssignmentRows(t, st, org.ID) // as migration 27 filled them
		assertCoachCounts(t, st, org, scoped, wide)

		// A coach leaves by removal, another by deleting their account.
		if err := st.RemoveStaff(ctx, org.ID, wide.AccountUID); err != nil {
			t.Fatal(err)
		}
		assertNoCounters(t, st, org.ID, wide.AccountUID)
		assertCoachCounts(t, st, org, scoped)
		if err := st.DeleteAccount(ctx, scoped.AccountUID); err != nil {
			t.Fatal(err)
		}
		assertNoCounters(t, st, org.ID, scoped.AccountUID)
		if n := len(coachCounters(t, st, org.ID)); n != 0 {
			t.Errorf("%d coach's counters left", n)
		}
	})
}

// assertNoCounters checks that the coach has no counter left in org.
func assertNoCounters(t *testing.T, st *store.Store, org roster.OrgID, coach string) {
	t.Helper()
	for k := range coachCounters(t, st, org) {
		if strings.HasPrefix(k, "coach="+coach+"+") {
			t.Errorf("a coach who left still has the counter %s", k)
		}
	}
}

// TestImportByReturningAdmin: an Admin removed while their import runs,
// and made an Admin again before it ends, is assigned the clients written
// while they were one, and counts those only.
func TestImportByReturningAdmin(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		org := storetest.NewOrg(t, st, "Pro")
		coach := newAdmin(t, st, org, "returning@example.com", roster.ScopeAssigned)
		// Removed within the first chunk of 100 rows, back within the
		// second: the first is assigned to nobody, the others to the Admin.
		const n, removedAt, backAt = 250, 50, 150
		imported := importable(org, n, func(i int, c *roster.Client) {
			c.CreatedBy, c.Gender = coach.AccountUID, ptr([]string{"male", "female"}[i%2])
		})
		next := from(imported)
		read := 0
		err := st.ImportClients(store.AsStaff(ctx, coach), org.ID, n, func() (*roster.Client, error) {
			switch read++; read {
			case removedAt:
				if err := st.RemoveStaff(ctx, org.ID, coach.AccountUID); err != nil {
					return nil, err
				}
			case backAt:
				inv, err := st.CreateInvitation(ctx, org.ID, org.OwnerUID, "returning@example.com", "", time.Hour, roster.DefaultLimits)
				if err != nil {
					return nil, err
				}
				if err := st.RespondInvitation(ctx, coach.AccountUID, inv.Token, true); err != nil {
					return nil, err
				}
			}
			return next()
		}, nil)
		if err != nil {
			t.Fatal(err)
		}
		owner := roster.Principal{OrgID: org.ID, AccountUID: org.OwnerUID, Role: roster.RoleOwner, Scope: roster.ScopeAll}
		// Counted from the assignments, which the page walks.
		_, assigned := scopedUIDs(t, st, owner, roster.ClientFilter{CoachUID: coach.AccountUID})
		if assigned == 0 || assigned == n {
			t.Fatalf("the returning Admin was assigned %d of %d clients", assigned, n)
		}
		for _, g := range []string{"male", "female"} {
			listed, count := scopedUIDs(t, st, owner, roster.ClientFilter{CoachUID: coach.AccountUID, Gender: g})
			if count != int64(len(listed)) || 2*count != assigned {
				t.Errorf("%s: count %d, %d listed, of %d assigned", g, count, len(listed), assigned)
			}
		}
	})
}

// TestCoachCountersUnderConcurrentChanges changes the genders and ages of
// a coach's clients while other transactions assign and unassign the coach
// and, at last, remove them from the organization: on PostgreSQL each
// moves the coach's counters by what it read, so they must wait on one
// another; the coach's counters are then gone, and a second coach's are
// exact.
func TestCoachCountersUnderConcurrentChanges(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		org := storetest.NewOrg(t, st, "Enterprise")
		leaving := newAdmin(t, st, org, "leaving@example.com", roster.ScopeAssigned)
		staying := newAdmin(t, st, org, "staying@example.com", roster.ScopeAssigned)
		var clients []*roster.Client
		for i := range 6 {
			c := newClient(org, fmt.Sprintf("c%d@example.com", i), func(c *roster.Client) {
				c.Gender, c.Age, c.PreferableActivities = ptr("male"), ptr(int64(30)), []string{"Running"}
			})
			if err := st.CreateClient(ctx, org.ID, c); err != nil {
				t.Fatal(err)
			}
			for _, coach := range []roster.Principal{leaving, staying} {
				if _, err := st.SetCoach(ctx, org.ID, c.UID, coach.AccountUID, true); err != nil {
					t.Fatal(err)
				}
			}
			clients = append(clients, c)
		}
		errs := make(chan error, 1000)
		for round := range 10 {
			// A round's changes run at once, the removal with the last.
			var wg sync.WaitGroup
			for i, c := range clients {
				wg.Go(func() {
					g, age := []string{"male", "female"}[(round+i)%2], int64(30+round%3)
					_, err := st.UpdateClient(ctx, org.ID, c.UID, roster.ClientUpdate{
						Set: roster.FieldsOf(roster.FieldGender, roster.FieldAge), ClientFields: roster.ClientFields{Gender: &g, Age: &age}})
					errs <- err
				})
				wg.Go(func() {
					_, err := st.SetCoach(ctx, org.ID, c.UID, leaving.AccountUID, round%2 == 1)
					if errors.Is(err, store.ErrCoachNotFound) {
						err = nil // the coach has left
					}
					errs <- err
				})
			}
			if round == 9 {
				wg.Go(func() { errs <- st.RemoveStaff(ctx, org.ID, leaving.AccountUID) })
			}
			wg.Wait()
		}
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		assertNoCounters(t, st, org.ID, leaving.AccountUID)
		assertCoachCounts(t, st, org, staying)
	})
}

// TestCoachCountsReadCounters checks the plan of each count of coachFilters
// that one counter, or a range of them, answers: it reads the counters'
// primary key and no client, through a coach_uid filter and through the
// scope alike.
func TestCoachCountsReadCounters(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		org := storetest.NewOrg(t, st, "Enterprise")
		coach := newAdmin(t, st, org, "coach@example.com", roster.ScopeAssigned)
		ctx := context.Background()
		for _, scoped := range []bool{false, true} {
			for _, f := range append(coachFilters(coach.AccountUID, scoped), roster.ClientFilter{CoachUID: coach.AccountUID}) {
				if len(f.Ranges) > 1 || len(f.Activities) > 1 || len(f.Ranges) == 1 && (f.Gender != "" || f.AdminUID != "") {
					continue // counted through an index, see TestRangeCountsReadOnlyAnIndex
				}
				// The scope as FilterClients and ListClients set it from ctx.
				q := roster.ClientQuery{ClientFilter: f}
				queries := st.SearchQueriesForTest(ctx, org.ID, q, 20)
				if plan := explain(t, st, queries[0].SQL, queries[0].Args); !readsCounters(st, plan) {
					t.Errorf("%s (scoped %v): the count reads more than its counters:\n%s", describe(q), scoped, plan)
				}
				if !strings.Contains(fmt.Sprint(queries[0].Args), "coach="+coach.AccountUID+"+") {
					t.Errorf("%s (scoped %v): the count reads no counter of the coach: %v", describe(q), scoped, queries[0].Args)
				}
			}
		}
	})
}

// TestCoachRangePages walks a coach's clients with a range whose matches
// are the coach's newest five and oldest ten of 80, two a page, forward
// and back, through a coach_uid filter and through the scope. On
// PostgreSQL a page reads as many of the coach's assignments as should
// hold its matches twice over, by the counts (the first pages' do), and
// all of them when those held too few (the page that reaches the oldest);
// on SQLite the walk stops by itself.
func TestCoachRangePages(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		org := storetest.NewOrg(t, st, "Enterprise")
		coach := newAdmin(t, st, org, "coach@example.com", roster.ScopeAssigned)
		var uids []string
		for i := range 80 {
			c := newClient(org, fmt.Sprintf("c%d@example.com", i), func(c *roster.Client) {
				c.CreatedBy, c.Age = coach.AccountUID, ptr(int64(50))
				c.PreferableActivities = roster.Activities[i%2 : i%2+1]
			})
			if err := st.CreateClient(store.AsStaff(ctx, coach), org.ID, c); err != nil {
				t.Fatal(err)
			}
			// The Owner's, which no page of the coach may list.
			if err := st.CreateClient(ctx, org.ID, newClient(org, fmt.Sprintf("o%d@example.com", i), func(c *roster.Client) {
				c.Age = ptr(int64(25))
			})); err != nil {
				t.Fatal(err)
			}
			uids = append(uids, c.UID)
		}
		slices.Sort(uids)
		var want, running []string // newest first; of them, the Running ones
		for i := 79; i >= 0; i-- {
			if i > 9 && i < 75 {
				continue
			}
			age := int64(25)
			if _, err := st.UpdateClient(ctx, org.ID, uids[i], roster.ClientUpdate{Set: roster.FieldsOf(roster.FieldAge),
				ClientFields: roster.ClientFields{Age: &age}}); err != nil {
				t.Fatal(err)
			}
			want = append(want, uids[i])
			if i%2 == 0 {
				running = append(running, uids[i])
			}
		}
		ranged := []roster.Range{between(roster.FieldAge, 20, 30)}
		assertAssignmentRows(t, st, org.ID)
		if st.Engine() == "postgres" {
			// Planned with statistics, as a running deployment's tables are.
			if _, err := st.DBForTest().ExecContext(ctx, "VACUUM ANALYZE clients, client_coaches"); err != nil {
				t.Fatal(err)
			}
		}
		// The walk tests the activity and the range on the assignments'
		// index, and looks up only the clients that pass.
		walk := st.RangeWalkQueryForTest(org.ID, roster.ClientFilter{Ranges: ranged, Activities: []string{"Running"},
			CoachUID: coach.AccountUID}, roster.Page{Limit: 2, After: uids[40]})
		if plan := explain(t, st, walk.SQL, walk.Args); !walksAssignments(st, plan) {
			t.Errorf("the walk does not test the assignments on client_coaches_coach alone:\n%s", plan)
		}
		for _, activities := range [][]string{nil, {"Running"}} {
			want := want
			if activities != nil {
				want = running
			}
			for _, scoped := range []bool{false, true} {
				f, ctx := roster.ClientFilter{Ranges: ranged, Activities: activities, CoachUID: coach.AccountUID}, ctx
				if scoped {
					f.CoachUID, ctx = "", store.AsStaff(ctx, coach)
				}
				what := fmt.Sprintf("scoped %v, activities %v", scoped, activities)
				forward, backward := walkPages(t, what, 2, len(want), func(p roster.Page) (roster.FilterPage, error) {
					return st.FilterClients(ctx, org.ID, f, p)
				})
				if !slices.Equal(forward, want) || !slices.Equal(backward, want) {
					t.Errorf("%s:\n forward %v\nbackward %v\n    want %v", what, forward, backward, want)
				}
			}
		}
	})
}

// assertAssignmentRows checks that each assignment of the organization's
// clients holds what it must of its client (migration 27): the bits of its
// activities, in roster.Activities' order, and its range values.
func assertAssignmentRows(t *testing.T, st *store.Store, org roster.OrgID) {
	t.Helper()
	ctx := context.Background()
	var stale int
	if err := st.DBForTest().QueryRowContext(ctx, `SELECT count(*) FROM client_coaches cc JOIN clients c ON c.id = cc.client_id
		WHERE cc.client_age IS DISTINCT FROM c.age OR cc.client_height IS DISTINCT FROM c.height
			OR cc.client_weight IS DISTINCT FROM c.weight OR cc.client_shoe_size IS DISTINCT FROM c.shoe_size`).Scan(&stale); err != nil {
		t.Fatal(err)
	}
	if stale != 0 {
		t.Errorf("%d assignments' range values differ from their clients'", stale)
	}
	rows, err := st.DBForTest().QueryContext(ctx, `SELECT cc.client_uid, cc.activity_bits FROM client_coaches cc
		JOIN clients c ON c.id = cc.client_id WHERE c.org_id = $1`, org)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	n := 0
	for ; rows.Next(); n++ {
		var uid string
		var bits int64
		if err := rows.Scan(&uid, &bits); err != nil {
			t.Fatal(err)
		}
		c, err := st.Client(ctx, org, uid)
		if err != nil {
			t.Fatal(err)
		}
		var want int64
		for _, a := range c.PreferableActivities {
			want |= 1 << slices.Index(roster.Activities, a)
		}
		if bits != want {
			t.Errorf("client %s, activities %v: assignment holds bits %b; want %b", uid, c.PreferableActivities, bits, want)
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if n == 0 {
		t.Error("no assignment")
	}
}

// walksAssignments reports whether a plan of a coach's page reads the
// coach's assignments through client_coaches_coach alone, testing the
// activity and the range there (on SQLite a covering index, on
// PostgreSQL an index-only scan), and the clients by id.
func walksAssignments(st *store.Store, plan string) bool {
	if st.Engine() == "postgres" {
		return regexp.MustCompile(`Index Only Scan (Backward )?using client_coaches_coach on client_coaches cc`).MatchString(plan) &&
			strings.Contains(plan, "(client_age >= ") && strings.Contains(plan, "(activity_bits & ") &&
			strings.Contains(plan, "Index Scan using clients_pkey on clients")
	}
	return strings.Contains(plan, "SEARCH cc USING COVERING INDEX client_coaches_coach ") &&
		strings.Contains(plan, "SEARCH clients USING INTEGER PRIMARY KEY (rowid=?)")
}
