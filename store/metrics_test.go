package store_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"testing"
	"time"

	"roster"
	"roster/store"
	"roster/store/storetest"
)

// metricCount is how many entries of history the organization has, read
// apart from the store's API.
func metricCount(t *testing.T, st *store.Store, org storetest.Org) int {
	t.Helper()
	var n int
	if err := st.DB().QueryRow(`SELECT count(*) FROM client_metrics WHERE org_id = $1`, org.ID).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestEachClientWithHistory: an export's walk gives every client its own
// whole history, oldest first, across chunk edges, and no other
// organization's.
func TestEachClientWithHistory(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		store.SetListChunkForTest(t, 2)
		org, other := storetest.NewOrg(t, st, "Pro"), storetest.NewOrg(t, st, "Pro")
		want := map[string][]roster.Metric{}
		for i := range 5 {
			c := newClient(org, fmt.Sprintf("c%d@example.com", i), func(c *roster.Client) {
				if i%2 == 0 {
					c.Weight, c.ShoeSize = ptr(60+float64(i)), ptr(42.5)
				}
			})
			if err := st.CreateClient(ctx, org.ID, c); err != nil {
				t.Fatal(err)
			}
			if i == 3 {
				m := roster.Metric{UID: roster.NewUID(c.CreatedAt), Field: "height", Value: 180, RecordedAt: c.CreatedAt.Add(-time.Hour),
					RecordedBy: org.OwnerUID}
				if err := st.RecordMetric(ctx, org.ID, c.UID, m); err != nil {
					t.Fatal(err)
				}
			}
			h, err := st.ClientMetrics(ctx, org.ID, c.UID, roster.MetricFilter{Limit: 100})
			if err != nil {
				t.Fatal(err)
			}
			want[c.UID] = h
		}
		if err := st.CreateClient(ctx, other.ID, newClient(other, "o@example.com", func(c *roster.Client) { c.Weight = ptr(99.0) })); err != nil {
			t.Fatal(err)
		}
		got := map[string][]roster.Metric{}
		err := st.EachClientWithHistory(ctx, org.ID, roster.ClientQuery{}, func(c *roster.Client, h []roster.Metric) error {
			got[c.UID] = append([]roster.Metric{}, h...)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		entries := 0
		for _, h := range want {
			entries += len(h)
		}
		if len(got) != 5 || entries != 7 || !reflect.DeepEqual(got, want) {
			t.Errorf("walked with history:\n got %v\nwant %v (%d entries)", got, want, entries)
		}
	})
}

// TestFailedImportLeavesNoHistory: an import that fails after writing
// chunks removes their clients' history with them.
func TestFailedImportLeavesNoHistory(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		org := storetest.NewOrg(t, st, "Pro")
		boom := errors.New("the source broke")
		i := 0
		err := st.ImportClients(ctx, org.ID, 250, func() (*roster.Client, error) {
			if i++; i == 230 {
				return nil, boom
			}
			return newClient(org, fmt.Sprintf("i%d@example.com", i), func(c *roster.Client) { c.Weight = ptr(70.0) }), nil
		}, nil)
		if !errors.Is(err, boom) {
			t.Fatalf("import: %v", err)
		}
		if n := metricCount(t, st, org); n != 0 {
			t.Errorf("%d entries of history after a failed import", n)
		}
		i = 0
		if err := st.ImportClients(ctx, org.ID, 150, func() (*roster.Client, error) {
			i++
			return newClient(org, fmt.Sprintf("j%d@example.com", i), func(c *roster.Client) { c.Weight, c.Height = ptr(70.0), ptr(180.0) }), nil
		}, nil); err != nil {
			t.Fatal(err)
		}
		if n := metricCount(t, st, org); n != 300 {
			t.Errorf("%d entries of history after importing 150 clients with two measures, want 300", n)
		}
	})
}
