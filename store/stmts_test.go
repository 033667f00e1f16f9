package store_test

import (
	"context"
	"strconv"
	"testing"

	"roster/store"
	"roster/store/storetest"
)

// TestWriteStmtsBounded: past MaxWriteStmts distinct write statements the
// store stops keeping more prepared (on SQLite; PostgreSQL's driver keeps
// its own), and every statement still runs.
func TestWriteStmtsBounded(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		before := st.WriteStmts()
		for i := range store.MaxWriteStmts + 20 {
			if err := st.ExecInTx(context.Background(), "SELECT "+strconv.Itoa(i)+" WHERE 1 = $1", 1); err != nil {
				t.Fatalf("statement %d: %v", i, err)
			}
		}
		if got := st.WriteStmts(); got > store.MaxWriteStmts || got < before {
			t.Errorf("%d statements kept prepared for writes, at most %d allowed", got, store.MaxWriteStmts)
		}
		if st.Engine() == "sqlite" && st.WriteStmts() != store.MaxWriteStmts {
			t.Errorf("SQLite keeps %d write statements prepared, want the bound, %d", st.WriteStmts(), store.MaxWriteStmts)
		}
	})
}
