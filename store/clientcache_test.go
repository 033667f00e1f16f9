package store_test

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

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
					// A notification of the writes above may still be on its way
					// (one sent while the listener started is not awaited), and
					// would drop the copy read next.
					if err := st.SyncAuth(ctx); err != nil {
						t.Fatal(err)
					}
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

// TestClientCacheCorrectsAStaleCopy: a client changed or deleted by a
// write that told nobody (an older version during an upgrade, a process
// whose notification is still on its way) is read afresh once a write of
// this store finds it changed or gone, rather than for its time to live.
func TestClientCacheCorrectsAStaleCopy(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		org := storetest.NewOrg(t, st, "Pro")
		changed, gone := newClient(org, "changed@example.com"), newClient(org, "gone@example.com")
		for _, c := range []*roster.Client{changed, gone} {
			if err := st.CreateClient(ctx, org.ID, c); err != nil {
				t.Fatal(err)
			}
		}
		st.AwaitAuthCache(t)
		cached, err := st.Client(ctx, org.ID, changed.UID)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := st.Client(ctx, org.ID, gone.UID); err != nil {
			t.Fatal(err)
		}
		// Another version: updated_at as each engine keeps it.
		later := map[string]string{"postgres": "updated_at + INTERVAL '1 second'", "sqlite": "'2001-01-01T00:00:00.000000Z'"}
		db := st.DBForTest()
		if _, err := db.ExecContext(ctx, `UPDATE clients SET display_name = 'Elsewhere', updated_at = `+later[st.Engine()]+`
			WHERE uid = $1`, changed.UID); err != nil {
			t.Fatal(err)
		}
		if _, err := db.ExecContext(ctx, `DELETE FROM clients WHERE uid = $1`, gone.UID); err != nil {
			t.Fatal(err)
		}
		_, err = st.UpdateClient(store.IfVersion(ctx, cached.UpdatedAt), org.ID, changed.UID, roster.ClientUpdate{
			ClientFields: roster.ClientFields{DisplayName: "Mine"}, Set: roster.FieldsOf(roster.FieldDisplayName)})
		if err != roster.ErrVersionChanged {
			t.Fatalf("an update of the stale version: %v, want the version changed", err)
		}
		if got, err := st.Client(ctx, org.ID, changed.UID); err != nil || got.DisplayName != "Elsewhere" {
			t.Errorf("after the refused update: %q, %v; want the database's Elsewhere", got.DisplayName, err)
		}
		if err := st.SaveNote(ctx, org.ID, gone.UID, ptr("note")); err != roster.ErrClientNotFound {
			t.Fatalf("a note on a deleted client: %v", err)
		}
		if _, err := st.Client(ctx, org.ID, gone.UID); err != roster.ErrClientNotFound {
			t.Errorf("after the refused note the deleted client reads: %v", err)
		}
	})
}

// TestClientCacheBudget: clients with large notes fill the cache's budget,
// not its memory: 100 clients with 90 kB notes are more than the budget,
// and the cache keeps what fits.
func TestClientCacheBudget(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		org := storetest.NewOrg(t, st, "Enterprise")
		st.AwaitAuthCache(t)
		note := strings.Repeat("n", 90_000)
		for i := range 100 {
			c := newClient(org, fmt.Sprintf("noted%d@example.com", i))
			if err := st.CreateClient(ctx, org.ID, c); err != nil {
				t.Fatal(err)
			}
			if err := st.SaveNote(ctx, org.ID, c.UID, &note); err != nil {
				t.Fatal(err)
			}
			if _, err := st.Client(ctx, org.ID, c.UID); err != nil {
				t.Fatal(err)
			}
		}
		if n, most := st.ClientCacheLen(), store.ClientCacheBudget/len(note); n == 0 || n > most {
			t.Errorf("the cache holds %d clients with 90 kB notes; want 1 to %d", n, most)
		}
	})
}

// TestClientChangesSpareTheCredentialsChannel: a client change is told on
// a channel of its own, never on the credentials' channel, whose payloads
// an older version reads (and, unable to read one, would empty its whole
// cache). A listener of the credentials' channel hears the sync that
// follows a client update first.
func TestClientChangesSpareTheCredentialsChannel(t *testing.T) {
	url := storetest.DatabaseURL(t, "postgres")
	st := storetest.OpenAt(t, t.TempDir(), url)
	t.Cleanup(func() { st.Close() })
	ctx := context.Background()
	org := storetest.NewOrg(t, st, "Pro")
	c := newClient(org, "channel@example.com")
	if err := st.CreateClient(ctx, org.ID, c); err != nil {
		t.Fatal(err)
	}
	st.AwaitAuthCache(t)
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var auth, clients string
	if err := conn.QueryRow(ctx, `SELECT `+store.ChannelsForTest).Scan(&auth, &clients); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(ctx, "LISTEN "+pgx.Identifier{auth}.Sanitize()); err != nil {
		t.Fatal(err)
	}
	if err := st.SaveNote(ctx, org.ID, c.UID, ptr("told elsewhere")); err != nil {
		t.Fatal(err)
	}
	if err := st.SyncAuth(ctx); err != nil {
		t.Fatal(err)
	}
	n, err := conn.WaitForNotification(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if parts := strings.Split(n.Payload, ":"); len(parts) != 3 || parts[2] != "" {
		t.Errorf("the credentials' channel heard %q first; want the sync's origin:seq: with no account", n.Payload)
	}
}
