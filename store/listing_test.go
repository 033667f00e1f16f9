package store_test

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"roster"
	"roster/store"
	"roster/store/storetest"
)

// listNames hold ties in every letter case, non-ASCII letters whose case
// only Go folds on SQLite, and the LIKE wildcards % and _.
var listNames = []string{"ana", "Ana", "ANA", "Émile", "émile", "Zoë", "zoe", "bob", "Bob", "Ça va",
	"100% pure", "snake_case", "under score", "Ångström", "Zed", "ana", "Ola", "olá", "_start", "mid%dle", "Émile", "ZED"}

// listFixture stores clients of every kind in org, and some in another
// organization, and returns the org's clients as stored.
func listFixture(t *testing.T, st *store.Store, org, other storetest.Org) []roster.Client {
	t.Helper()
	ctx := context.Background()
	if _, err := st.UpdateOrganization(ctx, org.UID, roster.OrganizationUpdate{SessionNumber: ptr(int64(1000))}); err != nil {
		t.Fatal(err)
	}
	base := time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)
	var uids []string
	for i, name := range listNames {
		c := newClient(org, fmt.Sprintf("C%d.%s@Example.com", i, map[bool]string{true: "x_y", false: "xy"}[i%5 == 0]),
			func(c *roster.Client) {
				c.DisplayName, c.Gender, c.PreferableActivities = name, ptr([]string{"male", "female"}[i%2]), []string{"Running"}
			})
		if err := st.CreateClient(ctx, org.ID, c); err != nil {
			t.Fatal(err)
		}
		// i%4 sessions, all at one of three times: ties in sessions_count
		// and last_session, and no last_session at all for every fourth.
		for range i % 4 {
			s := &roster.AnalysisSession{UID: roster.NewUID(time.Now()), Activity: "Running", Duration: 60,
				Time: base.Add(time.Duration(i%3) * time.Hour), CreatedBy: org.OwnerUID, CreatedAt: time.Now().UTC()}
			if _, err := st.RecordAnalysisSession(ctx, org.ID, c.UID, s); err != nil {
				t.Fatal(err)
			}
		}
		if i%6 == 2 {
			if err := deactivate(st, org.ID, c.UID); err != nil {
				t.Fatal(err)
			}
		}
		uids = append(uids, c.UID)
	}
	for _, name := range []string{"ana", "Émile", "100% pure"} {
		c := newClient(other, strings.ToLower(name[:1])+"@example.com", func(c *roster.Client) { c.DisplayName = name })
		if err := st.CreateClient(ctx, other.ID, c); err != nil {
			t.Fatal(err)
		}
	}
	stored := make([]roster.Client, len(uids))
	for i, uid := range uids {
		var err error
		if stored[i], err = st.Client(ctx, org.ID, uid); err != nil {
			t.Fatal(err)
		}
		stored[i].Note = nil // lists leave notes out
	}
	return stored
}

// listQueries are the selections every order is checked with.
var listQueries = []roster.ClientQuery{
	{}, {Deactivated: true}, {Search: "ANA"}, {Search: "%"}, {Search: "_"}, {Search: "ÉMILE"}, {Search: "x_y"},
	{Email: "c1.xy@EXAMPLE.com"}, {Email: "c2.xy@example.com", Deactivated: true}, {Search: "e", Deactivated: true},
	{Search: "no such client"},
}

func TestListOrdersPagesAndStreams(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		store.SetListChunkForTest(t, 3)
		org, other := storetest.NewOrg(t, st, "Pro"), storetest.NewOrg(t, st, "Pro")
		all := listFixture(t, st, org, other)
		for _, base := range listQueries {
			for _, by := range roster.ClientOrders {
				for _, asc := range []bool{true, false} {
					q := base
					q.OrderBy, q.Ascending = by, asc
					name := fmt.Sprintf("%+v", q)
					want := storetest.Listed(all, q)
					if got := streamed(t, st, org.ID, q); !slices.Equal(got, want) {
						t.Errorf("%s streamed:\n got %v\nwant %v", name, got, want)
					}
					if got := paged(t, st, org.ID, q, 4, len(want)); !slices.Equal(got, want) {
						t.Errorf("%s paged:\n got %v\nwant %v", name, got, want)
					}
				}
			}
		}
		// The clients as listed are the clients as stored.
		byUID := map[string]roster.Client{}
		for _, c := range all {
			byUID[c.UID] = c
		}
		page, err := st.ClientPage(ctx, org.ID, roster.ClientQuery{}, 0, 50)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range page.Clients {
			if !reflect.DeepEqual(c, byUID[c.UID]) {
				t.Errorf("listed %+v\nstored %+v", c, byUID[c.UID])
			}
		}
		// A page past the end is empty, with the count.
		page, err = st.ClientPage(ctx, org.ID, roster.ClientQuery{OrderBy: roster.OrderLastSession}, 1000, 10)
		if err != nil || len(page.Clients) != 0 || page.Count != int64(len(storetest.Listed(all, roster.ClientQuery{}))) {
			t.Errorf("past the end: %d clients, count %d, %v", len(page.Clients), page.Count, err)
		}
	})
}

func streamed(t *testing.T, st *store.Store, org roster.OrgID, q roster.ClientQuery) []string {
	t.Helper()
	var uids []string
	if err := st.EachClientMatching(context.Background(), org, q, func(c *roster.Client) error {
		uids = append(uids, c.UID)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return uids
}

// paged reads q page by page, checking each page's count.
func paged(t *testing.T, st *store.Store, org roster.OrgID, q roster.ClientQuery, per, want int) []string {
	t.Helper()
	var uids []string
	for offset := 0; offset == 0 || offset < want; offset += per {
		page, err := st.ClientPage(context.Background(), org, q, offset, per)
		if err != nil {
			t.Fatal(err)
		}
		if page.Count != int64(want) || len(page.Clients) != min(per, want-offset) {
			t.Fatalf("%+v at %d: count %d with %d clients; want %d", q, offset, page.Count, len(page.Clients), want)
		}
		for _, c := range page.Clients {
			uids = append(uids, c.UID)
		}
	}
	return uids
}

// TestFilterLeavesOutDeactivated checks the filter's pages and each kind of
// count: the organization's, a counter's and a counted one.
func TestFilterLeavesOutDeactivated(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		org, other := storetest.NewOrg(t, st, "Pro"), storetest.NewOrg(t, st, "Pro")
		all := listFixture(t, st, org, other)
		for _, f := range []roster.ClientFilter{
			{}, {Gender: "male"}, {Activities: []string{"Running"}}, {AdminUID: org.OwnerUID},
			{Gender: "female", Activities: []string{"Running"}},
			{From: time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC), To: time.Date(2025, 3, 2, 0, 0, 0, 0, time.UTC)},
		} {
			var want []string
			for _, c := range slices.Backward(all) {
				if c.DeactivatedAt == nil && (f.Gender == "" || *c.Gender == f.Gender) && (f.From.IsZero() || c.LastSession != nil) {
					want = append(want, c.UID)
				}
			}
			var got []string
			p := roster.Page{Limit: 5}
			for {
				page, err := st.FilterClients(ctx, org.ID, f, p)
				if err != nil {
					t.Fatal(err)
				}
				if page.Count != int64(len(want)) {
					t.Errorf("%+v: count %d, want %d", f, page.Count, len(want))
				}
				if len(page.Clients) == 0 {
					break
				}
				for _, c := range page.Clients {
					got = append(got, c.UID)
				}
				p.After = got[len(got)-1]
			}
			if !slices.Equal(got, want) {
				t.Errorf("%+v:\n got %v\nwant %v", f, got, want)
			}
		}
	})
}

func deactivate(st *store.Store, org roster.OrgID, uid string) error {
	_, err := st.SetClientActive(context.Background(), org, roster.ClientRef{UID: uid}, false)
	return err
}
