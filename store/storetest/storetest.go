// Package storetest runs the same test on every engine: always on a fresh
// SQLite file, and on a fresh PostgreSQL schema when ROSTER_TEST_DATABASE_URL
// names a server (CI sets it).
package storetest

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"strings"
	"testing"

	"roster"
	"roster/auth"
	"roster/store"
)

// EnvURL names the environment variable with the PostgreSQL server's URL.
const EnvURL = "ROSTER_TEST_DATABASE_URL"

// Each runs fn as one subtest per engine, each on an empty migrated store.
func Each(t *testing.T, fn func(t *testing.T, st *store.Store)) {
	t.Helper()
	EachEngine(t, func(t *testing.T, engine string) {
		fn(t, Open(t, engine))
	})
}

// EnvEngines names the environment variable that limits the engines
// EachEngine runs on, "sqlite" or "postgres"; unset, it runs on both. CI's
// PostgreSQL run sets it, since the run before it covered SQLite.
const EnvEngines = "ROSTER_TEST_ENGINES"

// EachEngine runs fn as one subtest per engine, for tests that open the
// store themselves (see OpenAt).
func EachEngine(t *testing.T, fn func(t *testing.T, engine string)) {
	t.Helper()
	for _, engine := range []string{"sqlite", "postgres"} {
		if only := os.Getenv(EnvEngines); only != "" && only != engine {
			continue
		}
		t.Run(engine, func(t *testing.T) { fn(t, engine) })
	}
}

// Open returns an empty migrated store on engine, closed when t ends. It
// skips t for PostgreSQL when no server is configured.
func Open(t testing.TB, engine string) *store.Store {
	t.Helper()
	st := OpenAt(t, t.TempDir(), DatabaseURL(t, engine))
	t.Cleanup(func() { st.Close() })
	return st
}

// OpenAt opens and migrates the store in dataDir or at databaseURL, as
// store.Open takes them, so that a test can close a store and open the same
// database again. The caller closes it.
func OpenAt(t testing.TB, dataDir, databaseURL string) *store.Store {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, dataDir, databaseURL)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Migrate(ctx, slog.New(slog.NewTextHandler(io.Discard, nil))); err != nil {
		st.Close()
		t.Fatal(err)
	}
	return st
}

// DatabaseURL returns "" for SQLite and, for PostgreSQL, the URL of a schema
// of t's own, so that tests never see each other's rows. It skips t when
// no PostgreSQL server is configured.
func DatabaseURL(t testing.TB, engine string) string {
	if engine != "postgres" {
		return ""
	}
	base := os.Getenv(EnvURL)
	if base == "" {
		t.Skipf("PostgreSQL: set %s to run this test on PostgreSQL", EnvURL)
	}
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	schema := "t_" + strings.ToLower(roster.NewSecret(16))
	if _, err := admin.Exec("CREATE SCHEMA " + schema); err != nil {
		t.Fatalf("PostgreSQL at %s: %v", EnvURL, err)
	}
	t.Cleanup(func() {
		db, err := sql.Open("pgx", base)
		if err == nil {
			db.Exec("DROP SCHEMA " + schema + " CASCADE")
			db.Close()
		}
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return fmt.Sprint(u)
}

// Org is an organization made for a test, with its owner's API key.
type Org struct {
	ID         roster.OrgID
	UID        string
	OwnerUID   string
	OwnerEmail string
	APIKey     string
}

// NewOrg creates an organization on plan with its owner and first API key.
func NewOrg(t testing.TB, st *store.Store, plan string) Org {
	t.Helper()
	ctx := context.Background()
	key, keyID, hash := auth.NewAPIKey()
	owner := strings.ToLower(roster.NewSecret(8)) + "@example.com"
	orgUID, ownerUID, err := st.CreateOrganization(ctx, roster.NewOrganization{
		CompanyName: "Club " + owner, PaymentType: plan, ClientLimit: roster.PlanClientLimits[plan],
		Activities: roster.Activities, OwnerEmail: owner, OwnerName: "Owner",
		Key: roster.NewAPIKey{KeyID: keyID, SecretHash: hash, Name: "test"},
	})
	if err != nil {
		t.Fatal(err)
	}
	k, err := st.APIKeyByID(ctx, keyID)
	if err != nil {
		t.Fatal(err)
	}
	if k.Principal.OrgUID != orgUID || k.Principal.AccountUID != ownerUID || k.Principal.Role != roster.RoleOwner {
		t.Fatalf("API key resolves to %+v; want org %s, owner %s", k.Principal, orgUID, ownerUID)
	}
	return Org{ID: k.Principal.OrgID, UID: orgUID, OwnerUID: ownerUID, OwnerEmail: owner, APIKey: key}
}
