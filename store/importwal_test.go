//go:build !race

package store_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"roster/store/storetest"
)

// It stays out of the race detector's run, where modernc's SQLite, which
// is Go, writes the 10,000 rows of a large import twentyfold slower.
// A large import on SQLite leaves the write-ahead log truncated rather
// than as large as everything the import wrote.
func TestImportTruncatesTheWAL(t *testing.T) {
	dir := t.TempDir()
	st := storetest.OpenAt(t, dir, "")
	t.Cleanup(func() { st.Close() })
	ctx := context.Background()
	org := storetest.NewOrg(t, st, "Enterprise")
	clients := importable(org, 10_000, nil)
	wal := filepath.Join(dir, "roster.db-wal")
	var during int64
	next := hooked(clients, func(i int) {
		if i == 9_000 {
			fi, err := os.Stat(wal)
			if err != nil {
				t.Fatal(err)
			}
			during = fi.Size()
		}
	})
	if err := st.ImportClients(ctx, org.ID, len(clients), next, nil); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(wal)
	if err != nil {
		t.Fatal(err)
	}
	if during < 1<<20 || fi.Size() > 64<<10 {
		t.Errorf("write-ahead log of %d bytes during the import and %d after, want over 1 MiB and then under 64 KiB",
			during, fi.Size())
	}
}
