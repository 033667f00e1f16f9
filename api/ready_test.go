package api_test

import (
	"context"
	"database/sql"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"roster/api"
	"roster/clocktest"
	"roster/store"
	"roster/store/storetest"
)

// readyz returns /readyz's status and error text.
func readyz(t *testing.T, e *env) (int, string) {
	t.Helper()
	r := e.do(req{Method: "GET", Path: "/readyz"})
	if r.Status == 200 {
		return 200, ""
	}
	return r.Status, r.errorText(t)
}

// TestReadyzWhileSQLiteCannotWrite: /readyz is not ready while the
// database's writer is held elsewhere, and ready again once it is free;
// between probes it answers from its cache, without writing.
func TestReadyzWhileSQLiteCannotWrite(t *testing.T) {
	dir := t.TempDir()
	st := storetest.OpenAt(t, dir, "")
	t.Cleanup(func() { st.Close() })
	e := newEnv(t, st)
	if status, text := readyz(t, e); status != 200 {
		t.Fatalf("readyz: %d %s", status, text)
	}

	// Another process's writer: roster's commit cannot take the lock.
	other, err := sql.Open("sqlite", filepath.Join(dir, "roster.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	conn, err := other.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(context.Background(), `BEGIN IMMEDIATE`); err != nil {
		t.Fatal(err)
	}
	if status, _ := readyz(t, e); status != 200 {
		t.Errorf("readyz within the cache's life: %d, want the cached 200", status)
	}
	e.clock.Advance(time.Minute)
	if status, text := readyz(t, e); status != 503 || text != "database cannot write" {
		t.Errorf("readyz with the writer held elsewhere: %d %q, want 503 database cannot write", status, text)
	}

	if _, err := conn.ExecContext(context.Background(), `ROLLBACK`); err != nil {
		t.Fatal(err)
	}
	clocktest.Eventually(t, "readyz to answer 200 once the writer is free", func() bool {
		e.clock.Advance(time.Minute)
		status, _ := readyz(t, e)
		return status == 200
	})
}

// TestReadyzWhilePostgresReadOnly: a PostgreSQL that accepts reads but no
// writes (default_transaction_read_only, as on a full disk) is not ready.
func TestReadyzWhilePostgresReadOnly(t *testing.T) {
	dbURL := storetest.DatabaseURL(t, "postgres")
	storetest.OpenAt(t, t.TempDir(), dbURL).Close() // migrated
	// pgx takes a "+" for itself, not for a space.
	readOnly := dbURL + "&options=" + strings.ReplaceAll(url.QueryEscape("-c default_transaction_read_only=on"), "+", "%20")
	ro, err := store.Open(context.Background(), t.TempDir(), readOnly)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ro.Close() })
	e := &env{t: t, st: ro, clock: clocktest.NewClock()}
	e.srv = httptest.NewServer(api.New(ro, api.Config{Log: discardLog, Now: e.clock.Now}).Handler())
	t.Cleanup(e.srv.Close)
	if status, text := readyz(t, e); status != 503 || text != "database cannot write" {
		t.Errorf("readyz on a read-only PostgreSQL: %d %q, want 503 database cannot write", status, text)
	}
}
