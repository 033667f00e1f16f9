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
