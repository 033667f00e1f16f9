package store_test

import (
	"context"
	"testing"

	"roster/store"
	"roster/store/storetest"
)

// TestDropPlannerStatistics analyses a database with a client, as an
// operator might, and checks that DropPlannerStatistics removes what
// ANALYZE wrote on SQLite, says so once, and leaves PostgreSQL's
// statistics alone.
func TestDropPlannerStatistics(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		org := storetest.NewOrg(t, st, "Pro")
		c := newClient(org, "a@example.com")
		if err := st.CreateClient(ctx, org.ID, c); err != nil {
			t.Fatal(err)
		}
		// On PostgreSQL this test's own table only, not the tables of the
		// tests running beside it, whose plans some of them check.
		sqlite := st.Engine() == "sqlite"
		analyze := "ANALYZE"
		if !sqlite {
			analyze = "ANALYZE clients"
		}
		if _, err := st.DB().ExecContext(ctx, analyze); err != nil {
			t.Fatal(err)
		}
		count := `SELECT count(*) FROM sqlite_schema WHERE name LIKE 'sqlite_stat%'`
		if !sqlite {
			count = `SELECT count(*) FROM pg_stats WHERE tablename = 'clients' AND schemaname = current_schema()`
		}
		var before int
		if err := st.DB().QueryRowContext(ctx, count).Scan(&before); err != nil || before == 0 {
			t.Fatalf("ANALYZE left %d statistics, %v", before, err)
		}
		for i, want := range []bool{sqlite, false} {
			dropped, err := st.DropPlannerStatistics(ctx)
			if err != nil || dropped != want {
				t.Fatalf("call %d: dropped %v, %v; want %v", i+1, dropped, err, want)
			}
		}
		var after int
		if err := st.DB().QueryRowContext(ctx, count).Scan(&after); err != nil {
			t.Fatal(err)
		}
		if sqlite && after != 0 || !sqlite && after != before {
			t.Errorf("statistics left: %d of %d", after, before)
		}
		if got, err := st.Client(ctx, org.ID, c.UID); err != nil || got.UID != c.UID {
			t.Errorf("the client after the drop: %v, %v", got.UID, err)
		}
	})
}
