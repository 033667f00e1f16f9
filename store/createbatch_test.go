package store_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"roster"
	"roster/store"
	"roster/store/storetest"
)

// TestCreatesTogether writes creates of two organizations in one batch:
// those whose email or external id is taken (by an earlier client or by
// another create of the batch) are refused as a create of their own would
// be, and the others are stored with their activities, counters and audit
// entries, each with its own actor.
func TestCreatesTogether(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		a, b := storetest.NewOrg(t, st, "Enterprise"), storetest.NewOrg(t, st, "Pro")
		if err := st.CreateClient(ctx, a.ID, newClient(a, "taken@example.com")); err != nil {
			t.Fatal(err)
		}
		as := func(who string) context.Context {
			return roster.WithActor(ctx, roster.Actor{UID: who, Kind: "account"})
		}
		running := func(c *roster.Client) { c.PreferableActivities = []string{"Running"} }
		creates := []store.NewCreate{
			{as("ann"), a.ID, newClient(a, "one@example.com", running)},
			{as("bob"), a.ID, newClient(a, "taken@example.com")},
			{as("ann"), b.ID, newClient(b, "taken@example.com", running)}, // another organization's clients don't count
			{as("ann"), a.ID, newClient(a, "twice@example.com")},
			{as("bob"), a.ID, newClient(a, "twice@example.com")},
			{as("bob"), a.ID, newClient(a, "x1@example.com", func(c *roster.Client) { c.ExternalID = ptr("E1") })},
			{as("bob"), a.ID, newClient(a, "x2@example.com", func(c *roster.Client) { c.ExternalID = ptr("E1") })},
		}
		errs := st.CreateTogether(creates...)
		want := []string{"", "email", "", "", "email", "", "external_id"}
		for i, err := range errs {
			var e *roster.Error
			switch {
			case want[i] == "" && err != nil:
				t.Errorf("create %d: %v", i, err)
			case want[i] != "" && !(errors.As(err, &e) && e.Field == want[i]):
				t.Errorf("create %d: got %v, want an error on %s", i, err, want[i])
			}
		}
		assertCount(t, st, a, 4)
		assertCount(t, st, b, 1)
		assertFilterCounts(t, st, a)
		assertFilterCounts(t, st, b)
		for i, c := range creates {
			entries, err := st.AuditLog(ctx, c.Org, roster.AuditFilter{ObjectUID: c.C.UID, Limit: 10})
			if err != nil {
				t.Fatal(err)
			}
			switch {
			case want[i] != "" && len(entries) != 0:
				t.Errorf("create %d was refused but audited: %+v", i, entries)
			case want[i] == "" && (len(entries) != 1 || entries[0].Action != "client.create" ||
				entries[0].Actor.UID != roster.ActorFrom(c.Ctx).UID):
				t.Errorf("create %d: audit entries %+v, want one client.create by %s", i, entries, roster.ActorFrom(c.Ctx).UID)
			}
		}
	})
}

// TestCreatesTogetherPastTheLimit sends a batch that would take a limited
// plan past its limit: the batch is undone and its creates run alone, so
// the plan is filled exactly and the others are stored.
func TestCreatesTogetherPastTheLimit(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		free, other := storetest.NewOrg(t, st, "Free"), storetest.NewOrg(t, st, "Enterprise")
		limit := roster.PlanClientLimits["Free"]
		for i := range limit - 1 {
			if err := st.CreateClient(ctx, free.ID, newClient(free, fmt.Sprintf("f%d@example.com", i))); err != nil {
				t.Fatal(err)
			}
		}
		errs := st.CreateTogether(
			store.NewCreate{Ctx: ctx, Org: free.ID, C: newClient(free, "last@example.com")},
			store.NewCreate{Ctx: ctx, Org: other.ID, C: newClient(other, "o1@example.com")},
			store.NewCreate{Ctx: ctx, Org: free.ID, C: newClient(free, "over@example.com")},
			store.NewCreate{Ctx: ctx, Org: other.ID, C: newClient(other, "o2@example.com")},
		)
		if errs[0] != nil || errs[1] != nil || errs[3] != nil {
			t.Errorf("creates within the limit refused: %v", errs)
		}
		if roster.KindOf(errs[2]) != roster.KindLimit {
			t.Errorf("the create past the limit: %v, want the plan's limit", errs[2])
		}
		assertCount(t, st, free, limit)
		assertCount(t, st, other, 2)
	})
}

// TestCreatesTogetherFailingWhole sends a batch in which one create fails
// the batch's transaction (a client listing one activity twice): nothing
// of the batch stays, its creates run alone, and only that one fails,
// leaving no row, counter or audit entry; a create whose email is taken
// is refused and leaves no activity behind.
func TestCreatesTogetherFailingWhole(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		org := storetest.NewOrg(t, st, "Enterprise")
		if err := st.CreateClient(ctx, org.ID, newClient(org, "taken@example.com")); err != nil {
			t.Fatal(err)
		}
		running := func(c *roster.Client) { c.PreferableActivities = []string{"Running"} }
		twice := func(c *roster.Client) { c.PreferableActivities = []string{"Running", "Running"} }
		creates := []store.NewCreate{
			{ctx, org.ID, newClient(org, "one@example.com", running)},
			{ctx, org.ID, newClient(org, "twice@example.com", twice)},
			{ctx, org.ID, newClient(org, "taken@example.com", running)},
			{ctx, org.ID, newClient(org, "two@example.com", running)},
		}
		errs := st.CreateTogether(creates...)
		var e *roster.Error
		switch {
		case errs[0] != nil || errs[3] != nil:
			t.Errorf("creates beside the failing one: %v", errs)
		case errs[1] == nil || errors.As(errs[1], &e):
			t.Errorf("the client with an activity twice: %v, want the database's error", errs[1])
		case !errors.As(errs[2], &e) || e.Field != "email":
			t.Errorf("the taken email: %v, want an error on email", errs[2])
		}
		assertCount(t, st, org, 3)
		assertFilterCounts(t, st, org)
		page, err := st.FilterClients(ctx, org.ID, roster.ClientFilter{Activities: []string{"Running"}}, roster.Page{Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		if page.Count != 2 {
			t.Errorf("%d clients run, want 2", page.Count)
		}
		for i, c := range creates {
			_, err := st.Client(ctx, org.ID, c.C.UID)
			entries, aerr := st.AuditLog(ctx, org.ID, roster.AuditFilter{ObjectUID: c.C.UID, Limit: 10})
			if aerr != nil {
				t.Fatal(aerr)
			}
			stored := errs[i] == nil
			if (err == nil) != stored || (len(entries) == 1) != stored || len(entries) > 1 {
				t.Errorf("create %d (error %v): read %v, %d audit entries", i, errs[i], err, len(entries))
			}
		}
	})
}
