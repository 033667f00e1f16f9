package storetest

import (
	"context"
	"testing"

	"roster/store"
)

// OutboxStats is st.OutboxStats, failing t on error.
func OutboxStats(t testing.TB, st *store.Store) store.OutboxStats {
	t.Helper()
	s, err := st.OutboxStats(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return s
}
