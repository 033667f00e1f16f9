package store_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"roster/store"
)

// TestDataDirWithURICharacters: a data directory whose name holds what a
// file: URI gives meaning to ("#", "?", "%") still holds the database.
func TestDataDirWithURICharacters(t *testing.T) {
	for _, name := range []string{"data#1", "data?x=1", "100%", "with space"} {
		dir := filepath.Join(t.TempDir(), name)
		st, err := store.Open(context.Background(), dir, "")
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if err := st.Ping(context.Background()); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		st.Close()
		if _, err := os.Stat(filepath.Join(dir, "roster.db")); err != nil {
			t.Errorf("the database is not in the data directory %q: %v", dir, err)
		}
	}
}
