package storetest

import (
	"database/sql"
	"testing"
)

// RefuseDeactivation makes the database of engine itself, through db,
// fail every change of a client's deactivated_at until t ends: a real
// failure that comes after the other writes of a transaction that
// deactivates or reactivates a client along with them.
func RefuseDeactivation(t testing.TB, db *sql.DB, engine string) {
	t.Helper()
	create := []string{`CREATE TRIGGER refuse_deactivation BEFORE UPDATE OF deactivated_at ON clients
		BEGIN SELECT RAISE(ABORT, 'deactivation refused by the test'); END`}
	drop := []string{`DROP TRIGGER refuse_deactivation`}
	if engine == "postgres" {
		create = []string{`CREATE FUNCTION refuse_deactivation() RETURNS trigger LANGUAGE plpgsql AS $$
			BEGIN RAISE EXCEPTION 'deactivation refused by the test'; END $$`,
			`CREATE TRIGGER refuse_deactivation BEFORE UPDATE OF deactivated_at ON clients
			FOR EACH ROW EXECUTE FUNCTION refuse_deactivation()`}
		drop = []string{`DROP TRIGGER refuse_deactivation ON clients`, `DROP FUNCTION refuse_deactivation()`}
	}
	for _, q := range create {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() {
		for _, q := range drop {
			if _, err := db.Exec(q); err != nil {
				t.Error(err)
			}
		}
	})
}
