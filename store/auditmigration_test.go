package store_test

import (
	"context"
	"database/sql"
	"io"
	"log/slog"
	"regexp"
	"slices"
	"testing"
	"time"

	"roster"
	"roster/store"
	"roster/store/storetest"
)

var uidShape = regexp.MustCompile(`^[0-9A-Za-z]{20}$`)

// oldEntry is an audit entry as Roster wrote it before entries had uids.
type oldEntry struct {
	label string // its object_uid, to find it again
	org   string // "A", "B" or "" (none)
	at    time.Duration
}

// TestAuditUIDMigration writes entries into a database at version 4, in an
// order of their INTEGER keys that is not always their time order, and
// checks the uids migration 5 gives them.
func TestAuditUIDMigration(t *testing.T) {
	storetest.EachEngine(t, func(t *testing.T, engine string) {
		ctx := context.Background()
		st, err := store.Open(ctx, t.TempDir(), storetest.DatabaseURL(t, engine))
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		// Version 4 is another change's; below it, the schema of entries
		// without uids.
		if err := st.MigrateTo(ctx, 4); err != nil {
			t.Fatal(err)
		}
		db := st.DB()
		orgs := map[string]any{"A": insertOrg(t, db, "A"), "B": insertOrg(t, db, "B"), "": nil}
		t0 := time.Date(2026, 3, 1, 10, 0, 0, 100_000, time.UTC)
		ms, us := time.Millisecond, time.Microsecond
		written := []oldEntry{
			{"a1", "A", 0},
			{"b1", "B", 100 * us}, {"b2", "B", 100 * us}, // at the same time: the INTEGER key decides
			{"b3", "B", 300 * us}, {"b4", "B", 400 * us}, {"b5", "B", 500 * us},
			{"a2", "A", 600 * us}, // a1's millisecond, after five of B's
			{"n1", "", 700 * us},
			{"a4", "A", 5 * ms},
			{"a3", "A", 3 * ms}, // written after a4, and earlier
			{"a6", "A", 7*ms + 800*us},
			{"a5", "A", 7*ms + 100*us}, // a6's millisecond, written after it, and earlier
			{"b6", "B", 2 * time.Second},
			{"n2", "", 3 * time.Second},
		}
		at := map[string]time.Time{}
		for _, e := range written {
			at[e.label] = t0.Add(e.at)
			if _, err := db.ExecContext(ctx, `INSERT INTO audit_log (org_id, at, actor_uid, actor_kind, action, object_type, object_uid)
				VALUES ($1, $2, '', 'operator', 'client.update', 'client', $3)`,
				orgs[e.org], at[e.label].Format("2006-01-02T15:04:05.000000Z"), e.label); err != nil {
				t.Fatal(err)
			}
		}

		// Two at a time, so that b1 and b2, equal in time, and a1 and a2 end
		// up in different chunks.
		store.SetAuditFillChunkForTest(t, 2)
		if err := st.Migrate(ctx, slog.New(slog.NewTextHandler(io.Discard, nil))); err != nil {
			t.Fatal(err)
		}
		uid := map[string]string{}
		rows, err := db.QueryContext(ctx, `SELECT object_uid, uid FROM audit_log`)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var label, u string
			if err := rows.Scan(&label, &u); err != nil {
				t.Fatal(err)
			}
			uid[label] = u
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		rows.Close()

		for label, u := range uid {
			// The uid carries its entry's millisecond and nothing else of it.
			if !uidShape.MatchString(u) || u[:9] != roster.UIDAfter(at[label], "")[:9] {
				t.Errorf("%s (at %s): uid %q, not a uid of its time", label, at[label].Format(time.RFC3339Nano), u)
			}
		}
		// Each organization's uids sort in its entries' time order.
		for _, order := range [][]string{{"a1", "a2", "a3", "a4", "a5", "a6"}, {"b1", "b2", "b3", "b4", "b5", "b6"}, {"n1", "n2"}} {
			for i := 1; i < len(order); i++ {
				if uid[order[i-1]] >= uid[order[i]] {
					t.Errorf("%s %s, then %s %s: not in time order", order[i-1], uid[order[i-1]], order[i], uid[order[i]])
				}
			}
		}
		// In one millisecond an organization's uids follow each other by a
		// random step, as NewUID's do: what other organizations wrote in
		// between leaves no trace (B's five entries sit between a1 and a2,
		// whose INTEGER keys differ by six).
		for _, pair := range [][2]string{{"a1", "a2"}, {"a5", "a6"}} {
			before, after := uid[pair[0]], uid[pair[1]]
			if after[:9] != before[:9] || after <= before {
				t.Errorf("%s = %s does not follow %s = %s in its millisecond", pair[1], after, pair[0], before)
			}
		}
		// uids are unique in an organization.
		if _, err := db.ExecContext(ctx, `INSERT INTO audit_log (uid, org_id, at, actor_uid, actor_kind, action, object_type, object_uid)
			VALUES ($1, $2, $3, '', 'operator', 'client.update', 'client', 'dup')`,
			uid["a1"], orgs["A"], t0.Format("2006-01-02T15:04:05.000000Z")); err == nil {
			t.Error("a second entry of A took a1's uid")
		}

		// A change after the migration sorts first.
		sessions := int64(7)
		if _, err := st.UpdateOrganization(ctx, "org-A", roster.OrganizationUpdate{SessionNumber: &sessions}); err != nil {
			t.Fatal(err)
		}
		log, err := st.AuditLog(ctx, roster.OrgID(orgs["A"].(int64)), roster.AuditFilter{Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, e := range log {
			got = append(got, e.ObjectUID)
			if e.ObjectUID != "org-A" && e.ID != uid[e.ObjectUID] {
				t.Errorf("%s: the log says id %s, the table uid %s", e.ObjectUID, e.ID, uid[e.ObjectUID])
			}
		}
		if want := []string{"org-A", "a6", "a5", "a4", "a3", "a2", "a1"}; !slices.Equal(got, want) {
			t.Errorf("A's log after the migration: %v, want %v", got, want)
		}
	})
}

// insertOrg writes an organization with raw SQL, as a store method at the
// newest version might write more than version 4 has.
func insertOrg(t *testing.T, db *sql.DB, name string) int64 {
	t.Helper()
	var id int64
	if err := db.QueryRow(`INSERT INTO organizations (uid, company_name, payment_type, created_at) VALUES ($1, $2, 'Pro', $3) RETURNING id`,
		"org-"+name, "Club "+name, "2026-01-01T00:00:00.000000Z").Scan(&id); err != nil {
		t.Fatal(err)
	}
	return id
}
