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

// importable returns n clients for an import, the i-th changed by mod.
func importable(org storetest.Org, n int, mod func(i int, c *roster.Client)) []*roster.Client {
	t := time.Now().UTC().Truncate(time.Microsecond)
	uid := roster.NewUIDs(t, n)
	out := make([]*roster.Client, n)
	for i := range out {
		c := &roster.Client{UID: uid(i), CreatedBy: org.OwnerUID, CreatedAt: t, UpdatedAt: t,
			ClientFields: roster.ClientFields{Email: fmt.Sprintf("c%d@example.com", i), DisplayName: "C"}}
		if i%2 == 0 {
			c.Gender, c.PreferableActivities = ptr("female"), []string{"Running", "Weightlifting"}
		}
		if mod != nil {
			mod(i, c)
		}
		out[i] = c
	}
	return out
}

func from(clients []*roster.Client) func() (*roster.Client, error) {
	i := 0
	return func() (*roster.Client, error) {
		i++
		return clients[i-1], nil
	}
}

func assertFilterCount(t *testing.T, st *store.Store, org storetest.Org, f roster.ClientFilter, want int64) {
	t.Helper()
	page, err := st.FilterClients(context.Background(), org.ID, f, roster.Page{Limit: 1})
	if err != nil {
		t.Fatal(err)
	}
	if page.Count != want {
		t.Errorf("count of %+v = %d, want %d", f, page.Count, want)
	}
}

// A failure at insert time, such as an email that a concurrent create took
// after validation, rolls back the chunks already written.
func TestImportIsAllOrNothing(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		org := storetest.NewOrg(t, st, "Enterprise")
		if err := st.CreateClient(ctx, org.ID, newClient(org, "taken@example.com")); err != nil {
			t.Fatal(err)
		}
		clients := importable(org, 1200, func(i int, c *roster.Client) {
			if i == 1100 {
				c.Email = "Taken@Example.com"
			}
		})
		err := st.ImportClients(ctx, org.ID, len(clients), from(clients), nil)
		if roster.KindOf(err) != roster.KindInvalid || !strings.HasPrefix(err.Error(),
			"email: a client with this email already exists: one was created while the import ran, so nothing was imported") {
			t.Fatalf("err %v, want the email's clash", err)
		}
		assertCount(t, st, org, 1)
		assertFilterCount(t, st, org, roster.ClientFilter{Gender: "female"}, 0)
		assertFilterCount(t, st, org, roster.ClientFilter{Activities: []string{"Running"}}, 0)
		if _, err := st.Client(ctx, org.ID, clients[0].UID); err != roster.ErrClientNotFound {
			t.Errorf("a row of the first chunk remains: err %v", err)
		}

		clients[1100].Email = "free@example.com"
		var progress []int
		if err := st.ImportClients(ctx, org.ID, len(clients), from(clients), func(n int) { progress = append(progress, n) }); err != nil {
			t.Fatal(err)
		}
		var want []int
		for k := 100; k <= 1200; k += 100 {
			want = append(want, k)
		}
		if !slices.Equal(progress, want) {
			t.Errorf("progress %v, want after each chunk", progress)
		}
		// The counters moved as 1,200 creates would have moved them.
		assertCount(t, st, org, 1201)
		assertFilterCount(t, st, org, roster.ClientFilter{Gender: "female"}, 600)
		assertFilterCount(t, st, org, roster.ClientFilter{Activities: []string{"Weightlifting"}}, 600)
		assertFilterCount(t, st, org, roster.ClientFilter{AdminUID: org.OwnerUID}, 1201)
		assertFilterCount(t, st, org, roster.ClientFilter{Gender: "female", Activities: []string{"Running"}}, 600)
		got, err := st.Client(ctx, org.ID, clients[2].UID)
		if err != nil || !reflect.DeepEqual(got, *clients[2]) {
			t.Errorf("imported client reads back as %+v (%v), want %+v", got, err, *clients[2])
		}
	})
}

// The plan's limit counts the whole import, before any row is written.
func TestImportPlanLimitCountsTheTotal(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		org := storetest.NewOrg(t, st, "Free")
		if err := st.ImportClients(ctx, org.ID, 20, from(importable(org, 20, nil)), nil); err != nil {
			t.Fatal(err)
		}
		six := importable(org, 6, func(i int, c *roster.Client) { c.Email = fmt.Sprintf("six%d@example.com", i) })
		err := st.ImportClients(ctx, org.ID, 6, from(six), nil)
		if roster.KindOf(err) != roster.KindLimit || err.Error() !=
			"client limit of 25 for the Free plan: the organization has 20 clients, and 6 more would exceed it" {
			t.Fatalf("err %v, want the plan's limit", err)
		}
		assertCount(t, st, org, 20)
		if err := st.ImportClients(ctx, org.ID, 5, from(six), nil); err != nil {
			t.Fatal(err)
		}
		assertCount(t, st, org, 25)
		if err := st.CreateClient(ctx, org.ID, newClient(org, "one@example.com")); err == nil ||
			err.Error() != "client limit of 25 reached for the Free plan" {
			t.Errorf("a create past the limit: err %v", err)
		}
	})
}

func TestTakenClientKeys(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		org, other := storetest.NewOrg(t, st, "Pro"), storetest.NewOrg(t, st, "Pro")
		if err := st.CreateClient(ctx, org.ID, newClient(org, "Ann@Example.com", func(c *roster.Client) { c.ExternalID = ptr("a-1") })); err != nil {
			t.Fatal(err)
		}
		if err := st.CreateClient(ctx, other.ID, newClient(other, "bob@example.com", func(c *roster.Client) { c.ExternalID = ptr("b-1") })); err != nil {
			t.Fatal(err)
		}
		keys := []string{"ann@example.com", "bob@example.com"}
		for i := range 600 { // more than one query's worth
			keys = append(keys, fmt.Sprintf("k%d@example.com", i))
		}
		emails, ids, err := st.TakenClientKeys(ctx, org.ID, keys, []string{"a-1", "A-1", "b-1"})
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(emails, map[string]bool{"ann@example.com": true}) || !reflect.DeepEqual(ids, map[string]bool{"a-1": true}) {
			t.Errorf("taken %v and %v, want only the organization's own ann@example.com and a-1", emails, ids)
		}
	})
}
