package store_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"reflect"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"roster"
	"roster/store"
	"roster/store/storetest"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// schemaVersion is the highest version goose recorded.
func schemaVersion(t *testing.T, st *store.Store) int64 {
	t.Helper()
	var v int64
	if err := st.DB().QueryRow(`SELECT max(version_id) FROM goose_db_version`).Scan(&v); err != nil {
		t.Fatal(err)
	}
	return v
}

// hasTable reports whether table can be read.
func hasTable(st *store.Store, table string) bool {
	_, err := st.DB().Exec(`SELECT count(*) FROM ` + table)
	return err == nil
}

// recordNewerVersion records version as migrated, as a newer roster would.
func recordNewerVersion(t *testing.T, st *store.Store, version int64) {
	t.Helper()
	if _, err := st.DB().Exec(`INSERT INTO goose_db_version (version_id, is_applied) VALUES ($1, true)`, version); err != nil {
		t.Fatal(err)
	}
}

// TestMigrateDownTo: a rollback undoes the migrations above its version,
// newest first; it refuses, changing nothing, when one of them is one-way,
// and does nothing where there is nothing above.
func TestMigrateDownTo(t *testing.T) {
	storetest.EachEngine(t, func(t *testing.T, engine string) {
		ctx := context.Background()
		st, err := store.Open(ctx, t.TempDir(), storetest.DatabaseURL(t, engine))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		st.AddMigrationsForTest(fstest.MapFS{
			"01000_a.sql": {Data: []byte("-- +goose Up\nCREATE TABLE rollback_a (n INTEGER);\n-- +goose Down\nDROP TABLE rollback_a;\n")},
			"01001_b.sql": {Data: []byte("-- +goose Up\nCREATE TABLE rollback_b (n INTEGER);\n")},
			"01002_c.sql": {Data: []byte("-- +goose Up\nCREATE TABLE rollback_c (n INTEGER);\n-- +goose Down\n-- the table goes\nDROP TABLE rollback_c;\n")},
		})
		if err := st.Migrate(ctx, quiet); err != nil {
			t.Fatal(err)
		}
		if v := schemaVersion(t, st); v != 1002 || !hasTable(st, "rollback_c") {
			t.Fatalf("migrated to version %d, want 1002 with rollback_c", v)
		}

		// Down to 1000 would undo 1001, which has no Down: refused before
		// 1002 is undone.
		err = st.MigrateDownTo(ctx, 1000, quiet)
		if err == nil || !strings.Contains(err.Error(), "migration 1001 (01001_b.sql) is one-way") {
			t.Errorf("down to 1000 across a one-way migration: %v", err)
		}
		if v := schemaVersion(t, st); v != 1002 || !hasTable(st, "rollback_c") {
			t.Errorf("a refused rollback left version %d (rollback_c: %v), want 1002 untouched", v, hasTable(st, "rollback_c"))
		}

		if err := st.MigrateDownTo(ctx, 1001, quiet); err != nil {
			t.Fatal(err)
		}
		if v := schemaVersion(t, st); v != 1001 || hasTable(st, "rollback_c") || !hasTable(st, "rollback_b") {
			t.Errorf("down to 1001: version %d, rollback_c %v, rollback_b %v; want 1001, gone, kept",
				v, hasTable(st, "rollback_c"), hasTable(st, "rollback_b"))
		}
		if err := st.MigrateDownTo(ctx, 1001, quiet); err != nil || schemaVersion(t, st) != 1001 {
			t.Errorf("down to the current version: %v, version %d", err, schemaVersion(t, st))
		}
		// Up again: the migration undone runs again.
		if err := st.Migrate(ctx, quiet); err != nil || schemaVersion(t, st) != 1002 || !hasTable(st, "rollback_c") {
			t.Errorf("migrate after the rollback: %v, version %d", err, schemaVersion(t, st))
		}
	})
}

// TestMigrateDownToOneWayGoMigrations: Roster's own migrations 5 and 6 are
// one-way, and the refusal says why.
func TestMigrateDownToOneWayGoMigrations(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		before := schemaVersion(t, st)
		err := st.MigrateDownTo(ctx, 5, quiet)
		if err == nil || !strings.Contains(err.Error(), "migration 6") || !strings.Contains(err.Error(), "re-keyed emails") ||
			!strings.Contains(err.Error(), "Restore a backup") {
			t.Errorf("down to 5: %v", err)
		}
		if v := schemaVersion(t, st); v != before {
			t.Errorf("a refused rollback moved the schema from %d to %d", before, v)
		}
	})
}

// TestMigrateRefusesNewerSchema: a schema a newer roster migrated is
// refused, by Migrate and by a rollback this binary cannot know how to do.
func TestMigrateRefusesNewerSchema(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		known := schemaVersion(t, st)
		recordNewerVersion(t, st, known+100)
		err := st.Migrate(ctx, quiet)
		var newer *store.NewerSchemaError
		if !errors.As(err, &newer) || newer.Current != known+100 || newer.Known != known {
			t.Fatalf("Migrate on a newer schema: %v, want a NewerSchemaError of %d over %d", err, known+100, known)
		}
		err = st.MigrateDownTo(ctx, known, quiet)
		if err == nil || !strings.Contains(err.Error(), "newer than this roster knows") {
			t.Errorf("down to %d from a version unknown to this binary: %v", known, err)
		}
	})
}

// TestCounterSlotsRollBack: migration 7 rolls back to one counter row and
// the organization's total, summed from the slots, and forward again.
func TestCounterSlotsRollBack(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		org := storetest.NewOrg(t, st, "Enterprise")
		for i := range 5 {
			c := newClient(org, fmt.Sprintf("r%d@example.com", i), func(c *roster.Client) { c.Gender = ptr("male") })
			if err := st.CreateClient(ctx, org.ID, c); err != nil {
				t.Fatal(err)
			}
		}
		if err := st.MigrateDownTo(ctx, 6, quiet); err != nil {
			t.Fatal(err)
		}
		var total, male int64
		err := st.DB().QueryRow(`SELECT client_count, (SELECT n FROM client_counts c WHERE c.org_id = o.id AND dim = 'gender' AND value = 'male')
			FROM organizations o WHERE id = $1`, org.ID).Scan(&total, &male)
		if err != nil || total != 5 || male != 5 {
			t.Fatalf("schema 6 counts: %d clients, %d male (%v); want 5 and 5", total, male, err)
		}
		if err := st.Migrate(ctx, quiet); err != nil {
			t.Fatal(err)
		}
		assertCount(t, st, org, 5)
		assertFilterCounts(t, st, org)
	})
}

// TestConcurrentMigrations: processes that start on one fresh database at
// once (serve, and a bootstrap beside it) take turns to migrate it, and
// each finds the schema as the other left it.
func TestConcurrentMigrations(t *testing.T) {
	storetest.EachEngine(t, func(t *testing.T, engine string) {
		ctx := context.Background()
		dir, url := t.TempDir(), storetest.DatabaseURL(t, engine)
		errs := make(chan error, 4)
		for range cap(errs) {
			go func() {
				st, err := store.Open(ctx, dir, url)
				if err != nil {
					errs <- err
					return
				}
				defer st.Close()
				errs <- st.Migrate(ctx, quiet)
			}()
		}
		for range cap(errs) {
			if err := <-errs; err != nil {
				t.Error(err)
			}
		}
	})
}

// TestWebhookAttemptsRollBack: migration 30 rolls back, dropping the
// attempts and keeping the deliveries, and forward again, after which
// attempts are kept as before.
func TestWebhookAttemptsRollBack(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		// Claims as of an hour on: every delivery made in the test is due
		// then, however long the migrations take.
		now := time.Now().Add(time.Hour)
		org := storetest.NewOrg(t, st, "Pro")
		hook := attemptedHook(t, st, org, now)
		if err := st.MigrateDownTo(ctx, 29, quiet); err != nil {
			t.Fatal(err)
		}
		if hasTable(st, "webhook_attempts") {
			t.Error("webhook_attempts is still there at schema 29")
		}
		if err := st.Migrate(ctx, quiet); err != nil {
			t.Fatal(err)
		}
		list, err := st.WebhookDeliveries(ctx, org.ID, hook.UID, "", 10)
		if err != nil || len(list) != 1 || list[0].Attempts != 2 || len(list[0].LastAttempts) != 0 {
			t.Fatalf("after the round trip: %+v, %v; want the delivery, its attempts not kept", list, err)
		}
		attemptedHook(t, st, org, now)
		if n := attemptRows(t, st); n != 2 {
			t.Errorf("%d attempts kept after the round trip, want the 2 made since", n)
		}
	})
}

// TestMetricsOrgKeyRollBack: migration 31 drops the metric history's key
// to organizations, keeping every entry and the key to clients, and rolls
// back to it. Whether the key is there is seen by what it does: an entry
// naming an organization that does not exist is refused with it only.
func TestMetricsOrgKeyRollBack(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		org := storetest.NewOrg(t, st, "Pro")
		c := newClient(org, "kept@example.com", func(c *roster.Client) { c.Weight, c.Height = ptr(70.5), ptr(180.0) })
		if err := st.CreateClient(ctx, org.ID, c); err != nil {
			t.Fatal(err)
		}
		want, err := st.ClientMetrics(ctx, org.ID, c.UID, roster.MetricFilter{Limit: 100})
		if err != nil || len(want) != 2 {
			t.Fatalf("history before: %+v, %v; want two entries", want, err)
		}
		// An entry of the client, in an organization that does not exist:
		// only a key to organizations can refuse it.
		orphan := func(uid string) error {
			_, err := st.DB().Exec(`INSERT INTO client_metrics (uid, org_id, client_id, field, value, recorded_at, recorded_by)
				SELECT $1, -1, client_id, 'weight', 1, recorded_at, '' FROM client_metrics WHERE client_id IN (SELECT id FROM clients WHERE uid = $2) LIMIT 1`,
				uid, c.UID)
			return err
		}
		if err := st.MigrateDownTo(ctx, 30, quiet); err != nil {
			t.Fatal(err)
		}
		if err := orphan("orphan-30"); err == nil || !strings.Contains(strings.ToLower(err.Error()), "foreign key") {
			t.Errorf("schema 30 took an entry of an organization that does not exist: %v, want its key refusing it", err)
		}
		if got, err := st.ClientMetrics(ctx, org.ID, c.UID, roster.MetricFilter{Limit: 100}); err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("history at schema 30: %+v, %v; want %+v", got, err, want)
		}
		if err := st.Migrate(ctx, quiet); err != nil {
			t.Fatal(err)
		}
		if got, err := st.ClientMetrics(ctx, org.ID, c.UID, roster.MetricFilter{Limit: 100}); err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("history after the round trip: %+v, %v; want %+v", got, err, want)
		}
		if err := orphan("orphan-31"); err != nil {
			t.Errorf("schema 31 still checks the entry's organization: %v", err)
		}
		// The key to clients stays: deleting the client deletes its history.
		if _, err := st.DeleteClient(ctx, org.ID, c.UID); err != nil {
			t.Fatal(err)
		}
		if n := metricCount(t, st, org); n != 0 {
			t.Errorf("%d entries of history left after the client was deleted, want 0", n)
		}
	})
}
