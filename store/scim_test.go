package store_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"roster"
	"roster/clocktest"
	"roster/scim"
	"roster/store"
	"roster/store/storetest"
)

// TestIfVersion checks that a client's update, deactivation and deletion
// under IfVersion happen only on that version, and change nothing
// otherwise.
func TestIfVersion(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		clock := clocktest.NewClock()
		st.SetClock(clock.Now)
		ctx := context.Background()
		org := storetest.NewOrg(t, st, "Pro")
		c := newClient(org, "ann@example.com")
		if err := st.CreateClient(ctx, org.ID, c); err != nil {
			t.Fatal(err)
		}
		old := c.UpdatedAt.Add(-time.Second)
		stale := store.IfVersion(ctx, old)
		rename := roster.ClientUpdate{ClientFields: roster.ClientFields{DisplayName: "Renamed"}, Set: roster.FieldsOf(roster.FieldDisplayName)}
		if _, err := st.UpdateClient(stale, org.ID, c.UID, rename); !errors.Is(err, roster.ErrVersionChanged) {
			t.Errorf("update on a stale version: %v", err)
		}
		if _, err := st.SetClientActive(stale, org.ID, roster.ClientRef{UID: c.UID}, false); !errors.Is(err, roster.ErrVersionChanged) {
			t.Errorf("deactivation on a stale version: %v", err)
		}
		if _, err := st.DeleteClient(stale, org.ID, c.UID); !errors.Is(err, roster.ErrVersionChanged) {
			t.Errorf("delete on a stale version: %v", err)
		}
		got, err := st.Client(ctx, org.ID, c.UID)
		if err != nil || got.DisplayName != c.DisplayName || got.DeactivatedAt != nil || !got.UpdatedAt.Equal(c.UpdatedAt) {
			t.Fatalf("changed on a stale version: %+v, %v", got, err)
		}
		if _, err := st.UpdateClient(store.IfVersion(ctx, got.UpdatedAt), org.ID, c.UID, rename); err != nil {
			t.Fatalf("update on the current version: %v", err)
		}
		if _, err := st.UpdateClient(store.IfVersion(ctx, got.UpdatedAt), org.ID, "00000000000000000000", rename); !errors.Is(err, roster.ErrClientNotFound) {
			t.Errorf("an unknown client under a version: %v, want not found", err)
		}
		clock.Advance(time.Second)
		renamed, _ := st.Client(ctx, org.ID, c.UID)
		if _, err := st.DeleteClient(store.IfVersion(ctx, renamed.UpdatedAt), org.ID, c.UID); err != nil {
			t.Errorf("delete on the current version: %v", err)
		}
	})
}

// TestSCIMQuery lists clients by a filter tree, sorted and paged, on both
// engines, and never another organization's.
func TestSCIMQuery(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		org, other := storetest.NewOrg(t, st, "Pro"), storetest.NewOrg(t, st, "Pro")
		for _, email := range []string{"Cleo@example.com", "ann@example.com", "bob_1@example.com", "bob%2@example.com"} {
			if err := st.CreateClient(ctx, org.ID, newClient(org, email, func(c *roster.Client) { c.ExternalID = ptr("X-" + email) })); err != nil {
				t.Fatal(err)
			}
		}
		if err := st.CreateClient(ctx, other.ID, newClient(other, "ann2@example.com")); err != nil {
			t.Fatal(err)
		}
		list := func(filter string, sort scim.Sort, start, count int) ([]string, int64) {
			t.Helper()
			var cond *scim.Cond
			if filter != "" {
				var err error
				if cond, err = scim.ParseFilter(filter); err != nil {
					t.Fatal(err)
				}
			}
			page, err := st.SCIMUsers(ctx, org.ID, cond, sort, start, count)
			if err != nil {
				t.Fatal(err)
			}
			var emails []string
			for _, c := range page.Clients {
				emails = append(emails, c.Email)
			}
			return emails, page.Count
		}
		byName := scim.Sort{Attr: scim.AttrUserName}
		tests := []struct {
			filter string
			want   []string
		}{
			{`userName co "ann"`, []string{"ann@example.com"}},
			{`userName co "_"`, []string{"bob_1@example.com"}}, // LIKE's wildcards stand for themselves
			{`userName sw "BOB%"`, []string{"bob%2@example.com"}},
			{`userName eq "cleo@EXAMPLE.com"`, []string{"Cleo@example.com"}},
			{`externalId sw "x-"`, nil}, // case-exact
			{`externalId ew "@example.com" and not (userName sw "b")`, []string{"ann@example.com", "Cleo@example.com"}},
			// The zero time is a time, not an absent one (NULL).
			{`meta.lastModified gt "0001-01-01T00:00:00Z"`, []string{"ann@example.com", "bob%2@example.com", "bob_1@example.com", "Cleo@example.com"}},
			{`meta.created le "0001-01-01T00:00:00Z"`, nil},
		}
		for _, tt := range tests {
			if got, n := list(tt.filter, byName, 1, 100); !slices.Equal(got, tt.want) || n != int64(len(tt.want)) {
				t.Errorf("%s: %v (%d), want %v", tt.filter, got, n, tt.want)
			}
		}
		if got, n := list("", scim.Sort{Attr: scim.AttrUserName, Descending: true}, 2, 2); n != 4 ||
			!slices.Equal(got, []string{"bob_1@example.com", "bob%2@example.com"}) {
			t.Errorf("second page descending: %v (%d)", got, n)
		}
		if got, n := list("", byName, 1, 0); n != 4 || got != nil {
			t.Errorf("count only: %v (%d)", got, n)
		}
		if got, n := list("", byName, 9, 10); n != 4 || got != nil {
			t.Errorf("past the end: %v (%d)", got, n)
		}
	})
}

// tally is what the counters say of an organization, each checked against
// the clients listed: the filter page's count of all its active clients,
// of those of one creator, one gender and activity, one coach's (from the
// assignments' counted flags), the deactivated list's count, and the count
// of every client (SCIM's, from the total counter the plan limit reads).
type tally struct{ active, byCreator, byGender, byCoach, deactivated, total int64 }

// tallyOf reads the tally of org, whose coach is an Admin with scope
// assigned, for gender and Running.
func tallyOf(t *testing.T, st *store.Store, org storetest.Org, coach roster.Principal, gender string) tally {
	t.Helper()
	ctx := context.Background()
	filter := func(f roster.ClientFilter) int64 {
		t.Helper()
		page, err := st.FilterClients(ctx, org.ID, f, roster.Page{Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		if page.Count != int64(len(page.Clients)) {
			t.Errorf("filter %+v: count %d, but %d clients listed", f, page.Count, len(page.Clients))
		}
		return page.Count
	}
	var n tally
	n.active = filter(roster.ClientFilter{})
	n.byCreator = filter(roster.ClientFilter{AdminUID: coach.AccountUID})
	n.byGender = filter(roster.ClientFilter{Gender: gender, Activities: []string{"Running"}})
	uids, byCoach := scopedUIDs(t, st, coach, roster.ClientFilter{})
	if byCoach != int64(len(uids)) {
		t.Errorf("coach's page: count %d, but %d clients listed", byCoach, len(uids))
	}
	n.byCoach = byCoach
	page, err := st.ClientPage(ctx, org.ID, roster.ClientQuery{Deactivated: true}, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	if page.Count != int64(len(page.Clients)) {
		t.Errorf("deactivated list: count %d, but %d clients listed", page.Count, len(page.Clients))
	}
	n.deactivated = page.Count
	all, err := st.SCIMUsers(ctx, org.ID, nil, scim.Sort{}, 1, 100)
	if err != nil {
		t.Fatal(err)
	}
	if all.Count != int64(len(all.Clients)) {
		t.Errorf("all clients: count %d, but %d clients listed", all.Count, len(all.Clients))
	}
	n.total = all.Count
	return n
}

// trail is what a client's changes left: its audit entries' actions, and
// the types of the events queued for the organization's endpoint hook,
// both sorted.
func trail(t *testing.T, st *store.Store, org storetest.Org, hook, uid string) (actions, events []string) {
	t.Helper()
	ctx := context.Background()
	entries, err := st.AuditLog(ctx, org.ID, roster.AuditFilter{ObjectUID: uid, Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		actions = append(actions, e.Action)
	}
	deliveries, err := st.WebhookDeliveries(ctx, org.ID, hook, "", 100)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range deliveries {
		events = append(events, d.Type)
	}
	slices.Sort(actions)
	slices.Sort(events)
	return actions, events
}

// scimOrg is an organization with an Admin of scope assigned, who creates
// the tests' clients (as their caller, so that they are assigned to
// them), and an endpoint for every event; it returns the Admin and the
// endpoint's uid.
func scimOrg(t *testing.T, st *store.Store) (storetest.Org, roster.Principal, string) {
	t.Helper()
	org := storetest.NewOrg(t, st, "Pro")
	coach := newAdmin(t, st, org, "coach@example.com", roster.ScopeAssigned)
	hook := roster.Webhook{UID: roster.NewUID(time.Now()), URL: "https://example.com/all", Events: []string{roster.EventAll}}
	if _, err := st.CreateWebhook(context.Background(), org.ID, hook, "sealed"); err != nil {
		t.Fatal(err)
	}
	return org, coach, hook.UID
}

// TestCreateDeactivated: a client created deactivated (SCIM's POST with
// active false) is one transaction that leaves exactly one deactivated
// client, counted as such by every counter and by its coach's assignment,
// with the audit entries and events of a create and a deactivation; its
// reactivation then counts it as active.
func TestCreateDeactivated(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		org, coach, hook := scimOrg(t, st)
		c := newClient(org, "ann@example.com", func(c *roster.Client) {
			c.CreatedBy, c.Gender, c.PreferableActivities = coach.AccountUID, ptr("female"), []string{"Running"}
			at := c.CreatedAt
			c.DeactivatedAt = &at
		})
		if err := st.CreateClient(store.AsStaff(ctx, coach), org.ID, c); err != nil {
			t.Fatal(err)
		}
		got, err := st.Client(ctx, org.ID, c.UID)
		if err != nil || got.DeactivatedAt == nil || !got.DeactivatedAt.Equal(c.CreatedAt) || !got.UpdatedAt.Equal(c.UpdatedAt) ||
			!got.UpdatedAt.Equal(c.CreatedAt) {
			t.Fatalf("stored %+v, %v", got, err)
		}
		if n := tallyOf(t, st, org, coach, "female"); n != (tally{deactivated: 1, total: 1}) {
			t.Errorf("created deactivated: %+v", n)
		}
		actions, events := trail(t, st, org, hook, c.UID)
		if !slices.Equal(actions, []string{"client.create", "client.deactivate"}) ||
			!slices.Equal(events, []string{roster.EventClientCreated, roster.EventClientDeactivated}) {
			t.Errorf("audit %v, events %v", actions, events)
		}
		// A taken email refuses a deactivated create as an active one, and
		// leaves nothing of it.
		twin := newClient(org, "ANN@example.com", func(c *roster.Client) {
			at := c.CreatedAt
			c.DeactivatedAt = &at
		})
		if err := st.CreateClient(ctx, org.ID, twin); roster.KindOf(err) != roster.KindInvalid {
			t.Errorf("a deactivated create with a taken email: %v", err)
		}
		if n := tallyOf(t, st, org, coach, "female"); n != (tally{deactivated: 1, total: 1}) {
			t.Errorf("after the refused create: %+v", n)
		}
		if actions, _ := trail(t, st, org, hook, twin.UID); len(actions) != 0 {
			t.Errorf("the refused create left %v", actions)
		}

		if _, err := st.SetClientActive(ctx, org.ID, roster.ClientRef{UID: c.UID}, true); err != nil {
			t.Fatal(err)
		}
		if n := tallyOf(t, st, org, coach, "female"); n != (tally{active: 1, byCreator: 1, byGender: 1, byCoach: 1, total: 1}) {
			t.Errorf("reactivated: %+v", n)
		}
		assertFilterCounts(t, st, org)
	})
}

// TestCreateDeactivatedWithinLimit: a deactivated create takes a place of
// the plan as an active one does, and is refused when none is left.
func TestCreateDeactivatedWithinLimit(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		org := storetest.NewOrg(t, st, "Free")
		for i := range roster.PlanClientLimits["Free"] {
			c := newClient(org, roster.NewUID(time.Now())+"@example.com")
			if i%2 == 0 {
				at := c.CreatedAt
				c.DeactivatedAt = &at
			}
			if err := st.CreateClient(ctx, org.ID, c); err != nil {
				t.Fatal(err)
			}
		}
		over := newClient(org, "over@example.com")
		at := over.CreatedAt
		over.DeactivatedAt = &at
		if err := st.CreateClient(ctx, org.ID, over); roster.KindOf(err) != roster.KindLimit {
			t.Errorf("over the limit: %v", err)
		}
		if _, err := st.Client(ctx, org.ID, over.UID); !errors.Is(err, roster.ErrClientNotFound) {
			t.Errorf("the refused client: %v", err)
		}
	})
}

// TestUpdateWithActive: an update that carries a change of state (SCIM's
// PUT and PATCH) makes both in one transaction, on one version: a stale
// version, another organization, or a failure of the state's write
// changes nothing at all; made, it leaves the fields, state, counters,
// audit entries and events of an update and a deactivation, or a
// reactivation.
func TestUpdateWithActive(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		clock := clocktest.NewClock()
		st.SetClock(clock.Now)
		ctx := context.Background()
		org, coach, hook := scimOrg(t, st)
		other := storetest.NewOrg(t, st, "Pro")
		c := newClient(org, "ann@example.com", func(c *roster.Client) {
			c.CreatedBy, c.Gender, c.PreferableActivities = coach.AccountUID, ptr("male"), []string{"Running"}
		})
		if err := st.CreateClient(store.AsStaff(ctx, coach), org.ID, c); err != nil {
			t.Fatal(err)
		}
		created, err := st.Client(ctx, org.ID, c.UID)
		if err != nil {
			t.Fatal(err)
		}
		activeTally := tally{active: 1, byCreator: 1, byGender: 1, byCoach: 1, total: 1}
		deactivate := roster.ClientUpdate{ClientFields: roster.ClientFields{DisplayName: "Ann B.", Gender: ptr("female")},
			Set: roster.FieldsOf(roster.FieldDisplayName, roster.FieldGender), Active: ptr(false)}
		unchanged := func(when string) {
			t.Helper()
			got, err := st.Client(ctx, org.ID, c.UID)
			if err != nil || got.DisplayName != created.DisplayName || *got.Gender != "male" || got.DeactivatedAt != nil ||
				!got.UpdatedAt.Equal(created.UpdatedAt) {
				t.Errorf("%s: stored %+v, %v", when, got, err)
			}
			if n := tallyOf(t, st, org, coach, "male"); n != activeTally {
				t.Errorf("%s: %+v", when, n)
			}
			actions, events := trail(t, st, org, hook, c.UID)
			if !slices.Equal(actions, []string{"client.create"}) || !slices.Equal(events, []string{roster.EventClientCreated}) {
				t.Errorf("%s: audit %v, events %v", when, actions, events)
			}
		}
		clock.Advance(time.Second)
		stale := store.IfVersion(ctx, created.UpdatedAt.Add(-time.Second))
		if _, err := st.UpdateClient(stale, org.ID, c.UID, deactivate); !errors.Is(err, roster.ErrVersionChanged) {
			t.Errorf("on a stale version: %v", err)
		}
		unchanged("a stale version")
		if _, err := st.UpdateClient(ctx, other.ID, c.UID, deactivate); !errors.Is(err, roster.ErrClientNotFound) {
			t.Errorf("as another organization: %v", err)
		}
		unchanged("another organization")
		t.Run("refused", func(t *testing.T) { // the trigger is dropped at its end
			storetest.RefuseDeactivation(t, st.DB(), st.Engine())
			if _, err := st.UpdateClient(ctx, org.ID, c.UID, deactivate); err == nil {
				t.Error("the database refused the deactivation, and the update succeeded")
			}
		})
		unchanged("a refused deactivation")

		if _, err := st.UpdateClient(store.IfVersion(ctx, created.UpdatedAt), org.ID, c.UID, deactivate); err != nil {
			t.Fatal(err)
		}
		got, err := st.Client(ctx, org.ID, c.UID)
		if err != nil || got.DisplayName != "Ann B." || *got.Gender != "female" || got.DeactivatedAt == nil ||
			!got.DeactivatedAt.Equal(clock.Now()) || !got.UpdatedAt.Equal(clock.Now()) {
			t.Errorf("updated and deactivated: %+v, %v", got, err)
		}
		if n := tallyOf(t, st, org, coach, "female"); n != (tally{deactivated: 1, total: 1}) {
			t.Errorf("updated and deactivated: %+v", n)
		}
		actions, events := trail(t, st, org, hook, c.UID)
		if !slices.Equal(actions, []string{"client.create", "client.deactivate", "client.update"}) ||
			!slices.Equal(events, []string{roster.EventClientCreated, roster.EventClientDeactivated, roster.EventClientUpdated}) {
			t.Errorf("updated and deactivated: audit %v, events %v", actions, events)
		}

		// Active as it already is changes the fields only.
		clock.Advance(time.Second)
		rename := roster.ClientUpdate{ClientFields: roster.ClientFields{DisplayName: "Ann C."}, Set: roster.FieldsOf(roster.FieldDisplayName),
			Active: ptr(false)}
		if _, err := st.UpdateClient(ctx, org.ID, c.UID, rename); err != nil {
			t.Fatal(err)
		}
		if actions, _ := trail(t, st, org, hook, c.UID); len(actions) != 4 || actions[3] != "client.update" {
			t.Errorf("renamed, still deactivated: audit %v", actions)
		}

		clock.Advance(time.Second)
		reactivate := roster.ClientUpdate{ClientFields: roster.ClientFields{PreferableActivities: []string{"Running", "Mobility Assessment"}},
			Set: roster.FieldsOf(roster.FieldPreferableActivities), Active: ptr(true)}
		if _, err := st.UpdateClient(ctx, org.ID, c.UID, reactivate); err != nil {
			t.Fatal(err)
		}
		if n := tallyOf(t, st, org, coach, "female"); n != activeTally {
			t.Errorf("updated and reactivated: %+v", n)
		}
		actions, events = trail(t, st, org, hook, c.UID)
		if !slices.Equal(actions, []string{"client.create", "client.deactivate", "client.reactivate", "client.update", "client.update", "client.update"}) ||
			!slices.Equal(events, []string{roster.EventClientCreated, roster.EventClientDeactivated, roster.EventClientReactivated,
				roster.EventClientUpdated, roster.EventClientUpdated, roster.EventClientUpdated}) {
			t.Errorf("updated and reactivated: audit %v, events %v", actions, events)
		}
		assertFilterCounts(t, st, org)
	})
}
