package store_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"

	"roster/store"
	"roster/store/storetest"
)

func TestPools(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		if err := st.Ping(context.Background()); err != nil {
			t.Fatal(err)
		}
		want := map[string][]string{"sqlite": {"sqlite_read", "sqlite_write"}, "postgres": {"postgres"}}[st.Engine()]
		var names []string
		open := 0
		for _, p := range st.Pools() {
			names = append(names, p.Name)
			open += p.InUse + p.Idle
			if p.InUse < 0 || p.Idle < 0 || p.Waits < 0 || p.WaitDuration < 0 {
				t.Errorf("pool %+v has a negative figure", p)
			}
		}
		if !slices.Equal(names, want) || open == 0 {
			t.Errorf("pools %v with %d connections open after a ping, want %v and some", names, open, want)
		}
	})
}

func TestObserveBatches(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		var mu sync.Mutex
		sizes := map[store.BatchKind]int{}
		st.ObserveBatches(func(kind store.BatchKind, n int) {
			mu.Lock()
			defer mu.Unlock()
			sizes[kind] += n
		})
		org := storetest.NewOrg(t, st, "Enterprise")
		for i := range 3 {
			if err := st.CreateClient(context.Background(), org.ID, newClient(org, fmt.Sprintf("c%d@example.com", i))); err != nil {
				t.Fatal(err)
			}
		}
		mu.Lock()
		defer mu.Unlock()
		// One create after another: three batches of one. On SQLite each
		// is a write transaction of the batcher's, as is NewOrg's.
		if sizes[store.Creates] != 3 {
			t.Errorf("creates observed: %d, want 3", sizes[store.Creates])
		}
		if wantWrites := map[string]int{"sqlite": 4, "postgres": 0}[st.Engine()]; sizes[store.Writes] != wantWrites {
			t.Errorf("write transactions observed: %d, want %d", sizes[store.Writes], wantWrites)
		}
	})
}
