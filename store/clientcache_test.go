package store_test

import (
	"context"
	"reflect"
	"testing"
	"time"

	"roster"
	"roster/clocktest"
	"roster/store"
	"roster/store/storetest"
)

// TestClientCacheInvalidation: after every write that changes a client as
// Client reads it, no store serves the client it cached before: the
// writer drops it itself, and on PostgreSQL a second store, another
// process, hears of it. Each then reads what the database holds.
func TestClientCacheInvalidation(t *testing.T) {
	ctx := context.Background()
	for _, c := range []struct {
		name  string
		write func(st *store.Store, org roster.OrgID, uid string) error
	}{
		{"update", func(st *store.Store, org roster.OrgID, uid string) error {
			_, err := st.UpdateClient(ctx, org, uid, roster.ClientUpdate{
				ClientFields: roster.ClientFields{Weight: ptr(71.5), PreferableActivities: []string{"Running"}},
				Set:          roster.FieldsOf(roster.FieldWeight, roster.FieldPreferableActivities)})
			return err
		}},
		{"update the photo", func(st *store.Store, org roster.OrgID, uid string) error {
			_, err := st.UpdateClient(ctx, org, uid, roster.ClientUpdate{Photo: ptr("photos/new.jpg")})
			return err
		}},
		{"save a note", func(st *store.Store, org roster.OrgID, uid string) error {
			return st.SaveNote(ctx, org, uid, ptr("a new note"))
		}},
		{"clear the note", func(st *store.Store, org roster.OrgID, uid string) error {
			return st.SaveNote(ctx, org, uid, nil)
		}},
		{"record a session", func(st *store.Store, org roster.OrgID, uid string) error {
			_, err := st.RecordAnalysisSession(ctx, org, uid, &roster.AnalysisSession{UID: roster.NewUID(time.Now()),
				Activity: "Running", Duration: 60, Time: st.Now(), CreatedAt: st.Now()})
			return err
		}},
		{"deactivate", func(st *store.Store, org roster.OrgID, uid string) error {
			_, err := st.SetClientActive(ctx, org, roster.ClientRef{UID: uid}, false)
			return err
		}},
		{"deactivate by external id", func(st *store.Store, org roster.OrgID, uid string) error {
			_, err := st.SetClientActive(ctx, org, roster.ClientRef{ExternalID: "ext-" + uid}, false)
			return err
		}},
		{"delete", func(st *store.Store, org roster.OrgID, uid string) error {
			_, err := st.DeleteClient(ctx, org, uid)
			return err
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			storetest.EachEngine(t, func(t *testing.T, engine string) {
				stores := openTwins(t, engine)
				st := stores[0]
				org := storetest.NewOrg(t, st, "Pro")
				if _, err := st.UpdateOrganization(ctx, org.UID, roster.OrganizationUpdate{SessionNumber: ptr(int64(10))}); err != nil {
					t.Fatal(err)
				}
				cl := newClient(org, roster.NewSecret(8)+"@example.com", func(c *roster.Client) {
					c.ExternalID = ptr("ext-" + c.UID)
				})
				if err := st.CreateClient(ctx, org.ID, cl); err != nil {
					t.Fatal(err)
				}
				if err := st.SaveNote(ctx, org.ID, cl.UID, ptr("an old note")); err != nil {
					t.Fatal(err)
				}
				for i, st := range stores {
					st.AwaitAuthCache(t)
					if _, err := st.Client(ctx, org.ID, cl.UID); err != nil {
						t.Fatal(err)
					}
					if !st.CachesClient(cl.UID) {
						t.Fatalf("store %d does not cache the client it read", i)
					}
				}
				if err := c.write(st, org.ID, cl.UID); err != nil {
					t.Fatal(err)
				}
				for i, st := range stores {
					if i > 0 {
						if err := st.SyncAuth(ctx); err != nil {
							t.Fatal(err)
						}
					}
					if st.CachesClient(cl.UID) {
						t.Errorf("store %d still caches the client after the write", i)
					}
					got, gotErr := st.Client(ctx, org.ID, cl.UID)
					want, wantErr := st.ClientFromDatabase(ctx, org.ID, cl.UID)
					if gotErr != wantErr || !reflect.DeepEqual(got, want) {
						t.Errorf("store %d reads %+v, %v; the database holds %+v, %v", i, got, gotErr, want, wantErr)
					}
				}
			})
		})
	}
}

// openTwins opens a store, and on PostgreSQL a second one on the same
// database: another process.
func openTwins(t *testing.T, engine string) []*store.Store {
	t.Helper()
	dir, url := t.TempDir(), storetest.DatabaseURL(t, engine)
	clock := clocktest.NewClock()
	stores := []*store.Store{storetest.OpenAt(t, dir, url)}
	if engine == "postgres" {
		stores = append(stores, storetest.OpenAt(t, dir, url))
	}
	for _, st := range stores {
		t.Cleanup(func() { st.Close() })
		st.SetClock(clock.Now)
	}
	return stores
}

// TestClientCacheHandsOutCopies: what a caller does to the client it was
// given changes neither the cache nor another caller's; and another
// organization's uid is not found, cached or not.
func TestClientCacheHandsOutCopies(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		org, other := storetest.NewOrg(t, st, "Pro"), storetest.NewOrg(t, st, "Pro")
		cl := newClient(org, "copy@example.com", func(c *roster.Client) {
			c.Weight, c.PreferableActivities = ptr(70.0), []string{"Running"}
		})
		if err := st.CreateClient(ctx, org.ID, cl); err != nil {
			t.Fatal(err)
		}
		st.AwaitAuthCache(t)
		first, err := st.Client(ctx, org.ID, cl.UID)
		if err != nil || !st.CachesClient(cl.UID) {
			t.Fatalf("the first read: %v, cached %v", err, st.CachesClient(cl.UID))
		}
		*first.Weight, first.PreferableActivities[0], first.DisplayName = 1, "Mobility Assessment", "changed"
		second, err := st.Client(ctx, org.ID, cl.UID)
		if err != nil || *second.Weight != 70 || second.PreferableActivities[0] != "Running" || second.DisplayName != cl.DisplayName {
			t.Fatalf("the second read: %+v, %v; the first reader's changes reached it", second, err)
		}
		if _, err := st.Client(ctx, other.ID, cl.UID); err != roster.ErrClientNotFound {
			t.Fatalf("another organization's client, cached: %v; want not found", err)
		}
	})
}
