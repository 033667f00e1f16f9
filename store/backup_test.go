package store_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"roster/store"
	"roster/store/storetest"
)

// TestBackupInto: on SQLite the copy is a sound database at the store's
// schema version that holds the clients committed before it; a second
// copy onto the first is refused, leaving it whole. PostgreSQL refuses,
// pointing to pg_dump.
func TestBackupInto(t *testing.T) {
	storetest.EachEngine(t, func(t *testing.T, engine string) {
		ctx := context.Background()
		st := storetest.Open(t, engine)
		org := storetest.NewOrg(t, st, "Pro")
		c := newClient(org, "kept@example.com")
		if err := st.CreateClient(ctx, org.ID, c); err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(t.TempDir(), "copy.db")
		err := st.BackupInto(ctx, path)
		if engine == "postgres" {
			if !errors.Is(err, store.ErrNotSQLite) || !strings.Contains(err.Error(), "pg_dump") {
				t.Errorf("BackupInto on PostgreSQL: %v, want ErrNotSQLite", err)
			}
			if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("BackupInto on PostgreSQL wrote %s (%v)", path, err)
			}
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		version, err := store.CheckSQLiteFile(ctx, path)
		if err != nil || version < 6 {
			t.Fatalf("CheckSQLiteFile of the copy: version %d, %v", version, err)
		}
		if err := st.BackupInto(ctx, path); err == nil {
			t.Error("a second copy onto an existing database succeeded")
		}
		// The copy is a data directory's database as it is: serve would open it.
		restored := filepath.Join(t.TempDir(), "restored")
		if err := os.Mkdir(restored, 0o750); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(path, filepath.Join(restored, "roster.db")); err != nil {
			t.Fatal(err)
		}
		again := storetest.OpenAt(t, restored, "")
		defer again.Close()
		got, err := again.Client(ctx, org.ID, c.UID)
		if err != nil || got.Email != "kept@example.com" {
			t.Errorf("the copy's client: %+v, %v", got, err)
		}
	})
}

// TestCheckSQLiteFile refuses what is not a sound Roster database, saying
// what it is instead.
func TestCheckSQLiteFile(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	write := func(name string, data []byte) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	st := storetest.Open(t, "sqlite")
	sound := filepath.Join(dir, "sound.db")
	if err := st.BackupInto(ctx, sound); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(sound)
	if err != nil {
		t.Fatal(err)
	}
	// The first page after the header holds the schema: overwrite pages
	// past it, where tables' rows are.
	damaged := append([]byte(nil), data...)
	for i := 4096; i < len(damaged); i++ {
		damaged[i] = 0xA5
	}
	foreign := filepath.Join(dir, "foreign.db")
	other, err := store.Open(ctx, filepath.Join(dir, "other"), "")
	if err != nil {
		t.Fatal(err)
	}
	if err := other.BackupInto(ctx, foreign); err != nil { // never migrated: no schema version
		t.Fatal(err)
	}
	other.Close()

	for _, tc := range []struct{ path, want string }{
		{write("empty.db", nil), "is not an SQLite database"},
		{write("text.db", []byte("hello, this is not a database at all")), "is not an SQLite database"},
		{write("damaged.db", damaged), "integrity check"},
		{foreign, "not Roster's"},
	} {
		if _, err := store.CheckSQLiteFile(ctx, tc.path); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want an error with %q", filepath.Base(tc.path), err, tc.want)
		}
	}
}
