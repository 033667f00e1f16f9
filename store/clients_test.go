package store_test

import (
	"context"
	"fmt"
	"reflect"
	"sync"
	"testing"
	"time"

	"roster"
	"roster/store"
	"roster/store/storetest"
)

func newClient(org storetest.Org, email string, mod ...func(*roster.Client)) *roster.Client {
	t := time.Now().UTC().Truncate(time.Microsecond)
	c := &roster.Client{UID: roster.NewUID(t), CreatedBy: org.OwnerUID, CreatedAt: t, UpdatedAt: t,
		ClientFields: roster.ClientFields{Email: email, DisplayName: "Client " + email}}
	for _, m := range mod {
		m(c)
	}
	return c
}

func ptr[T any](v T) *T { return &v }

func TestClientRoundTrip(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		org := storetest.NewOrg(t, st, "Pro")
		c := newClient(org, "Ann@Example.com", func(c *roster.Client) {
			c.Phone, c.Age, c.Gender = ptr("932323232"), ptr(int64(23)), ptr("female")
			c.Height, c.Weight, c.YCOM, c.LegLength, c.ShoeSize = ptr(175.5), ptr(68.0), ptr(0.95), ptr(0.91), ptr(7.5)
			c.Brand, c.ShoeModel = ptr("Adidas"), ptr("UltraBoost")
			c.PreferableActivities = []string{"Running", "Weightlifting"}
			c.ProfilePhoto = "org/photo.jpg"
		})
		if err := st.CreateClient(ctx, org.ID, c); err != nil {
			t.Fatal(err)
		}
		got, err := st.Client(ctx, org.ID, c.UID)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, *c) {
			t.Errorf("stored client differs:\n got %+v\nwant %+v", got, *c)
		}
		if *got.ShoeSize != 7.5 || *got.Age != 23 || got.PreferableActivities[1] != "Weightlifting" {
			t.Errorf("values changed on the way: %+v", got)
		}

		dup := newClient(org, "ann@example.COM")
		if err := st.CreateClient(ctx, org.ID, dup); roster.KindOf(err) != roster.KindInvalid {
			t.Errorf("duplicate email (other case): err %v, want KindInvalid", err)
		}
		other := storetest.NewOrg(t, st, "Pro")
		if err := st.CreateClient(ctx, other.ID, newClient(other, "ann@example.com")); err != nil {
			t.Errorf("same email in another organization: %v", err)
		}
		if _, err := st.Client(ctx, other.ID, c.UID); err != roster.ErrClientNotFound {
			t.Errorf("other organization reads the client: err %v", err)
		}
		assertCount(t, st, org, 1)
	})
}

func assertCount(t *testing.T, st *store.Store, org storetest.Org, want int64) {
	t.Helper()
	page, err := st.FilterClients(context.Background(), org.ID, roster.ClientFilter{}, roster.Page{Limit: 1})
	if err != nil {
		t.Fatal(err)
	}
	if page.Count != want {
		t.Errorf("count = %d, want %d", page.Count, want)
	}
}

func TestUpdateAndDeleteAreScoped(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		org, other := storetest.NewOrg(t, st, "Pro"), storetest.NewOrg(t, st, "Pro")
		c := newClient(org, "a@example.com", func(c *roster.Client) {
			c.Phone, c.PreferableActivities, c.ProfilePhoto = ptr("1"), []string{"Running"}, "old.jpg"
		})
		if err := st.CreateClient(ctx, org.ID, c); err != nil {
			t.Fatal(err)
		}
		u := roster.ClientUpdate{Set: roster.FieldsOf(roster.FieldPhone, roster.FieldBrand, roster.FieldPreferableActivities),
			ClientFields: roster.ClientFields{Brand: ptr("Nike"), PreferableActivities: []string{"Mobility Assessment"}},
			Photo:        ptr("new.jpg")}
		if _, err := st.UpdateClient(ctx, other.ID, c.UID, u); err != roster.ErrClientNotFound {
			t.Fatalf("update from another organization: err %v", err)
		}
		if _, err := st.DeleteClient(ctx, other.ID, c.UID); err != roster.ErrClientNotFound {
			t.Fatalf("delete from another organization: err %v", err)
		}
		if err := st.SaveNote(ctx, other.ID, c.UID, ptr("x")); err != roster.ErrClientNotFound {
			t.Fatalf("note from another organization: err %v", err)
		}
		old, err := st.UpdateClient(ctx, org.ID, c.UID, u)
		if err != nil || old != "old.jpg" {
			t.Fatalf("update: old photo %q, err %v", old, err)
		}
		got, _ := st.Client(ctx, org.ID, c.UID)
		if got.Phone != nil || *got.Brand != "Nike" || got.DisplayName != c.DisplayName || got.ProfilePhoto != "new.jpg" ||
			len(got.PreferableActivities) != 1 || got.PreferableActivities[0] != "Mobility Assessment" {
			t.Errorf("after update: %+v", got)
		}
		page, _ := st.FilterClients(ctx, org.ID, roster.ClientFilter{Activities: []string{"Running"}}, roster.Page{Limit: 5})
		if page.Count != 0 || len(page.Clients) != 0 {
			t.Errorf("old activity still indexed: %+v", page)
		}

		if err := st.SaveNote(ctx, org.ID, c.UID, ptr("Hamstring strain")); err != nil {
			t.Fatal(err)
		}
		got, _ = st.Client(ctx, org.ID, c.UID)
		if got.Note == nil || *got.Note.Text != "Hamstring strain" || got.Note.UpdatedAt.IsZero() {
			t.Errorf("note: %+v", got.Note)
		}
		if err := st.SaveNote(ctx, org.ID, c.UID, nil); err != nil {
			t.Fatal(err)
		}
		got, _ = st.Client(ctx, org.ID, c.UID)
		if got.Note == nil || got.Note.Text != nil {
			t.Errorf("cleared note: %+v", got.Note)
		}

		photo, err := st.DeleteClient(ctx, org.ID, c.UID)
		if err != nil || photo != "new.jpg" {
			t.Fatalf("delete: photo %q, err %v", photo, err)
		}
		if _, err := st.Client(ctx, org.ID, c.UID); err != roster.ErrClientNotFound {
			t.Errorf("deleted client still readable: %v", err)
		}
		assertCount(t, st, org, 0)
	})
}

func TestClientLimitHoldsUnderConcurrency(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		org := storetest.NewOrg(t, st, "Free")
		limit := roster.PlanClientLimits["Free"]
		var wg sync.WaitGroup
		errs := make(chan error, 2*limit)
		for i := range 2 * limit {
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs <- st.CreateClient(ctx, org.ID, newClient(org, fmt.Sprintf("c%d@example.com", i)))
			}()
		}
		wg.Wait()
		close(errs)
		var ok, limited int64
		for err := range errs {
			switch roster.KindOf(err) {
			case roster.KindLimit:
				limited++
			case roster.KindInternal:
				if err != nil {
					t.Fatal(err)
				}
				ok++
			}
		}
		if ok != limit || limited != limit {
			t.Errorf("created %d and refused %d; want %d each", ok, limited, limit)
		}
		n := 0
		st.EachClientMatching(ctx, org.ID, roster.ClientQuery{}, func(*roster.Client) error { n++; return nil })
		if int64(n) != limit {
			t.Errorf("%d clients stored, want %d", n, limit)
		}
		assertCount(t, st, org, limit)
	})
}

func TestFilters(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		org, other := storetest.NewOrg(t, st, "Enterprise"), storetest.NewOrg(t, st, "Enterprise")
		day := func(d int) *time.Time { t := time.Date(2025, 7, d, 12, 0, 0, 0, time.UTC); return &t }
		mk := func(email, gender string, last *time.Time, acts ...string) string {
			c := newClient(org, email, func(c *roster.Client) {
				c.Gender, c.PreferableActivities = ptr(gender), acts
			})
			if err := st.CreateClient(ctx, org.ID, c); err != nil {
				t.Fatal(err)
			}
			if last != nil {
				if err := st.SetLastSession(ctx, org.ID, c.UID, *last); err != nil {
					t.Fatal(err)
				}
			}
			return c.UID
		}
		a := mk("a@x.io", "male", day(1), "Running")
		b := mk("b@x.io", "female", day(2), "Weightlifting", "Running")
		c := mk("c@x.io", "female", day(3))
		d := mk("d@x.io", "male", nil, "Mobility Assessment")
		if err := st.CreateClient(ctx, other.ID, newClient(other, "e@x.io", func(c *roster.Client) {
			c.Gender, c.PreferableActivities = ptr("female"), []string{"Running"}
		})); err != nil {
			t.Fatal(err)
		}
		from, to := time.Date(2025, 7, 2, 0, 0, 0, 0, time.UTC), time.Date(2025, 7, 4, 0, 0, 0, 0, time.UTC)
		tests := []struct {
			name string
			f    roster.ClientFilter
			want []string
		}{
			{"none", roster.ClientFilter{}, []string{d, c, b, a}},
			{"gender", roster.ClientFilter{Gender: "female"}, []string{c, b}},
			{"activity", roster.ClientFilter{Activities: []string{"Running"}}, []string{b, a}},
			{"any activity", roster.ClientFilter{Activities: []string{"Weightlifting", "Mobility Assessment"}}, []string{d, b}},
			{"dates", roster.ClientFilter{From: from, To: to}, []string{c, b}},
			{"from only", roster.ClientFilter{From: to}, nil},
			{"admin", roster.ClientFilter{AdminUID: org.OwnerUID, Gender: "male"}, []string{d, a}},
			{"other admin", roster.ClientFilter{AdminUID: other.OwnerUID}, nil},
		}
		for _, tt := range tests {
			page, err := st.FilterClients(ctx, org.ID, tt.f, roster.Page{Limit: 10})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, c := range page.Clients {
				got = append(got, c.UID)
			}
			if fmt.Sprint(got) != fmt.Sprint(tt.want) || page.Count != int64(len(tt.want)) {
				t.Errorf("%s: got %v (count %d), want %v", tt.name, got, page.Count, tt.want)
			}
			// Past the oldest client the page is empty, and the count is
			// still that of the whole filter.
			page, err = st.FilterClients(ctx, org.ID, tt.f, roster.Page{Limit: 10, After: a})
			if err != nil {
				t.Fatal(err)
			}
			if len(page.Clients) != 0 || page.Count != int64(len(tt.want)) {
				t.Errorf("%s past the end: %d clients, count %d; want none, count %d", tt.name, len(page.Clients), page.Count, len(tt.want))
			}
		}
	})
}

// TestPagingVisitsEachClientOnce pages through 1,000 clients forward and
// back while more are being added, and checks that every client that
// existed at the start is seen exactly once each way.
func TestPagingVisitsEachClientOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		org := storetest.NewOrg(t, st, "Enterprise")
		const n = 1000
		want := map[string]bool{}
		for i := range n {
			c := newClient(org, fmt.Sprintf("p%d@example.com", i))
			if err := st.CreateClient(ctx, org.ID, c); err != nil {
				t.Fatal(err)
			}
			want[c.UID] = true
		}
		added := 0
		addOne := func() {
			added++
			if err := st.CreateClient(ctx, org.ID, newClient(org, fmt.Sprintf("new%d@example.com", added))); err != nil {
				t.Fatal(err)
			}
		}
		seen := map[string]int{}
		var first, last string
		page := roster.Page{Limit: 37}
		for {
			p, err := st.FilterClients(ctx, org.ID, roster.ClientFilter{}, page)
			if err != nil {
				t.Fatal(err)
			}
			if len(p.Clients) == 0 {
				break
			}
			if first == "" {
				first = p.Clients[0].UID
			}
			for _, c := range p.Clients {
				seen[c.UID]++
			}
			last = p.Clients[len(p.Clients)-1].UID
			page.After = last
			addOne()
		}
		checkSeen(t, "forward", seen, want)
		seen = map[string]int{}
		page = roster.Page{Limit: 41, Before: last}
		seen[last]++
		for {
			p, err := st.FilterClients(ctx, org.ID, roster.ClientFilter{}, page)
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range p.Clients {
				if c.UID > first { // added during the walk: newer than the first page
					continue
				}
				seen[c.UID]++
			}
			if len(p.Clients) < page.Limit {
				break
			}
			page.Before = p.Clients[0].UID
			addOne()
		}
		checkSeen(t, "backward", seen, want)

		// The streamed list reads in chunks of 500: across their edges it
		// must list every client once, newest first.
		var listed []string
		if err := st.EachClientMatching(ctx, org.ID, roster.ClientQuery{}, func(c *roster.Client) error {
			listed = append(listed, c.UID)
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		if len(listed) != n+added {
			t.Errorf("listed %d clients, want %d", len(listed), n+added)
		}
		for i := 1; i < len(listed); i++ {
			if listed[i] >= listed[i-1] {
				t.Fatalf("list out of order at %d: %s after %s", i, listed[i], listed[i-1])
			}
		}
	})
}

func checkSeen(t *testing.T, dir string, seen map[string]int, want map[string]bool) {
	t.Helper()
	for uid := range want {
		if seen[uid] != 1 {
			t.Errorf("%s: client %s seen %d times", dir, uid, seen[uid])
		}
	}
	for uid := range seen {
		if !want[uid] {
			t.Errorf("%s: client %s was added during the walk but listed", dir, uid)
		}
	}
}

// TestConcurrentWritesFailAlone runs creates that succeed and creates that
// fail (duplicate emails) at once, so that on SQLite they share batches:
// each failure must leave nothing behind and take no success with it.
func TestConcurrentWritesFailAlone(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		org := storetest.NewOrg(t, st, "Enterprise")
		const n = 60
		var wg sync.WaitGroup
		errs := make([]error, n)
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs[i] = st.CreateClient(ctx, org.ID, newClient(org, fmt.Sprintf("c%d@example.com", i%(n/2)), func(c *roster.Client) {
					c.PreferableActivities = []string{"Running"}
				}))
			}()
		}
		wg.Wait()
		failed := 0
		for _, err := range errs {
			if err != nil {
				if roster.KindOf(err) != roster.KindInvalid {
					t.Fatalf("unexpected error: %v", err)
				}
				failed++
			}
		}
		if failed != n/2 {
			t.Errorf("%d creates failed, want %d", failed, n/2)
		}
		assertCount(t, st, org, n/2)
		page, err := st.FilterClients(ctx, org.ID, roster.ClientFilter{Activities: []string{"Running"}}, roster.Page{Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		if page.Count != n/2 || len(page.Clients) != n/2 {
			t.Errorf("activity rows: count %d, %d clients; want %d (a failed create left rows behind)", page.Count, len(page.Clients), n/2)
		}
	})
}

// TestCountersFollowChanges checks, after creates, updates and deletes,
// that every count answered from a counter equals the clients listed.
func TestCountersFollowChanges(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		org := storetest.NewOrg(t, st, "Enterprise")
		var uids []string
		for i := range 24 {
			c := newClient(org, fmt.Sprintf("k%d@example.com", i), func(c *roster.Client) {
				if i%3 != 0 {
					c.Gender = ptr([]string{"male", "female"}[i%2])
				}
				c.PreferableActivities = roster.Activities[:i%4]
			})
			if err := st.CreateClient(ctx, org.ID, c); err != nil {
				t.Fatal(err)
			}
			uids = append(uids, c.UID)
		}
		for i, uid := range uids {
			switch i % 4 {
			case 0:
				if _, err := st.DeleteClient(ctx, org.ID, uid); err != nil {
					t.Fatal(err)
				}
			case 1:
				u := roster.ClientUpdate{Set: roster.FieldsOf(roster.FieldGender, roster.FieldPreferableActivities),
					ClientFields: roster.ClientFields{Gender: ptr("female"), PreferableActivities: []string{"Running", "Weightlifting"}}}
				if _, err := st.UpdateClient(ctx, org.ID, uid, u); err != nil {
					t.Fatal(err)
				}
			case 2:
				u := roster.ClientUpdate{Set: roster.FieldsOf(roster.FieldGender)} // cleared
				if _, err := st.UpdateClient(ctx, org.ID, uid, u); err != nil {
					t.Fatal(err)
				}
			}
		}
		assertFilterCounts(t, st, org)
	})
}

// assertFilterCounts checks that the count of each filter a counter
// answers is the number of clients the filter lists.
func assertFilterCounts(t *testing.T, st *store.Store, org storetest.Org) {
	t.Helper()
	// Each filter on creator, gender and activity, alone and combined:
	// each has a counter of its own (migration 15).
	var filters []roster.ClientFilter
	for _, admin := range []string{"", org.OwnerUID} {
		for _, gender := range []string{"", "male", "female"} {
			for _, a := range append([]string{""}, roster.Activities...) {
				f := roster.ClientFilter{AdminUID: admin, Gender: gender}
				if a != "" {
					f.Activities = []string{a}
				}
				filters = append(filters, f)
			}
		}
	}
	// A range of ages alone and with each activity: counters per value
	// (migration 24).
	for _, r := range []roster.Range{between(roster.FieldAge, 20, 20), between(roster.FieldAge, 20, 21), between(roster.FieldAge, 21, open)} {
		for _, a := range append([]string{""}, roster.Activities...) {
			f := roster.ClientFilter{Ranges: []roster.Range{r}}
			if a != "" {
				f.Activities = []string{a}
			}
			filters = append(filters, f)
		}
	}
	for _, f := range filters {
		page, err := st.FilterClients(context.Background(), org.ID, f, roster.Page{Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		if page.Count != int64(len(page.Clients)) {
			t.Errorf("filter %+v: count %d, but %d clients listed", f, page.Count, len(page.Clients))
		}
	}
}

// TestCountersStayExactUnderConcurrentWrites creates 50 clients of an
// unlimited plan at once, deleting and deactivating some as they come: on
// PostgreSQL the writes spread over the counters' slots, which must still
// sum to what the filters list.
func TestCountersStayExactUnderConcurrentWrites(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		org := storetest.NewOrg(t, st, "Enterprise")
		var wg sync.WaitGroup
		for i := range 50 {
			wg.Go(func() {
				c := newClient(org, fmt.Sprintf("s%d@example.com", i), func(c *roster.Client) {
					c.Gender = ptr([]string{"male", "female"}[i%2])
					c.PreferableActivities = roster.Activities[:i%3]
					c.Age = ptr(int64(20 + i%3))
				})
				err := st.CreateClient(ctx, org.ID, c)
				switch {
				case err == nil && i%5 == 0:
					_, err = st.DeleteClient(ctx, org.ID, c.UID)
				case err == nil && i%5 == 1:
					_, err = st.SetClientActive(ctx, org.ID, roster.ClientRef{UID: c.UID}, false)
				}
				if err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		assertFilterCounts(t, st, org)
		assertCount(t, st, org, 30)
	})
}

// TestConcurrentUpdatesKeepCounters updates two clients concurrently from
// (male, Weightlifting) to (female, Running) and back, and between ages 30
// and 31 the other way round, while other clients are created as (male,
// Running, 30): counters are locked in one order, so no transaction
// deadlocks (on PostgreSQL a decrement picks its slot as it goes), and rows
// are locked, so counters do not drift.
func TestConcurrentUpdatesKeepCounters(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		org := storetest.NewOrg(t, st, "Enterprise")
		// Two clients whose ages move the other way round: each update
		// takes one client from the counters of one age and adds it to
		// those of the other.
		var flips []*roster.Client
		for i, email := range []string{"flip@example.com", "flop@example.com"} {
			c := newClient(org, email, func(c *roster.Client) {
				c.Gender, c.PreferableActivities, c.Age = ptr("male"), []string{"Weightlifting"}, ptr(int64(30+i))
			})
			if err := st.CreateClient(ctx, org.ID, c); err != nil {
				t.Fatal(err)
			}
			flips = append(flips, c)
		}
		var wg sync.WaitGroup
		errs := make(chan error, 120)
		for i := range 40 {
			wg.Add(3)
			for j, c := range flips {
				go func() {
					defer wg.Done()
					g, a := "female", "Running"
					if i%2 == 1 {
						g, a = "male", "Weightlifting"
					}
					age := int64(30 + (i+j+1)%2)
					_, err := st.UpdateClient(ctx, org.ID, c.UID, roster.ClientUpdate{
						Set:          roster.FieldsOf(roster.FieldGender, roster.FieldPreferableActivities, roster.FieldAge),
						ClientFields: roster.ClientFields{Gender: &g, PreferableActivities: []string{a}, Age: &age}})
					errs <- err
				}()
			}
			go func() {
				defer wg.Done()
				errs <- st.CreateClient(ctx, org.ID, newClient(org, fmt.Sprintf("r%d@example.com", i), func(c *roster.Client) {
					c.Gender, c.PreferableActivities, c.Age = ptr("male"), []string{"Running"}, ptr(int64(30))
				}))
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		for _, f := range []roster.ClientFilter{{Gender: "male"}, {Gender: "female"},
			{Activities: []string{"Running"}}, {Activities: []string{"Weightlifting"}},
			{Ranges: []roster.Range{between(roster.FieldAge, 30, 30)}}, {Ranges: []roster.Range{between(roster.FieldAge, 31, 31)}},
			{Ranges: []roster.Range{between(roster.FieldAge, 30, 31)}, Activities: []string{"Running"}}} {
			page, err := st.FilterClients(ctx, org.ID, f, roster.Page{Limit: 100})
			if err != nil {
				t.Fatal(err)
			}
			if page.Count != int64(len(page.Clients)) {
				t.Errorf("filter %s: count %d, %d clients listed", describe(roster.ClientQuery{ClientFilter: f}), page.Count, len(page.Clients))
			}
		}
	})
}
