package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"roster/store"
	"roster/store/storetest"
)

// PostgreSQL's connections carry the statement timeout, unless the URL
// sets its own, and migrations run without one. A statement that outlives
// it ends with an error the api package answers as a 503, not a 500.
func TestPostgresStatementTimeout(t *testing.T) {
	url := storetest.DatabaseURL(t, "postgres")
	ctx := context.Background()
	open := func(url string) *store.Store {
		st, err := store.OpenWith(ctx, "", url, store.PostgresTimeouts{Connect: time.Minute, Statement: 50 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		return st
	}
	setting := func(st *store.Store, migrations bool, want string) {
		t.Helper()
		if got, err := st.SettingForTest(ctx, migrations, "statement_timeout"); err != nil || got != want {
			t.Fatalf("statement_timeout (migrations: %v) = %q, %v; want %q", migrations, got, err, want)
		}
	}
	st := open(url)
	setting(st, false, "50ms")
	setting(st, true, "0")
	setting(open(url+"&statement_timeout=7000"), false, "7s")

	// A sleep of a minute always outlives 50 ms: the timeout, not the
	// machine's speed, decides.
	err := st.QueryForTest(ctx, "SELECT pg_sleep(60)")
	var pe *pgconn.PgError
	if !errors.As(err, &pe) || pe.Code != "57014" || !store.Unavailable(err) {
		t.Fatalf("a statement past statement_timeout: %v; want query_canceled (57014), unavailable", err)
	}
	if err := st.QueryForTest(ctx, "SELECT 1"); err != nil {
		t.Fatalf("after a statement timed out: %v", err)
	}
}
